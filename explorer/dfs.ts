/**
 * Depth-first exploration (`--strategy dfs`), for memory-light runs: a
 * stack of states (one per level of the current path) and the visited
 * fingerprints, nothing per state beyond its table slot — no parent
 * index, no level arenas. A violation's path is the stack at the moment
 * it is found: a real path, but not a shortest one (BFS gives those).
 *
 * The depth bound with a visited set needs care (checker-anchors §4.6:
 * a state first met deep and cut off there would never be expanded when
 * met again higher up). When the bound cut something off, the search runs
 * again keeping per fingerprint the smallest depth at which the state was
 * expanded, and expands a state met again at a smaller depth once more
 * from there (SPIN's -DREACH idea), so "no violation within depth N"
 * keeps its BFS meaning: every state within N steps of the initial state
 * was checked.
 *
 * Reductions: POR with the stack proviso (explorer/por.ts contract: an
 * ample successor on the stack forces full expansion), symmetry by
 * canonicalising every state before it is hashed.
 *
 * Successors go through the BFS's pipeline (explorer/successor.ts): each
 * frame keeps its state's raw fingerprint sums, so a successor's
 * fingerprint is its parent's plus the changed words' terms, an invariant
 * is checked only where the step changed a byte it reads (the parent, a
 * frame of the stack, was checked when first met), and the canonical form
 * only where the step touched a frame. Open-mode benchmark, one thread:
 * 5.5-5.9 s, against 7.2-7.9 s with a full hash and canonical form per
 * transition and every pending invariant per new state
 * (docs/explorer-costs.md).
 */
import { collisionProbability, finishHi, finishLo, FingerprintSet, rawA, rawB } from './fingerprint.js';
import { FingerprintMap } from './fingerprintMap.js';
import { AmpleSelector } from './por.js';
import { Successors } from './successor.js';
import type { ExploreOptions, ExploreResult, Model, Violation } from './types.js';
import { NO_DEADLOCK } from './types.js';

/** The DFS stack: per frame the state, its actions to take, the next one, and its fingerprint (finished, and the raw sums it came from). */
class Stack {
  depth = -1;
  states: Uint8Array;
  acts: Int32Array;
  count: Int32Array;
  next: Int32Array;
  /** the action taken from this frame to the one above (for paths) */
  via: Int32Array;
  /** an ample set whose proviso has not fired yet (the other enabled actions may still have to be added) */
  reduced: Uint8Array;
  hi: Uint32Array;
  lo: Uint32Array;
  sumA: Int32Array;
  sumB: Int32Array;
  constructor(readonly bytes: number, readonly width: number, frames = 64) {
    this.states = new Uint8Array(bytes * frames);
    this.acts = new Int32Array(width * frames);
    this.count = new Int32Array(frames);
    this.next = new Int32Array(frames);
    this.via = new Int32Array(frames);
    this.reduced = new Uint8Array(frames);
    this.hi = new Uint32Array(frames);
    this.lo = new Uint32Array(frames);
    this.sumA = new Int32Array(frames);
    this.sumB = new Int32Array(frames);
  }
  get capacity(): number {
    return this.count.length;
  }
  get memory(): number {
    return this.states.byteLength + this.acts.byteLength + this.count.length * 29;
  }
  ensure(frames: number): void {
    if (frames <= this.capacity) return;
    const n = Math.max(frames, this.capacity * 2);
    const grow = <T extends Uint8Array | Int32Array | Uint32Array>(a: T, per: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n * per);
      b.set(a);
      return b;
    };
    this.states = grow(this.states, this.bytes);
    this.acts = grow(this.acts, this.width);
    this.count = grow(this.count, 1);
    this.next = grow(this.next, 1);
    this.via = grow(this.via, 1);
    this.reduced = grow(this.reduced, 1);
    this.hi = grow(this.hi, 1);
    this.lo = grow(this.lo, 1);
    this.sumA = grow(this.sumA, 1);
    this.sumB = grow(this.sumB, 1);
  }
  state(d: number): Uint8Array {
    return this.states.subarray(d * this.bytes, (d + 1) * this.bytes);
  }
  /** Is the fingerprint on frames 0..depth? (linear: stacks are shallow, and only the POR proviso asks) */
  has(hi: number, lo: number): boolean {
    for (let d = 0; d <= this.depth; d++) if (this.lo[d] === lo && this.hi[d] === hi) return true;
    return false;
  }
  path(): number[] {
    return Array.from(this.via.subarray(0, this.depth));
  }
}

