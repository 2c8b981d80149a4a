/**
 * `npm run bench`: explorer throughput on fixed configurations — distinct
 * states, transitions, distinct states/s and bytes/state — as figures,
 * not timed tests. `--json` prints one object per configuration.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { explore, exploreOptions } from '../explorer/bfs.js';
import { resolveKernels } from '../model/kernels.js';
import { MmModel } from '../model/mmModel.js';
import { compileText, packageRoot } from '../scenario/catalog.js';

interface Figure {
  config: string;
  workers: number;
  distinctStates: number;
  transitions: number;
  seconds: number;
  distinctStatesPerSecond: number;
  bytesPerState: number;
  statesWithoutReduction: number;
}

function measure(file: string, kernel: string, runs: number): Figure {
  const text = readFileSync(join(packageRoot(), file), 'utf8');
  const s = compileText(text, file, false);
  const k = resolveKernels(kernel)[0]!;
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const model = new MmModel(s.cfg, k);
    samples.push(explore(model, exploreOptions({ maxDepth: 10_000 })).stats);
  }
  samples.sort((a, b) => a.seconds - b.seconds);
  const med = samples[Math.floor(samples.length / 2)]!;
  return {
    config: `${s.name} on ${kernel}`, workers: 1, distinctStates: med.states, transitions: med.transitions,
    seconds: med.seconds, distinctStatesPerSecond: Math.round(med.statesPerSecond), bytesPerState: Math.round(med.bytesPerState * 10) / 10,
    statesWithoutReduction: med.states,
  };
}

const json = process.argv.includes('--json');
const runs = 3;
const figures = ['5.10', '6.1'].map((k) => measure('bench/stress.pincow', k, runs));
if (json) {
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
} else {
  for (const f of figures) {
    process.stdout.write(`${f.config}: ${f.distinctStates} distinct states, ${f.transitions} transitions, ` +
      `${f.seconds.toFixed(2)} s (median of ${runs}), ${f.distinctStatesPerSecond} states/s, ${f.bytesPerState} bytes/state\n`);
  }
}
