/**
 * simulate(): seeded random walks through a scenario's state graph, for
 * graphs beyond what check() can exhaust or for a quick smoke check. It
 * proves nothing — a walk may miss a violation — but every violation it
 * finds is real, shrunk, and replays from the seed.
 *
 * fast-check is the engine: each run is an array of random choices (one
 * per step; the walk takes `enabled[choice % n]`), so fast-check's seeded
 * generation makes runs reproducible and its shrinking makes a failing
 * run small. The shrunk path then goes through the same minimisation and
 * rendering as check()'s counterexamples (api/violation.ts).
 *
 * Each violated invariant's result is the shrunk form of the first run
 * (in seed order) that breaks it, whatever other invariants are checked:
 * one fast-check pass per violation, each pass skipping the runs the
 * previous passes already found clean.
 */
import fc from 'fast-check';
import { FingerprintSet, hashHi, hashLo } from '../explorer/fingerprint.js';
import type { Kernel } from '../model/kernels.js';
import { MmModel } from '../model/mmModel.js';
import { PincowError } from '../model/errors.js';
import type { Trace } from '../counterexamples/trace.js';
import type { LoadedScenario } from '../scenario/catalog.js';
import { counterexample, scenarioArg, switchFlags } from './violation.js';
import { stateChecks, walk } from './walk.js';

export interface SimulateOptions {
  /** fast-check's seed: the same seed gives the same runs and the same result */
  readonly seed: number;
  /** how many random walks */
  readonly runs: number;
  /** each walk stops after this many steps (or earlier, at the end of every program) */
  readonly maxSteps: number;
  /** check only these invariants (default: the scenario's) */
  readonly invariants?: readonly string[];
}

export interface SimulatedViolation {
  readonly invariant: string;
  /** the run (1-based, in seed order) that first broke it */
  readonly run: number;
  /** how many successful shrink steps fast-check took */
  readonly shrinks: number;
  /** fast-check's shrunk counterexample: the choices of the walk */
  readonly choices: readonly number[];
  /** the action path the shrunk choices walk, up to the violation */
  readonly shrunkPath: readonly number[];
  /** that path made minimal and normalised, as check() reports its paths */
  readonly path: readonly number[];
  readonly trace: Trace;
  /** the counterexample for a mailing list */
  readonly text: string;
}

export interface SimulateResult {
  readonly scenario: string;
  readonly kernel: string;
  readonly era: string;
  /** `no-violation`: none found in these runs, which proves nothing */
  readonly verdict: 'violated' | 'no-violation';
  readonly invariants: readonly string[];
  readonly seed: number;
  readonly runs: number;
  readonly maxSteps: number;
  /** one per violated invariant, in the order of `invariants` */
  readonly violations: readonly SimulatedViolation[];
  readonly stats: {
    /** random walks taken (fewer than `runs` when every invariant was broken early) */
    readonly runs: number;
    /** steps taken by those walks (shrinking not counted) */
    readonly steps: number;
    /** distinct states those walks reached (by 64-bit fingerprint) */
    readonly distinctStates: number;
    /** how the walks ended: every program done, stuck with a program unfinished, or cut at maxSteps */
    readonly ends: { readonly final: number; readonly deadlock: number; readonly maxSteps: number };
  };
  /** the model instance (to decode the traces' states) */
  readonly model: MmModel;
}

export const SIMULATE_DEFAULTS = { seed: 1, runs: 100, maxSteps: 200 } as const;

const MAX_SEED = 2 ** 31 - 1;

function checkOptions(o: SimulateOptions): void {
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > MAX_SEED) throw new PincowError('bad-option', `the seed must be an integer from 0 to ${MAX_SEED}, found ${String(o.seed)}`);
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new PincowError('bad-option', `the number of runs must be a positive integer, found ${String(o.runs)}`);
  if (!Number.isInteger(o.maxSteps) || o.maxSteps < 1) throw new PincowError('bad-option', `the number of steps must be a positive integer, found ${String(o.maxSteps)}`);
}

/**
 * Seeded random walks through the scenario on one kernel, checking the
 * invariants in every state; returns data, never prints. Deterministic:
 * the same scenario, kernel and options give the same result.
 *
 * @param s a loaded scenario (`loadScenario`, `compileText`)
 * @param kernel one kernel, e.g. `resolveKernels('5.7')[0]`
 * @param o the seed, the number of walks, the step bound per walk, and the invariants (default: the scenario's)
 */
