/**
 * Compile a scenario body (after its `scenario x` line) in tests, and
 * catch the PincowError a malformed one gives.
 */
import { PincowError } from '../../model/errors.js';
import { compileText } from '../../scenario/catalog.js';
import type { LoadedScenario } from '../../scenario/catalog.js';

export function compile(text: string): LoadedScenario {
  return compileText(`scenario x\n${text}`, 't.pincow', false);
}

export function error(text: string): PincowError {
  try {
    compile(text);
  } catch (e) {
    if (e instanceof PincowError) return e;
    throw e;
  }
  throw new Error('compiled');
}
