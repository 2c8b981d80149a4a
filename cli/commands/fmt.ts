/** `pincow fmt FILE`: print a scenario file in canonical form. */
import { readFileSync } from 'node:fs';
import { PincowError } from '../../model/errors.js';
import { formatScenario } from '../../scenario/format.js';
import { parseScenario } from '../../scenario/parse.js';
import { EXIT_OK } from '../common.js';
import type { Io } from '../common.js';

export function runFmt(file: string, io: Io): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PincowError('io', `cannot read "${file}": ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  io.out(formatScenario(parseScenario(text, file)).replace(/\n$/, ''));
  return EXIT_OK;
}
