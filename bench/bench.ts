/**
 * `npm run bench`: explorer throughput on fixed configurations, as figures
 * (not timed tests; issue #4 point 7). Per configuration and worker count:
 * distinct states, transitions, seconds (median of the runs), distinct
 * states/s, bytes/state, and the state count of the full graph (no POR, no
 * symmetry) so the reduction factor can be read off.
 *
 * Configurations:
 * - open mode, 2 processes x 2 pages, up to 3 operations per actor, newest
 *   era, all invariants (the issue's open-mode benchmark);
 * - the same, depth-first (`--strategy dfs`, one worker: memory-light runs);
 * - the whole catalogue on every era (the `pincow matrix` job);
 * - bench/stress.pincow on 5.10 and 6.1 (a dense multi-thread scenario);
 * - the engine's ceiling: the reference's toy model (bench/toyModel.ts),
 *   with 64-byte states and with the open-mode state's size, explored by
 *   the generic explorer directly: what the explorer costs per state
 *   when the model costs nothing.
 *
 * Each configuration and worker count is run once unmeasured first (a
 * warm-up, see measure()), then measured `--runs` times.
 *
 * `--long` adds the same open mode with up to 4 operations per actor
 * (59 M states, ~3 min on one worker, ~1.7 min on two, 2.7 GB): a run
 * long enough that the second thread's start-up (~0.3 s cold: a V8
 * isolate loading the modules and warming its JIT while the first thread
 * goes on alone) does not weigh on the two-worker ratio. It is measured
 * once without a warm-up unless `--runs` says otherwise, and its full
 * graph (193 M states, ~5 min and ~10 GB) is counted on two workers.
 *
 * `--json` prints one object per configuration and worker count;
 * `--quick` runs each measurement once, without the warm-up (for smoke
 * tests); `--runs N`; `--only TEXT` runs the configurations whose name
 * contains TEXT.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from '../api/check.js';
import type { CheckOptions } from '../api/check.js';
import { openScenario } from '../api/explore.js';
import { INVARIANT_NAMES } from '../invariants/index.js';
import { ERAS, kernelOfEra, resolveKernels } from '../model/kernels.js';
import { MmModel } from '../model/mmModel.js';
import type { Kernel } from '../model/kernels.js';
import { catalogNames, compileText, loadScenario, packageRoot } from '../scenario/catalog.js';
import type { LoadedScenario } from '../scenario/catalog.js';
import { openSpec } from '../scenario/open.js';
import { exploreParallel } from '../explorer/parallel.js';
import { explore, exploreOptions } from '../explorer/bfs.js';
import { toyModel } from './toyModel.js';
import type { ToyArgs } from './toyModel.js';

interface Figure {
  config: string;
  workers: number;
  distinctStates: number;
  transitions: number;
  seconds: number;
  distinctStatesPerSecond: number;
  bytesPerState: number;
  statesWithoutReduction: number;
  /** reductions on in the measured runs */
  por: boolean;
  symmetry: boolean;
  /** the exploration covered everything (no bound hit) */
  exhausted: boolean;
  runs: number;
  /** fastest and slowest run, to show the machine's noise */
  secondsMin: number;
  secondsMax: number;
  /**
   * the unmeasured warm-up run before them (absent for long jobs): on two
   * workers, the run that started the worker thread, cold, as a single
   * `pincow explore --workers 2` does
   */
  warmUpSeconds?: number;
}

interface Job {
  readonly config: string;
  readonly cells: readonly { readonly s: LoadedScenario; readonly k: Kernel }[];
  readonly invariants?: readonly string[];
  /** instead of cells: the toy model (bench/toyModel.ts), explored without check() */
  readonly toy?: ToyArgs;
  /** minutes, not seconds: only with --long, measured once unless --runs is given, full graph counted on two workers */
  readonly long?: boolean;
  /** depth-first (`--strategy dfs`): one worker only, the parallel explorer is breadth-first */
  readonly dfs?: boolean;
}

interface Sample {
  states: number;
  transitions: number;
  seconds: number;
  bytes: number;
  exhausted: boolean;
  por: boolean;
  symmetry: boolean;
}

/** One run of the toy model: the explorer itself, one thread or `workers` (worker threads rebuild it from its factory). */
function runToy(args: ToyArgs, o: CheckOptions): Sample {
  const workers = o.workers ?? 1;
  const factory = { module: new URL('./toyModel.js', import.meta.url).href, exportName: 'buildToyModel', args };
  const t0 = performance.now();
  const model = toyModel(args);
  // as api/engine.ts: one worker is the one-thread BFS
  const r = workers > 1 ? exploreParallel(model, { ...exploreOptions({}), workers, factory, shard: undefined }) : explore(model, exploreOptions({}));
  return {
    states: r.stats.states, transitions: r.stats.transitions, seconds: (performance.now() - t0) / 1000,
    bytes: r.stats.bytesPerState, exhausted: r.end === 'exhausted', por: false, symmetry: false,
  };
}

/** One run of a job: every cell checked, figures summed (bytes/state: the largest cell's). */
function runJob(job: Job, o: CheckOptions): Sample {
  if (job.toy) return runToy(job.toy, o);
  const acc: Sample = { states: 0, transitions: 0, seconds: 0, bytes: 0, exhausted: true, por: false, symmetry: false };
  let largest = 0;
  for (const { s, k } of job.cells) {
    const t0 = performance.now();
    const r = check(s, k, { ...o, ...(job.invariants ? { invariants: job.invariants } : {}), ...(job.dfs ? { strategy: 'dfs' } : {}), recheck: false, maxStates: 500_000_000 });
    acc.seconds += (performance.now() - t0) / 1000;
    acc.states += r.stats.states;
    acc.transitions += r.stats.transitions;
    acc.exhausted &&= r.verdict !== 'incomplete';
    acc.por ||= r.bound.por;
    acc.symmetry ||= r.bound.symmetry;
    if (r.stats.states > largest) {
      largest = r.stats.states;
      acc.bytes = r.stats.bytesPerState;
    }
  }
  return acc;
}

