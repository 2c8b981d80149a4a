/**
 * check(): explore one scenario on one kernel and return data — holds,
 * violated (with a shortest trace per violated invariant) or incomplete —
 * never printing, never exiting (DESIGN.md §3).
 */
import { explore } from '../explorer/bfs.js';
import type { ExploreListener, Property } from '../explorer/types.js';
import { NO_DEADLOCK } from '../explorer/types.js';
import { invariantByName } from '../invariants/index.js';
import type { Kernel } from '../model/kernels.js';
import { MmModel } from '../model/mmModel.js';
import { StateView } from '../model/view.js';
import { PincowError } from '../model/errors.js';
import type { Trace } from '../counterexamples/trace.js';
import type { LoadedScenario } from '../scenario/catalog.js';
import { counterexample, scenarioArg, switchFlags } from './violation.js';

export interface CheckOptions {
  /** BFS depth bound (default: the scenario's `depth`, else 200) */
  readonly depth?: number;
  /** restrict to these invariants (default: the scenario's) */
  readonly invariants?: readonly string[];
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  readonly listener?: ExploreListener;
}

export interface InvariantVerdict {
  readonly invariant: string;
  readonly verdict: 'holds' | 'violated';
  readonly path?: readonly number[];
  readonly trace?: Trace;
  /** the counterexample for a mailing list */
  readonly text?: string;
}

export interface CheckResult {
  readonly scenario: string;
  readonly kernel: string;
  readonly era: string;
  readonly verdict: 'holds' | 'violated' | 'incomplete';
  readonly invariants: readonly InvariantVerdict[];
  readonly bound: { readonly depth: number; readonly por: boolean; readonly symmetry: boolean; readonly exhausted: boolean };
  readonly stats: {
    readonly states: number; readonly transitions: number; readonly maxDepth: number; readonly seconds: number;
    readonly statesPerSecond: number; readonly bytesPerState: number; readonly collisionProbability: number;
  };
  /** why it is incomplete */
  readonly limit?: string;
  /** the model instance (to decode the trace's states) */
  readonly model: MmModel;
}

export const DEFAULT_DEPTH = 200;

function properties(model: MmModel, names: readonly string[]): Property[] {
  return names.filter((n) => n !== NO_DEADLOCK).map((n) => {
    const inv = invariantByName(n);
    if (!inv) throw new PincowError('unknown-name', `unknown invariant "${n}"`);
    const pred = inv.make(model);
    const v = new StateView(model.lay); // reused: re-pointed at each state
    return { name: n, holds: (s: Uint8Array) => { v.b = s; return pred(v); } };
  });
}

/**
 * Explore one scenario on one kernel breadth-first and return the verdict
 * as data, never printing: `holds` (every reachable state within the
 * bounds was explored), `violated` (per violated invariant a minimal
 * path, its replayed trace and its text; the BFS path is a shortest one)
 * or `incomplete` (a bound stopped it first; `limit` says which).
 *
 * @param s a loaded scenario (`loadScenario`, `compileText`)
 * @param kernel one kernel, e.g. `resolveKernels('6.1')[0]`
 * @param o bounds, the invariants to check (default: the scenario's) and a progress listener
 */
export function check(s: LoadedScenario, kernel: Kernel, o: CheckOptions = {}): CheckResult {
  const names = o.invariants ?? s.invariants;
  const model = new MmModel(s.cfg, kernel);
  const depth = o.depth ?? s.depth ?? DEFAULT_DEPTH;
  const r = explore(model, {
    maxDepth: depth, maxStates: o.maxStates ?? 20_000_000, maxSeconds: o.maxSeconds ?? Infinity,
    properties: properties(model, names), deadlock: names.includes(NO_DEADLOCK),
    stopWhenAllViolated: true, listener: o.listener, now: () => performance.now(),
  });
  const invariants = names.map((n): InvariantVerdict => {
    const v = r.violations.find((x) => x.property === n);
    if (!v) return { invariant: n, verdict: 'holds' };
    const { path, trace, text } = counterexample(s, kernel, model, n, v.path, `npx pincow check ${scenarioArg(s)} --kernel ${kernel.label}${switchFlags(kernel)}`);
    return { invariant: n, verdict: 'violated', path, trace, text };
  });
  const violated = invariants.some((i) => i.verdict === 'violated');
  const complete = r.end === 'exhausted' || r.end === 'all-violated';
  const verdict = violated ? 'violated' : complete ? 'holds' : 'incomplete';
  return {
    scenario: s.name, kernel: kernel.label, era: kernel.era.id, verdict, invariants,
    bound: { depth, por: false, symmetry: false, exhausted: r.end === 'exhausted' },
    stats: r.stats,
    model,
    ...(verdict === 'incomplete' ? { limit: r.end === 'depth' ? `depth bound ${depth} reached` : `${r.limit} bound reached` } : {}),
  };
}
