/**
 * check(): explore one scenario on one kernel and return data — holds,
 * violated (with a shortest trace per violated invariant) or incomplete —
 * never printing, never exiting (DESIGN.md §3).
 */
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
import { invariantReads } from '../invariants/reads.js';
import { recheckFull } from './recheck.js';
import { runEngine } from './engine.js';
import type { EngineOptions, Strategy } from './engine.js';
import type { ShardCut } from '../explorer/parallel.js';
import type { ExploreResult, Violation } from '../explorer/types.js';

export interface CheckOptions extends EngineOptions {
  /** BFS depth bound (default: the scenario's `depth`, else 200) */
  readonly depth?: number;
  /** restrict to these invariants (default: the scenario's) */
  readonly invariants?: readonly string[];
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  readonly listener?: ExploreListener;
  /** the command that names the scenario in `Reproduce:` lines (default `npx pincow check SCENARIO`; open mode: `npx pincow explore ...`) */
  readonly command?: string;
  /** partial-order reduction (default on; explorer/por.ts) */
  readonly por?: boolean;
  /** symmetry reduction over page frames (default on; model/symmetry.ts) */
  readonly symmetry?: boolean;
  /** after a reduced run finds violations, rerun the full graph to their depth for its shortest paths (default on; api/recheck.ts) */
  readonly recheck?: boolean;
}

/**
 * The options a counterexample's path depends on, for its Reproduce line:
 * a BFS path is the full graph's shortest whatever the reductions (the
 * recheck), but a depth-first path is the first one its search met, in
 * the graph its reductions left.
 */
function pathFlags(o: CheckOptions): string {
  if (o.strategy !== 'dfs') return '';
  return ` --strategy dfs${o.por === false ? ' --no-por' : ''}${o.symmetry === false ? ' --no-symmetry' : ''}`;
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
  /**
   * What was explored, exactly: `levels` BFS levels (of the depth bound
   * `depth`) of the `graph` — `reduced` when POR or symmetry was on — and
   * whether the queue was `exhausted` (then every reachable state of the
   * full graph is covered; a bounded reduced run covers `levels` levels of
   * the reduced graph only, which may reach less deep into the full one).
   */
  readonly bound: {
    readonly depth: number; readonly levels: number; readonly graph: 'full' | 'reduced';
    readonly por: boolean; readonly symmetry: boolean; readonly exhausted: boolean;
  };
  readonly stats: {
    readonly states: number; readonly transitions: number; readonly maxDepth: number; readonly seconds: number;
    readonly statesPerSecond: number; readonly bytesPerState: number; readonly collisionProbability: number;
  };
  /** why it is incomplete */
  readonly limit?: string;
  /** after a reduced run found violations: the full-graph rerun that made their paths shortest (api/recheck.ts) */
  readonly recheck?: { readonly states: number; readonly complete: boolean };
  /** the model instance (to decode the trace's states) */
  readonly model: MmModel;
  /** how it was explored, when not by the default one-thread BFS */
  readonly run?: { readonly strategy: Strategy; readonly workers: number };
  /**
   * A `--shard` run: where the frontier was cut, and the explorer's raw
   * outcome (violations with their BFS paths, before any recheck or
   * minimisation), which `merge` combines across shards (api/shard.ts).
   */
  readonly shard?: {
    readonly index: number; readonly count: number; readonly cut: ShardCut;
    readonly end: ExploreResult['end']; readonly found: readonly Violation[];
  };
}

export const DEFAULT_DEPTH = 200;

/** The explorer's properties for invariant names (no-deadlock is the explorer's own); also what worker threads build (api/modelFactory.ts). */
export function properties(model: MmModel, names: readonly string[]): Property[] {
  return names.filter((n) => n !== NO_DEADLOCK).map((n) => {
    const inv = invariantByName(n);
    if (!inv) throw new PincowError('unknown-name', `unknown invariant "${n}"`);
    const pred = inv.make(model);
    const v = new StateView(model.lay); // reused: re-pointed at each state
    const reads = invariantReads(model, n); // for POR's visibility condition
    return { name: n, holds: (s: Uint8Array) => { v.b = s; return pred(v); }, ...(reads ? { reads } : {}) };
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
  const props = properties(model, names);
  const r = runEngine(model, {
    maxDepth: depth, maxStates: o.maxStates ?? 20_000_000, maxSeconds: o.maxSeconds ?? Infinity,
    properties: props, deadlock: names.includes(NO_DEADLOCK),
    stopWhenAllViolated: true, listener: o.listener, now: () => performance.now(),
    por: o.por ?? true, symmetry: o.symmetry ?? true,
  }, s, kernel, names, o);
  const reduced = r.reductions.por || r.reductions.symmetry;
  // Reduced paths may be longer than the full graph's shortest (checker-anchors §4.6).
  // A shard leaves the recheck and the counterexamples to `merge`, which sees every shard's paths;
  // DFS skips it: a full BFS as deep as a DFS path is the memory DFS was chosen to save.
  const rc = reduced && r.violations.length > 0 && (o.recheck ?? true) && !o.shard && o.strategy !== 'dfs'
    ? recheckFull(model, props, r.violations, { ...(o.maxStates !== undefined ? { maxStates: o.maxStates } : {}), ...(o.maxSeconds !== undefined ? { maxSeconds: o.maxSeconds } : {}) })
    : undefined;
  const found = rc?.violations ?? r.violations;
  const invariants = names.map((n): InvariantVerdict => {
    const v = found.find((x) => x.property === n);
    if (!v) return { invariant: n, verdict: 'holds' };
    if (o.shard) return { invariant: n, verdict: 'violated' };
    // model.kernel: with the scenario's own with/without switches, for the trace header.
    const { path, trace, text } = counterexample(s, model.kernel, model, n, v.path, `${o.command ?? `npx pincow check ${scenarioArg(s)}`} --kernel ${kernel.label}${switchFlags(kernel)}${pathFlags(o)}`);
    return { invariant: n, verdict: 'violated', path, trace, text };
  });
  const violated = invariants.some((i) => i.verdict === 'violated');
  const complete = r.end === 'exhausted' || r.end === 'all-violated';
  const verdict = violated ? 'violated' : complete ? 'holds' : 'incomplete';
  return {
    scenario: s.name, kernel: kernel.label, era: kernel.era.id, verdict, invariants,
    bound: {
      depth, levels: r.stats.maxDepth, graph: reduced ? 'reduced' : 'full',
      por: r.reductions.por, symmetry: r.reductions.symmetry, exhausted: r.end === 'exhausted',
    },
    stats: r.stats,
    model,
    ...(rc ? { recheck: { states: rc.states, complete: rc.complete } } : {}),
    ...(verdict === 'incomplete' ? { limit: limitText(r, depth, o) } : {}),
    ...(o.strategy === 'dfs' || o.workers ? { run: { strategy: o.strategy ?? 'bfs', workers: o.workers ?? 1 } } : {}),
    ...(o.shard && r.shard ? { shard: { index: o.shard.index, count: o.shard.count, cut: r.shard, end: r.end, found: r.violations } } : {}),
  };
}

/** Why a run is incomplete, in words. */
function limitText(r: ExploreResult, depth: number, o: CheckOptions): string {
  if (r.end === 'depth') return `depth bound ${depth} reached`;
  if (r.limit === 'interrupted') return 'interrupted';
  if (r.limit === 'memory') return `memory bound ${o.maxMemory ?? '?'} MiB reached`;
  return `${r.limit} bound reached`;
}
