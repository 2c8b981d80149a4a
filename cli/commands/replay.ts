/**
 * `pincow replay TRACE`: re-execute a saved ITF trace. Every step must be
 * enabled and reach the recorded state (else exit 2 with the step and the
 * reason); exit 1 if the final state still violates the invariant the
 * trace claims, 0 if it no longer does (the bug is fixed, or the model
 * changed).
 */
import { readFileSync } from 'node:fs';
import { replayItf } from '../../api/replay.js';
import { renderViolation } from '../../api/violation.js';
import { PincowError } from '../../model/errors.js';
import { EXIT_OK, EXIT_VIOLATION, paint } from '../common.js';
import type { Io } from '../common.js';

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PincowError('io', `cannot read trace "${file}": ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new PincowError('invalid-trace', `${file}: not JSON: ${(e as Error).message}`);
  }
}

export function runReplay(file: string, io: Io): number {
  let r;
  try {
    r = replayItf(readJson(file));
  } catch (e) {
    if (e instanceof PincowError && e.code === 'invalid-trace' && !e.message.startsWith(file)) throw new PincowError('invalid-trace', `${file}: ${e.message}`);
    throw e;
  }
  const head = `${r.scenario.name} ${r.kernel.label} (${r.kernel.era.id}): ${r.path.length} steps replayed`;
  if (!r.violated.includes(r.claimed)) {
    io.out(`${head}; ${paint(io, 'green', `${r.claimed} no longer violated`)}`);
    return EXIT_OK;
  }
  io.out(`${head}; ${paint(io, 'red', `${r.claimed} still violated`)}\n`);
  io.out(renderViolation(r.scenario, r.kernel, r.model, r.claimed, r.trace, `npx pincow replay ${file}`));
  return EXIT_VIOLATION;
}
