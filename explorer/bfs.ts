/**
 * Breadth-first exploration, level-synchronous: every reachable state up
 * to the depth bound, each visited once (64-bit fingerprint set), with a
 * parent index and action id per state so that the shortest path to any
 * violation is rebuilt without storing states. Properties are checked on
 * every new state; the first (hence shortest) violation of each is kept
 * and exploration goes on for the others.
 */
import { collisionProbability, FingerprintSet, hashHi, hashLo } from './fingerprint.js';
import { Arena, Column32 } from './growable.js';
import type { ExploreOptions, ExploreResult, Model, Property, Violation } from './types.js';
import { NO_DEADLOCK } from './types.js';

interface Search {
  readonly model: Model;
  readonly opts: ExploreOptions;
  readonly visited: FingerprintSet;
  readonly parent: Column32;
  readonly action: Column32;
  readonly found: Map<string, Violation>;
  readonly pending: Property[];
  transitions: number;
}

function pathTo(s: Search, index: number): number[] {
  const path: number[] = [];
  for (let i = index; i > 0; i = s.parent.data[i]!) path.push(s.action.data[i]!);
  return path.reverse();
}

/** Check the still-unviolated properties on a state with global index `index`. */
function checkProps(s: Search, state: Uint8Array, index: number): void {
  for (let i = s.pending.length - 1; i >= 0; i--) {
    const p = s.pending[i]!;
    if (!p.holds(state)) {
      s.found.set(p.name, { property: p.name, path: pathTo(s, index) });
      s.pending.splice(i, 1);
    }
  }
}

function allViolated(s: Search): boolean {
  const total = s.opts.properties.length + (s.opts.deadlock ? 1 : 0);
  return total > 0 && s.found.size === total;
}

export function explore(model: Model, opts: ExploreOptions): ExploreResult {
  const t0 = opts.now();
  const s: Search = {
    model, opts, visited: new FingerprintSet(), parent: new Column32(), action: new Column32(),
    found: new Map(), pending: [...opts.properties], transitions: 0,
  };
  const words = model.stateBytes >>> 2;
  const scratch = new Uint8Array(model.stateBytes);
  const scratchW = new Uint32Array(scratch.buffer); // hashing reads the successor as 32-bit words
  const enabled = new Int32Array(Math.max(1, model.actionCount));
  let cur = new Arena(model.stateBytes);
  let next = new Arena(model.stateBytes);
  let peakArena = 0;

  const init = model.initialState();
  scratch.set(init);
  s.visited.add(hashHi(scratchW, 0, words), hashLo(scratchW, 0, words));
  s.parent.push(-1);
  s.action.push(-1);
  cur.push(init);
  checkProps(s, init, 0);

  let depth = 0;
  let levelStart = 0; // global index of cur's first state
  let end: ExploreResult['end'] = 'exhausted';
  let limit: ExploreResult['limit'];
  outer: while (cur.count > 0) {
    const last = depth >= opts.maxDepth; // expand only to learn whether anything lies beyond
    let newBeyond = 0;
    for (let i = 0; i < cur.count; i++) {
      const state = cur.at(i);
      const gi = levelStart + i;
      const n = model.enabled(state, enabled);
      if (n === 0 && opts.deadlock && !s.found.has(NO_DEADLOCK) && !model.isFinal(state)) {
        s.found.set(NO_DEADLOCK, { property: NO_DEADLOCK, path: pathTo(s, gi) });
      }
      for (let j = 0; j < n; j++) {
        const a = enabled[j]!;
        model.apply(state, a, scratch);
        s.transitions++;
        if (!s.visited.add(hashHi(scratchW, 0, words), hashLo(scratchW, 0, words))) continue;
        if (last) {
          newBeyond++;
          continue;
        }
        s.parent.push(gi);
        s.action.push(a);
        next.push(scratch);
        checkProps(s, scratch, s.parent.length - 1);
      }
      if (opts.stopWhenAllViolated && allViolated(s)) {
        end = 'all-violated';
        break outer;
      }
      if ((i & 1023) === 1023 || s.parent.length >= opts.maxStates) {
        if (s.parent.length >= opts.maxStates) { end = 'limit'; limit = 'states'; break outer; }
        if ((opts.now() - t0) / 1000 > opts.maxSeconds) { end = 'limit'; limit = 'seconds'; break outer; }
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
    if (cur.count > 0) depth++;
    opts.listener?.onLevel?.({ states: s.parent.length, transitions: s.transitions, depth, queue: cur.count });
  }
  peakArena = Math.max(peakArena, cur.peakBytes + next.peakBytes);

  const seconds = Math.max(1e-9, (opts.now() - t0) / 1000);
  const states = s.parent.length;
  const bytes = s.visited.bytes + s.parent.data.byteLength + s.action.data.byteLength + peakArena;
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
  };
}

/** Defaults for callers that only care about some options. */
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
  };
}