/**
 * Explore `model` depth-first under `opts`: the same contract as explore()
 * (explorer/bfs.ts) except that violation paths are not shortest, and
 * stats.maxDepth is the deepest stack.
 */
export function exploreDfs(model: Model, opts: ExploreOptions): ExploreResult {
  const symmetry = opts.symmetry && model.canonicalize !== undefined;
  if (symmetry) {
    try {
      return cutAware(model, opts, true, false);
    } catch (e) {
      if (!(e instanceof SymmetryUnsafe)) throw e;
    }
  }
  return cutAware(model, opts, false, symmetry);
}

/**
 * First without depth re-expansion (a state met again is never expanded
 * again): when no state was cut off by the depth bound, every reachable
 * state was explored and the result is exact. Expanding a state again
 * each time it is met higher up is only needed when the bound cut
 * something, and it is costly on graphs where paths of many lengths meet
 * (4x the transitions on bench-style scenarios with POR): so only then
 * is the search run again with it.
 */
function cutAware(model: Model, opts: ExploreOptions, symmetry: boolean, symmetryDropped: boolean): ExploreResult {
  const r = run(model, opts, symmetry, symmetryDropped, false);
  return r.end === 'depth' ? run(model, opts, symmetry, symmetryDropped, true) : r;
}

/** What a run asks of its visited set: the smallest depth a fingerprint was expanded at (-1: never), and to record one. */
interface Visited {
  readonly size: number;
  readonly bytes: number;
  get(hi: number, lo: number): number;
  lower(hi: number, lo: number, depth: number): void;
}

/**
 * The first run never reads the depths (a state met again is not
 * expanded again): a fingerprint set (8 B a slot, grown by half) does,
 * instead of the map's 12 B a slot grown by two. Open-mode benchmark:
 * 27.9 -> 12.0 B/state, half the BFS's 23.9 (which keeps the paths).
 * (Each new state costs two probes, has then add; the second finds the
 * slot the first just read, in the cache.)
 */
class VisitedSet implements Visited {
  private readonly set = new FingerprintSet();
  get size(): number {
    return this.set.size;
  }
  get bytes(): number {
    return this.set.bytes;
  }
  get(hi: number, lo: number): number {
    return this.set.has(hi, lo) ? 0 : -1;
  }
  lower(hi: number, lo: number): void {
    this.set.add(hi, lo);
  }
}

/** Thrown inside a run when the model says symmetry is unsafe in a state it reached (as in explorer/bfs.ts). */
class SymmetryUnsafe extends Error {}

