/**
 * Breadth-first exploration, level-synchronous: every reachable state up
 * to the depth bound, each visited once (64-bit fingerprint set), with a
 * parent index and action id per state so that the shortest path to any
 * violation is rebuilt without storing states. Properties are checked on
 * every new state; the first (hence shortest) violation of each is kept
 * and exploration goes on for the others.
 *
 * Reductions (both optional, both off in `exploreOptions` so that exact
 * state counts mean the full graph unless asked otherwise):
 * - partial-order reduction: each state expands an ample set chosen by
 *   explorer/por.ts, with the BFS cycle proviso (a successor already
 *   reached at depth <= the current one forces full expansion);
 * - symmetry: every state is canonicalised (Model.canonicalize) before it
 *   is hashed, stored and expanded; paths stay action paths, which replay
 *   on the unreduced model. If the model reports a state where symmetry is
 *   unsafe (Model.symmetrySafe), the run starts again without it.
 */
import { collisionProbability, finishHi, finishLo, FingerprintSet, rawA, rawB } from './fingerprint.js';
import { BlockDecoder, BlockEncoder } from './levelBlocks.js';
import { Column32, Column8 } from './growable.js';
import { AmpleSelector, LevelSet } from './por.js';
import { Successors } from './successor.js';
import type { ExploreOptions, ExploreResult, Model, Violation } from './types.js';
import { NO_DEADLOCK } from './types.js';

interface Search {
  readonly model: Model;
  readonly opts: ExploreOptions;
  readonly visited: FingerprintSet;
  readonly parent: Column32;
  /** the action into each state (from its parent); a byte each when the model has at most 256 actions */
  readonly action: Column32 | Column8;
  readonly found: Map<string, Violation>;
  /** per property (opts.properties order): 1 once violated (then never checked again) */
  readonly done: Uint8Array;
  transitions: number;
}

function pathTo(s: Search, index: number): number[] {
  const path: number[] = [];
  for (let i = index; i > 0; i = s.parent.data[i]!) path.push(s.action.data[i]!);
  return path.reverse();
}

/**
 * Check the still-unviolated properties on a state with global index
 * `index`; with `succ`, only those whose read bytes the step changed
 * (explorer/successor.ts: the others hold, as they did on the parent).
 */
function checkProps(s: Search, state: Uint8Array, index: number, succ?: Successors): void {
  const props = s.opts.properties;
  for (let k = 0; k < props.length; k++) {
    if (s.done[k] || (succ && !succ.mustCheck(k))) continue;
    const p = props[k]!;
    if (!p.holds(state)) {
      s.found.set(p.name, { property: p.name, path: pathTo(s, index) });
      s.done[k] = 1;
    }
  }
}

function allViolated(s: Search): boolean {
  const total = s.opts.properties.length + (s.opts.deadlock ? 1 : 0);
  return total > 0 && s.found.size === total;
}

/**
 * One BFS level: its states, delta-encoded in one block (levelBlocks.ts:
 * each record against the one before, ~14 bytes per open-mode state
 * instead of 184), read back in order as the level is expanded. The
 * decoder also rebuilds each state's raw fingerprint sums from the words
 * that changed (successor.ts), so expanding a state needs no full hash
 * and the sums take no memory.
 */
class Level {
  private readonly enc: BlockEncoder;
  private readonly dec: BlockDecoder;
  count = 0;
  constructor(width: number) {
    this.enc = new BlockEncoder(width);
    this.dec = new BlockDecoder(width);
  }
  /** Append a state (its sums are rebuilt when it is read back). */
  push(state: Uint32Array): void {
    this.enc.push(state);
    this.count++;
  }
  /** Begin expanding state i in `succ` (its parent buffer then holds it): states are read in order, from 0. */
  begin(succ: Successors, i: number): Uint8Array {
    if (i === 0) this.dec.begin(this.enc.bytes, 0, this.enc.length);
    this.dec.next();
    return succ.beginWords(this.dec.cur, 0, true);
  }
  clear(): void {
    this.enc.clear();
    this.count = 0;
  }
  get peakBytes(): number {
    return this.enc.capacity + this.dec.bytes;
  }
}