/**
 * `runs` runs of `job` on `workers`, after a warm-up run unless the job is
 * long or the bench `--quick`. Why a warm-up: the one-worker runs follow
 * the full-graph count in the same thread, so their code is compiled and
 * hot; the worker threads kept between runs (explorer/threadPool.ts) are
 * hot only from their second run on. Without it the two-worker median
 * compared a cold start plus a hot run against hot runs. The warm-up's
 * time is reported.
 */
function measure(job: Job, workers: number, runs: number, full: number, quick: boolean): Figure {
  const warmUp = job.long || quick ? undefined : runJob(job, { workers }).seconds;
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(runJob(job, { workers }));
  samples.sort((a, b) => a.seconds - b.seconds);
  const med = samples[Math.floor(samples.length / 2)]!;
  return {
    config: job.config, workers, distinctStates: med.states, transitions: med.transitions,
    seconds: round(med.seconds, 3), distinctStatesPerSecond: Math.round(med.states / med.seconds),
    bytesPerState: round(med.bytes, 1), statesWithoutReduction: full, por: med.por, symmetry: med.symmetry,
    exhausted: med.exhausted, runs, secondsMin: round(samples[0]!.seconds, 3), secondsMax: round(samples[samples.length - 1]!.seconds, 3),
    ...(warmUp === undefined ? {} : { warmUpSeconds: round(warmUp, 3) }),
  };
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

function jobs(): Job[] {
  const newest = kernelOfEra(ERAS[ERAS.length - 1]!);
  const open = openScenario(openSpec({ procs: 2, pages: 2, maxOps: 3 }));
  const open4 = openScenario(openSpec({ procs: 2, pages: 2, maxOps: 4 }));
  const stress = (k: string): Job => {
    const file = 'bench/stress.pincow';
    const s = compileText(readFileSync(join(packageRoot(), file), 'utf8'), file, false);
    return { config: `${s.name} on ${k}`, cells: [{ s, k: resolveKernels(k)[0]! }] };
  };
  // the reference's toy (4 threads x 3 racy increments: 2,986,377 states), padded to `bytes`
  const toy = (bytes: number): Job => ({
    config: `engine ceiling: toy model (checker-anchors 5.4), ${bytes}-byte states`, cells: [], toy: { threads: 4, increments: 3, bytes },
  });
  return [
    { config: `${open.name} on ${newest.label} (all invariants)`, cells: [{ s: open, k: newest }], invariants: INVARIANT_NAMES },
    { config: `${open.name} on ${newest.label} (all invariants), depth-first`, cells: [{ s: open, k: newest }], invariants: INVARIANT_NAMES, dfs: true },
    { config: 'catalogue on E0-E9', cells: catalogNames().flatMap((n) => ERAS.map((e) => ({ s: loadScenario(n), k: kernelOfEra(e) }))) },
    stress('5.10'),
    stress('6.1'),
    toy(64),
    toy(new MmModel(open.cfg, newest).stateBytes),
    { config: `${open4.name} on ${newest.label} (all invariants)`, cells: [{ s: open4, k: newest }], invariants: INVARIANT_NAMES, long: true },
  ];
}

function main(): void {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const runsAt = argv.indexOf('--runs');
  const runsGiven = runsAt >= 0 ? Math.max(1, Number(argv[runsAt + 1]) || 3) : undefined;
  const runs = argv.includes('--quick') ? 1 : (runsGiven ?? 3);
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '') : '';
  const long = argv.includes('--long');
  const figures: Figure[] = [];
  for (const job of jobs().filter((j) => j.config.includes(only) && (long || !j.long))) {
    process.stderr.write(`bench: ${job.config} ...\n`);
    // a long job's full graph needs ~10 GB and minutes even so: counted on two workers (the count is the same)
    const full = runJob(job, { por: false, symmetry: false, ...(job.long ? { workers: 2 } : {}) }).states;
    for (const workers of job.dfs ? [1] : [1, 2]) {
      const f = measure(job, workers, job.long ? (runsGiven ?? 1) : runs, full, argv.includes('--quick'));
      figures.push(f);
      if (!json) process.stdout.write(line(f));
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}

function line(f: Figure): string {
  const red = f.statesWithoutReduction / Math.max(1, f.distinctStates);
  return `${f.config}, ${f.workers} worker(s): ${f.distinctStates} distinct states ` +
    `(${f.statesWithoutReduction} without reduction, x${red.toFixed(2)}; POR ${f.por ? 'on' : 'off'}, symmetry ${f.symmetry ? 'on' : 'off'}), ` +
    `${f.transitions} transitions, ${f.seconds.toFixed(2)} s (median of ${f.runs}; ${f.secondsMin.toFixed(2)}-${f.secondsMax.toFixed(2)}` +
    `${f.warmUpSeconds === undefined ? '' : `; warm-up run ${f.warmUpSeconds.toFixed(2)}`}), ` +
    `${f.distinctStatesPerSecond} states/s, ${f.bytesPerState} bytes/state${f.exhausted ? '' : ', NOT exhausted'}\n`;
}

main();