function run(model: Model, opts: ExploreOptions, symmetry: boolean, symmetryDropped: boolean, depthAware: boolean): ExploreResult {
  const t0 = opts.now();
  const sb = model.stateBytes;
  const words = sb >>> 2;
  const width = Math.max(1, model.actionCount);
  // fingerprint -> the smallest depth it was expanded at (only a re-expanding run reads it)
  const visited: Visited = depthAware ? new FingerprintMap() : new VisitedSet();
  const stack = new Stack(sb, width);
  const sel = opts.por && model.por ? new AmpleSelector(model, opts.properties) : undefined;
  const succ = new Successors(model, opts.properties, symmetry);
  const safe = symmetry && model.symmetrySafe ? model.symmetrySafe.bind(model) : undefined;
  const enabled = new Int32Array(width);
  const chosen = new Int32Array(width);
  const found = new Map<string, Violation>();
  /** indices into opts.properties not violated yet (a property is checked until it first fails) */
  const pending: number[] = opts.properties.map((_, k) => k);
  const total = opts.properties.length + (opts.deadlock ? 1 : 0);
  let transitions = 0;
  let maxDepth = 0;
  let beyond = false;
  let end: ExploreResult['end'] = 'exhausted';
  let limit: ExploreResult['limit'];
  /** the frame succ was last begun on (-1: none, or its frame was rewritten since) */
  let begun = -1;

  /** Check the pending properties on `state`; with `changed`, only those the step to it may have changed (successor.ts). */
  const check = (state: Uint8Array, path: () => number[], changed?: Successors): void => {
    for (let i = pending.length - 1; i >= 0; i--) {
      const k = pending[i]!;
      if (changed && !changed.mustCheck(k)) continue;
      const p = opts.properties[k]!;
      if (!p.holds(state)) {
        found.set(p.name, { property: p.name, path: path() });
        pending.splice(i, 1);
      }
    }
  };

  /** Push `state` (canonical, with its raw sums) as frame depth+1 and work out its actions. */
  const push = (state: Uint8Array, a: number, b: number): void => {
    const d = ++stack.depth;
    stack.ensure(d + 1);
    stack.states.set(state, d * sb);
    stack.sumA[d] = a;
    stack.sumB[d] = b;
    stack.hi[d] = finishHi(a);
    stack.lo[d] = finishLo(b);
    stack.next[d] = 0;
    stack.reduced[d] = 0;
    if (begun === d) begun = -1;
    maxDepth = Math.max(maxDepth, d);
    const frame = stack.state(d);
    const n = model.enabled(frame, enabled);
    if (n === 0 && opts.deadlock && !found.has(NO_DEADLOCK) && !model.isFinal(frame)) {
      found.set(NO_DEADLOCK, { property: NO_DEADLOCK, path: stack.path() });
    }
    if (safe && n > 0 && !safe(frame)) throw new SymmetryUnsafe();
    let k = n;
    if (sel && n > 1) {
      k = sel.choose(frame, enabled, n, chosen);
      stack.acts.set(chosen.subarray(0, k), d * width);
      stack.reduced[d] = k < n ? 1 : 0;
    } else {
      stack.acts.set(enabled.subarray(0, n), d * width);
    }
    stack.count[d] = k;
  };

  /** The stack proviso fired in frame d: add its enabled actions that are not in its ample set. */
  const expandFully = (d: number): void => {
    const state = stack.state(d);
    const n = model.enabled(state, enabled);
    const base = d * width;
    let k = stack.count[d]!;
    const ample = stack.acts.subarray(base, base + k).slice();
    for (let j = 0; j < n; j++) if (!ample.includes(enabled[j]!)) stack.acts[base + k++] = enabled[j]!;
    stack.count[d] = k;
    stack.reduced[d] = 0;
    sel!.countFull();
  };

  {
    const init = new Uint8Array(sb); // a copy, word-aligned for hashing
    init.set(model.initialState());
    if (symmetry) model.canonicalize!(init);
    const w = new Uint32Array(init.buffer);
    const a = rawA(w, 0, words);
    const b = rawB(w, 0, words);
    visited.lower(finishHi(a), finishLo(b), 0);
    check(init, () => []);
    push(init, a, b);
  }

  outer: while (stack.depth >= 0) {
    const d = stack.depth;
    if (opts.stopWhenAllViolated && total > 0 && found.size === total) { end = 'all-violated'; break; }
    if (stack.next[d]! >= stack.count[d]!) {
      stack.depth--;
      continue;
    }
    const a = stack.acts[d * width + stack.next[d]!]!;
    stack.next[d]!++;
    if (begun !== d) {
      succ.begin(stack.state(d), stack.sumA[d]!, stack.sumB[d]!);
      begun = d;
    }
    succ.make(a); // canonical, with its fingerprint
    if ((++transitions & 4095) === 0) {
      if (visited.size >= opts.maxStates) { end = 'limit'; limit = 'states'; break outer; }
      if ((opts.now() - t0) / 1000 > opts.maxSeconds) { end = 'limit'; limit = 'seconds'; break outer; }
      const why = opts.stop?.();
      if (why) { end = 'limit'; limit = why; break outer; }
      opts.listener?.onTick?.({ states: visited.size, transitions, depth: stack.depth, queue: stack.depth + 1 });
    }
    const hi = succ.hi;
    const lo = succ.lo;
    if (stack.reduced[d] && stack.has(hi, lo)) expandFully(d); // C3, stack proviso
    const seen = visited.get(hi, lo);
    if (seen >= 0 && (!depthAware || seen <= d + 1)) continue;
    if (d >= opts.maxDepth) {
      if (seen < 0) beyond = true; // a new state beyond the depth bound
      continue;
    }
    visited.lower(hi, lo, d + 1); // new, or met higher up than before
    stack.via[d] = a;
    if (seen < 0) check(succ.out, () => Array.from(stack.via.subarray(0, d + 1)), succ);
    push(succ.out, succ.outA, succ.outB);
  }
  if (end === 'exhausted' && beyond) end = 'depth';

  const seconds = Math.max(1e-9, (opts.now() - t0) / 1000);
  const states = visited.size;
  return {
    end,
    limit,
    violations: [...found.values()],
    stats: {
      states, transitions, maxDepth, seconds, statesPerSecond: states / seconds,
      bytesPerState: (visited.bytes + stack.memory) / states,
      collisionProbability: collisionProbability(states),
    },
    reductions: {
      por: sel !== undefined, symmetry, symmetryDropped,
      ampleStates: sel?.stats.ampleStates ?? 0, fullStates: sel?.stats.fullStates ?? 0,
    },
  };
}