/**
 * Without POR, the level set is only a cache in front of the visited set
 * (see run): up to this many states (a 32 MiB table). Beyond, a probe into
 * it misses the CPU caches as the visited set's does, and only adds to it.
 * Measured on the full open-mode graph: N = 3 (levels up to ~0.5 M
 * states) 8.1-8.4 s with the cache against 10-11 s without; N = 4 (levels
 * of millions) 492 s with this bound, 551 s unbounded, 530 s without.
 */
const LEVEL_CACHE_MAX = 1 << 21;

/** Thrown inside a run when the model says symmetry is unsafe in a state it reached. */
class SymmetryUnsafe extends Error {}

/**
 * Explore `model` breadth-first under `opts` (see ExploreOptions): the
 * verdict per property (shortest violating path in the explored graph),
 * how the run ended, statistics, and which reductions it used.
 */
export function explore(model: Model, opts: ExploreOptions): ExploreResult {
  const symmetry = opts.symmetry && model.canonicalize !== undefined;
  if (symmetry) {
    try {
      return run(model, opts, true, false);
    } catch (e) {
      if (!(e instanceof SymmetryUnsafe)) throw e;
    }
  }
  return run(model, opts, false, symmetry);
}

function run(model: Model, opts: ExploreOptions, symmetry: boolean, symmetryDropped: boolean): ExploreResult {
  const t0 = opts.now();
  const s: Search = {
    model, opts, visited: new FingerprintSet(), parent: new Column32(),
    action: model.actionCount <= 256 ? new Column8() : new Column32(),
    found: new Map(), done: new Uint8Array(opts.properties.length), transitions: 0,
  };
  const canon = symmetry ? model.canonicalize!.bind(model) : undefined;
  const succ = new Successors(model, opts.properties, symmetry);
  const safe = symmetry && model.symmetrySafe ? model.symmetrySafe.bind(model) : undefined;
  const sel = opts.por && model.por ? new AmpleSelector(model, opts.properties) : undefined;
  // The fingerprints first reached in the level being built: the POR
  // proviso's question, and a cache in front of the visited set. 86% of
  // the duplicate successors in open mode are states of that level, and
  // this table (a few MB) answers them without a probe into the visited
  // set (tens of MB: a cache and TLB miss each).
  const level = new LevelSet();
  const words = model.stateBytes >>> 2;
  const scratch = new Uint8Array(model.stateBytes);
  const scratchW = new Uint32Array(scratch.buffer); // hashing reads the successor as 32-bit words
  const enabled = new Int32Array(Math.max(1, model.actionCount));
  const chosen = new Int32Array(Math.max(1, model.actionCount));
  let cur = new Level(model.stateBytes);
  let next = new Level(model.stateBytes);
  let peakArena = 0;

  const init = model.initialState();
  scratch.set(init);
  canon?.(scratch);
  const sumA = rawA(scratchW, 0, words);
  const sumB = rawB(scratchW, 0, words);
  s.visited.add(finishHi(sumA), finishLo(sumB));
  s.parent.push(-1);
  s.action.push(-1);
  cur.push(scratchW);
  checkProps(s, scratch, 0);

  let depth = 0;
  let levelStart = 0; // global index of cur's first state
  let end: ExploreResult['end'] = 'exhausted';
  let limit: ExploreResult['limit'];
  let last = false;
  let newBeyond = 0;

  /**
   * Take action a from state (global index gi): hash, dedupe, record.
   * Returns false if the successor was already reached at depth <= the
   * current one (the BFS proviso's test), true otherwise.
   */
  const take = (gi: number, a: number, chose: boolean): boolean => {
    // the successor computed by choose()'s visibility test, if any
    succ.make(a, chose ? sel!.successorOf(a) : undefined);
    s.transitions++;
    const hi = succ.hi;
    const lo = succ.lo;
    if (level.has(hi, lo)) return true; // reached in the level being built
    if (!s.visited.add(hi, lo)) return false; // reached at depth <= the current one
    // POR's proviso needs every state of the level; as a mere cache, the
    // set stops growing where it would no longer fit the CPU's caches.
    if (sel || level.count < LEVEL_CACHE_MAX) level.add(hi, lo);
    if (last) {
      newBeyond++;
      return true;
    }
    s.parent.push(gi);
    s.action.push(a);
    next.push(succ.outW);
    checkProps(s, succ.out, s.parent.length - 1, succ);
    return true;
  };

  outer: while (cur.count > 0) {
    last = depth >= opts.maxDepth; // expand only to learn whether anything lies beyond
    newBeyond = 0;
    for (let i = 0; i < cur.count; i++) {
      const state = cur.begin(succ, i);
      const gi = levelStart + i;
      const n = model.enabled(state, enabled);
      if (n === 0 && opts.deadlock && !s.found.has(NO_DEADLOCK) && !model.isFinal(state)) {
        s.found.set(NO_DEADLOCK, { property: NO_DEADLOCK, path: pathTo(s, gi) });
      }
      if (safe && n > 0 && !safe(state)) throw new SymmetryUnsafe();
      if (sel && n > 1) {
        const k = sel.choose(state, enabled, n, chosen);
        let fresh = true;
        for (let j = 0; j < k; j++) fresh = take(gi, chosen[j]!, true) && fresh;
        if (k < n && !fresh) {
          // C3 (BFS proviso): an ample successor closes a cycle or a
          // cross edge backwards; expand the rest too.
          sel.countFull();
          for (let j = 0; j < n; j++) {
            const a = enabled[j]!;
            if (!chosen.subarray(0, k).includes(a)) take(gi, a, true);
          }
        }
      } else {
        for (let j = 0; j < n; j++) take(gi, enabled[j]!, false);
      }
      if (opts.stopWhenAllViolated && allViolated(s)) {
        end = 'all-violated';
        break outer;
      }
      if ((i & 1023) === 1023 || s.parent.length >= opts.maxStates) {
        if (s.parent.length >= opts.maxStates) { end = 'limit'; limit = 'states'; break outer; }
        if ((opts.now() - t0) / 1000 > opts.maxSeconds) { end = 'limit'; limit = 'seconds'; break outer; }
        const why = opts.stop?.();
        if (why) { end = 'limit'; limit = why; break outer; }
        opts.listener?.onTick?.({ states: s.parent.length, transitions: s.transitions, depth, queue: cur.count - i - 1 + next.count });
      }
    }
    if (last) {
      if (newBeyond > 0) end = 'depth';
      break;
    }
    peakArena = Math.max(peakArena, cur.peakBytes + next.peakBytes);
    levelStart += cur.count;
    [cur, next] = [next, cur];
    next.clear();
    level.clear();
    if (cur.count > 0) depth++;
    opts.listener?.onLevel?.({ states: s.parent.length, transitions: s.transitions, depth, queue: cur.count });
  }
  peakArena = Math.max(peakArena, cur.peakBytes + next.peakBytes);

  const seconds = Math.max(1e-9, (opts.now() - t0) / 1000);
  const states = s.parent.length;
  const bytes = s.visited.bytes + s.parent.data.byteLength + s.action.data.byteLength + peakArena + level.bytes;
  return {
    end,
    limit,
    violations: [...s.found.values()],
    stats: {
      states,
      transitions: s.transitions,
      maxDepth: depth,
      seconds,
      statesPerSecond: states / seconds,
      bytesPerState: bytes / states,
      collisionProbability: collisionProbability(states),
    },
    reductions: {
      por: sel !== undefined, symmetry, symmetryDropped,
      ampleStates: sel?.stats.ampleStates ?? 0, fullStates: sel?.stats.fullStates ?? 0,
    },
  };
}

/** Defaults for callers that only care about some options (no reductions unless asked). */
export function exploreOptions(o: Partial<ExploreOptions>): ExploreOptions {
  return {
    maxDepth: o.maxDepth ?? 1000,
    maxStates: o.maxStates ?? 50_000_000,
    maxSeconds: o.maxSeconds ?? Infinity,
    properties: o.properties ?? [],
    deadlock: o.deadlock ?? false,
    stopWhenAllViolated: o.stopWhenAllViolated ?? false,
    listener: o.listener,
    now: o.now ?? (() => performance.now()),
    por: o.por ?? false,
    symmetry: o.symmetry ?? false,
  };
}