export function simulate(s: LoadedScenario, kernel: Kernel, o: SimulateOptions): SimulateResult {
  checkOptions(o);
  const names = [...(o.invariants ?? s.invariants)];
  const model = new MmModel(s.cfg, kernel);
  const checks = stateChecks(model, names);
  const choicesArb = fc.array(fc.nat(), { maxLength: o.maxSteps, size: 'max' });

  // What the walks (not the shrinking) saw; a walk is counted the first time its run index comes.
  const seen = new FingerprintSet();
  const words = model.stateBytes >> 2;
  const aligned = new Uint8Array(words * 4);
  const aligned32 = new Uint32Array(aligned.buffer);
  const visit = (st: Uint8Array): void => {
    aligned.set(st);
    seen.add(hashHi(aligned32, 0, words), hashLo(aligned32, 0, words));
  };
  let counted = 0;
  let steps = 0;
  const ends = { final: 0, deadlock: 0, maxSteps: 0 };

  const pending = [...names];
  const found = new Map<string, { run: number; shrinks: number; choices: number[] }>();
  let cleanBelow = 0; // runs before this index broke none of the pending invariants
  while (pending.length > 0) {
    let run = 0;
    let target: string | undefined;
    const targetCheck = (): ReturnType<typeof stateChecks> => checks.filter((c) => c.name === target);
    const property = fc.property(choicesArb, (choices) => {
      if (target === undefined) { // generation: run number `run`, in seed order
        run++;
        if (run < cleanBelow) return true;
        const fresh = run > counted;
        const w = walk(model, choices, { maxSteps: o.maxSteps, extend: true, checks, ...(fresh ? { visit } : {}) });
        if (fresh) {
          counted = run;
          steps += w.path.length;
          if (w.end === 'final') ends.final++;
          else if (w.end === 'max-steps') ends.maxSteps++;
          else ends.deadlock++;
        }
        let first: string | undefined;
        for (const n of pending) {
          const at = w.broken.get(n);
          if (at !== undefined && (first === undefined || at < w.broken.get(first)!)) first = n;
        }
        if (first === undefined) return true;
        target = first;
        return false;
      }
      // shrinking: a smaller run fails only if it breaks the same invariant
      return !walk(model, choices, { maxSteps: o.maxSteps, extend: true, checks: targetCheck(), stopOn: target }).broken.has(target);
    });
    const d = fc.check(property, { seed: o.seed, numRuns: o.runs });
    if (!d.failed) break;
    // a user error the model raises while walking (e.g. it ran out of page frames) stays one
    if (d.errorInstance instanceof PincowError) throw d.errorInstance;
    const choices = d.counterexample?.[0];
    const inv = target;
    if (inv === undefined || !choices || !walk(model, choices, { maxSteps: o.maxSteps, extend: true, checks: targetCheck(), stopOn: inv }).broken.has(inv)) {
      throw new Error(`pincow internal error in simulate: ${d.errorInstance instanceof Error ? d.errorInstance.message : 'no counterexample'}`, { cause: d.errorInstance });
    }
    found.set(inv, { run, shrinks: d.numShrinks, choices: [...choices] });
    pending.splice(pending.indexOf(inv), 1);
    cleanBelow = run;
  }

  const base = `npx pincow simulate ${scenarioArg(s)} --kernel ${kernel.label}${switchFlags(kernel)} --seed ${o.seed} --runs ${o.runs} --max-steps ${o.maxSteps}`;
  const violations = names.flatMap((n): SimulatedViolation[] => {
    const f = found.get(n);
    if (!f) return [];
    const shrunkPath = walk(model, f.choices, { maxSteps: o.maxSteps, extend: true, checks: checks.filter((c) => c.name === n), stopOn: n }).path;
    const cx = counterexample(s, kernel, model, n, shrunkPath, `${base} --invariant ${n}`);
    return [{ invariant: n, run: f.run, shrinks: f.shrinks, choices: f.choices, shrunkPath, ...cx }];
  });
  return {
    scenario: s.name, kernel: kernel.label, era: kernel.era.id,
    verdict: violations.length ? 'violated' : 'no-violation',
    invariants: names, seed: o.seed, runs: o.runs, maxSteps: o.maxSteps, violations,
    stats: { runs: counted, steps, distinctStates: seen.size, ends },
    model,
  };
}
