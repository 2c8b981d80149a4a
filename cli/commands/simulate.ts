/**
 * `pincow simulate SCENARIO`: seeded random walks (`--seed`, `--runs`,
 * `--max-steps`) on each selected kernel, each violation shrunk and
 * printed as a trace. Exit 1 on a violation, else 0 — never 3: a
 * simulation is not a proof, so it has no bound to report. The output
 * has no timings, so the same seed prints the same bytes.
 */
import type { Argv } from 'yargs';
import { SIMULATE_DEFAULTS, simulate } from '../../api/simulate.js';
import type { SimulateResult } from '../../api/simulate.js';
import { WIDTH, wrap } from '../../counterexamples/renderText.js';
import type { Trace } from '../../counterexamples/trace.js';
import { decodeState } from '../../model/decode.js';
import { PincowError } from '../../model/errors.js';
import type { MmModel } from '../../model/mmModel.js';
import { loadScenario } from '../../scenario/catalog.js';
import { EXIT_OK, EXIT_VIOLATION, formatOf, invariantsOf, kernelsOf, NEWEST, paint } from '../common.js';
import type { CommonArgs, Io } from '../common.js';

export interface SimulateArgs extends CommonArgs {
  scenario: string;
  seed?: unknown;
  runs?: unknown;
  'max-steps'?: unknown;
}

/** The options of `pincow simulate` (for cli/main.ts). */
export function simulateOptions<T>(y: Argv<T>) {
  return y
    .positional('scenario', { type: 'string', demandOption: true, describe: 'a built-in name or a .pincow file' })
    .option('kernel', { alias: 'k', type: 'string', describe: 'a release (5.10), an era id (E2), a comma list, or all (default: the newest era)' })
    .option('with', { type: 'string', array: true, describe: 'turn a behaviour switch on (what-if kernel)' })
    .option('without', { type: 'string', array: true, describe: 'turn a behaviour switch off' })
    .option('invariant', { alias: 'i', type: 'string', array: true, describe: 'check only these invariants' })
    .option('seed', { type: 'string', requiresArg: true, describe: `the random seed, 0..${2 ** 31 - 1} (default ${SIMULATE_DEFAULTS.seed}); the same seed replays the same walks` })
    .option('runs', { type: 'string', requiresArg: true, describe: `how many random walks (default ${SIMULATE_DEFAULTS.runs})` })
    .option('max-steps', { type: 'string', requiresArg: true, describe: `steps per walk at most (default ${SIMULATE_DEFAULTS.maxSteps})` })
    .option('format', { alias: 'f', type: 'string', default: 'text', describe: 'text | json' })
    .example('pincow simulate vmsplice-child-unmap --kernel 5.7 --seed 1 --runs 200', 'finds and shrinks the missed COW (exit 1)')
    .example('pincow simulate bench/stress.pincow --kernel 6.1 --runs 1000 --max-steps 400', 'a quick look at a graph too big to exhaust');
}

/** A command-line integer, validated: `--runs 1e3`, `--seed -1`, `--runs x` are errors (exit 2). */
function integerOption(name: string, v: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return fallback;
  if (Array.isArray(v)) throw new PincowError('bad-option', `--${name} is given ${v.length} times; give it once`);
  const text = String(v).trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const want = max === Number.MAX_SAFE_INTEGER ? (min === 1 ? 'a positive integer' : `an integer from ${min} up`) : `an integer from ${min} to ${max}`;
    throw new PincowError('bad-option', `--${name} must be ${want}, found "${text}"`);
  }
  return n;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The summary of one (scenario, kernel): verdict, what the walks covered, and per violation where it came from. */
function summary(io: Io, r: SimulateResult): string {
  const head = `${r.scenario} ${r.kernel} (${r.era}):`;
  const st = r.stats;
  const walks = st.runs < r.runs ? `${st.runs} of ${r.runs} walks (then every invariant was broken)` : plural(st.runs, 'walk');
  const ends = [
    st.ends.final ? `${st.ends.final} ran every program to its end` : '',
    st.ends.deadlock ? `${st.ends.deadlock} got stuck` : '',
    st.ends.maxSteps ? `${st.ends.maxSteps} stopped at --max-steps ${r.maxSteps}` : '',
  ].filter((x) => x).join(', ');
  const para = (text: string): string[] => wrap(text, WIDTH - 4).map((l, i) => (i === 0 ? `  ${l}` : `    ${l}`));
  const lines = r.verdict === 'violated'
    ? [`${head} ${paint(io, 'red', 'violated')} ${r.violations.map((v) => v.invariant).join(', ')}`]
    : [`${head} ${paint(io, 'green', 'no violation found')} of ${r.invariants.join(', ')}`];
  lines.push(...para(`seed ${r.seed}: ${walks}, ${plural(st.steps, 'step')}, ${plural(st.distinctStates, 'distinct state')}${ends ? `; ${ends}` : ''}`));
  for (const v of r.violations) {
    lines.push(...para(`${v.invariant}: first broken by walk ${v.run}, shrunk ${plural(v.shrinks, 'time')} to ${plural(v.shrunkPath.length, 'step')}${v.path.length !== v.shrunkPath.length ? `, minimised to ${v.path.length}` : ''}`));
  }
  if (r.verdict === 'no-violation') lines.push(...para('a simulation can miss violations: pincow check explores every state'));
  return lines.join('\n');
}

function traceJson(t: Trace, model: MmModel): unknown[] {
  return t.steps.map((s, i) => ({
    actor: s.actor, action: s.action, instruction: s.starts ?? null, step: s.stepName, function: s.fn,
    explain: s.explain ?? null, changes: s.changes, state: decodeState(model, t.states[i + 1]!),
  }));
}

function resultJson(r: SimulateResult): Record<string, unknown> {
  return {
    scenario: r.scenario, kernel: r.kernel, era: r.era, verdict: r.verdict, invariants: r.invariants,
    seed: r.seed, runs: r.runs, maxSteps: r.maxSteps, stats: r.stats,
    violations: r.violations.map((v) => ({
      invariant: v.invariant, run: v.run, shrinks: v.shrinks, choices: v.choices, shrunkPath: v.shrunkPath, path: v.path,
      trace: traceJson(v.trace, r.model), text: v.text,
    })),
  };
}

export function runSimulate(a: SimulateArgs, io: Io): number {
  const format = formatOf(a, ['text', 'json']);
  const seed = integerOption('seed', a.seed, SIMULATE_DEFAULTS.seed, 0, 2 ** 31 - 1);
  const runs = integerOption('runs', a.runs, SIMULATE_DEFAULTS.runs, 1);
  const maxSteps = integerOption('max-steps', a['max-steps'], SIMULATE_DEFAULTS.maxSteps, 1);
  const kernels = kernelsOf(a, NEWEST);
  const invariants = invariantsOf(a);
  const s = loadScenario(a.scenario);
  const results: SimulateResult[] = [];
  for (const k of kernels) {
    const r = simulate(s, k, { seed, runs, maxSteps, ...(invariants ? { invariants } : {}) });
    results.push(r);
    if (format !== 'text') continue;
    io.out(summary(io, r));
    for (const v of r.violations) io.out(`\n${v.text}\n`);
  }
  if (format === 'json') io.out(JSON.stringify(results.map(resultJson), null, 2));
  else io.out(`replay with --seed ${seed}`);
  return results.some((r) => r.verdict === 'violated') ? EXIT_VIOLATION : EXIT_OK;
}
