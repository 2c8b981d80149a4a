/**
 * The generic explorer (explorer/bfs.ts) on toy models with known state
 * spaces, independent of the MM model: exact state and transition counts,
 * shortest counterexamples that replay, the depth bound, the state and time
 * limits, deadlock detection; and the fingerprint set under fast-check.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import { FingerprintSet, hashHi, hashLo } from '../../explorer/fingerprint.js';
import type { ExploreProgress, Model, Property } from '../../explorer/types.js';
import { Counters } from './counters.js';
import { NO_DEADLOCK } from '../../explorer/types.js';

const sum = (s: Uint8Array, n: number): number => {
  let t = 0;
  for (let i = 0; i < n; i++) t += s[i]!;
  return t;
};

/** Brute force: states of [0..K]^N with coordinate sum <= d, and the transitions out of them. */
function countUpTo(n: number, k: number, d: number): { states: number; transitions: number } {
  let states = 0;
  let transitions = 0;
  const total = (k + 1) ** n;
  for (let x = 0; x < total; x++) {
    let r = x;
    let s = 0;
    let below = 0;
    for (let i = 0; i < n; i++) {
      const c = r % (k + 1);
      r = Math.floor(r / (k + 1));
      s += c;
      if (c < k) below++;
    }
    if (s <= d) {
      states++;
      transitions += below;
    }
  }
  return { states, transitions };
}

/**
 * Two threads each do `r = x; x = r + 1` (read, then write back). State:
 * [x, pc0, r0, pc1, r1, 0, 0, 0]. The lost update (x == 1 at the end) is
 * the property violation; the shortest path is read, read, write, write.
 */
class RacyIncrement implements Model {
  readonly stateBytes = 8;
  readonly actionCount = 2;
  initialState(): Uint8Array {
    return new Uint8Array(8);
  }
  enabled(s: Uint8Array, out: Int32Array): number {
    let c = 0;
    for (let t = 0; t < 2; t++) if (s[1 + 2 * t]! < 2) out[c++] = t;
    return c;
  }
  apply(s: Uint8Array, t: number, into: Uint8Array): void {
    into.set(s);
    const pc = 1 + 2 * t;
    if (s[pc] === 0) into[pc + 1] = s[0]!;
    else into[0] = s[pc + 1]! + 1;
    into[pc] = s[pc]! + 1;
  }
  isFinal(s: Uint8Array): boolean {
    return s[1] === 2 && s[3] === 2;
  }
}

const noLostUpdate: Property = { name: 'no-lost-update', holds: (s) => !(s[1] === 2 && s[3] === 2 && s[0] !== 2) };

/** Lock-ordering deadlock: thread 0 takes L1 then L2, thread 1 takes L2 then L1, then each releases both. */
class LockOrder implements Model {
  readonly stateBytes = 4; // [pc0, pc1, owner(L1)+1, owner(L2)+1]
  readonly actionCount = 2;
  initialState(): Uint8Array {
    return new Uint8Array(4);
  }
  private want(t: number, pc: number): number {
    // lock index (2 or 3 in the state) the thread needs at pc, or -1 to release
    if (pc === 0) return t === 0 ? 2 : 3;
    if (pc === 1) return t === 0 ? 3 : 2;
    return -1;
  }
  enabled(s: Uint8Array, out: Int32Array): number {
    let c = 0;
    for (let t = 0; t < 2; t++) {
      const pc = s[t]!;
      if (pc >= 3) continue;
      const l = this.want(t, pc);
      if (l < 0 || s[l] === 0) out[c++] = t;
    }
    return c;
  }
  apply(s: Uint8Array, t: number, into: Uint8Array): void {
    into.set(s);
    const pc = s[t]!;
    const l = this.want(t, pc);
    if (l >= 0) into[l] = t + 1;
    else {
      into[2] = 0;
      into[3] = 0;
    }
    into[t] = pc + 1;
  }
  isFinal(s: Uint8Array): boolean {
    return s[0] === 3 && s[1] === 3;
  }
}

/** Replay a path from the initial state; every action must be enabled. */
function replay(m: Model, path: readonly number[]): Uint8Array {
  let s = m.initialState();
  const en = new Int32Array(Math.max(1, m.actionCount));
  for (const a of path) {
    const n = m.enabled(s, en);
    expect(Array.from(en.subarray(0, n))).toContain(a);
    const next = new Uint8Array(m.stateBytes);
    m.apply(s, a, next);
    s = next;
  }
  return s;
}

/** A fake clock: each call advances by `step` milliseconds. */
function fakeClock(step: number): () => number {
  let t = 0;
  return () => (t += step);
}

describe('explore: independent counters', () => {
  it.each([
    [1, 5, 6, 5, 5],
    [2, 2, 9, 12, 4],
    [3, 2, 27, 54, 6],
    [4, 3, 256, 768, 12],
  ])('N=%i K=%i: %i states, %i transitions, depth %i, exhausted', (n, k, states, transitions, depth) => {
    // (K+1)^N states; N·K·(K+1)^(N-1) transitions; the deepest state has sum N·K.
    expect(states).toBe((k + 1) ** n);
    expect(transitions).toBe(n * k * (k + 1) ** (n - 1));
    const m = new Counters(n, k);
    const r = explore(m, exploreOptions({ maxDepth: 1000, now: fakeClock(0) }));
    expect(r.end).toBe('exhausted');
    expect(r.limit).toBeUndefined();
    expect(r.violations).toEqual([]);
    expect(r.stats.states).toBe(states);
    expect(r.stats.transitions).toBe(transitions);
    expect(r.stats.maxDepth).toBe(depth);
    expect(m.applied).toBe(transitions);
    expect(r.stats.collisionProbability).toBe((states * (states - 1)) / 2 / 2 ** 64);
  });

  it('a depth bound equal to the deepest level is still exhausted; one less is "depth"', () => {
    const exact = explore(new Counters(3, 2), exploreOptions({ maxDepth: 6 }));
    expect(exact.end).toBe('exhausted');
    expect(exact.stats.states).toBe(27);
    const short = explore(new Counters(3, 2), exploreOptions({ maxDepth: 5 }));
    expect(short.end).toBe('depth');
    expect(short.stats.states).toBe(26);
    expect(short.stats.maxDepth).toBe(5);
    expect(short.stats.transitions).toBe(54); // level 5 is expanded to learn that level 6 exists
  });

  it.each([0, 1, 2, 3, 7])('maxDepth %i: exactly the states of sum <= d, transitions out of them', (d) => {
    const r = explore(new Counters(4, 3), exploreOptions({ maxDepth: d }));
    const want = countUpTo(4, 3, d);
    expect(r.end).toBe('depth');
    expect(r.stats.states).toBe(want.states);
    expect(r.stats.transitions).toBe(want.transitions);
    expect(r.stats.maxDepth).toBe(d);
  });

  it('reports the levels to the listener: depth and queue after each level', () => {
    const levels: ExploreProgress[] = [];
    explore(new Counters(2, 2), exploreOptions({ listener: { onLevel: (p) => levels.push(p) } }));
    expect(levels.map((p) => [p.depth, p.queue, p.states])).toEqual([
      [1, 2, 3], [2, 3, 6], [3, 2, 8], [4, 1, 9], [4, 0, 9],
    ]);
  });

  it('finds the shortest violation of each property, which replays to a violating state', () => {
    const m = new Counters(3, 2);
    const props: Property[] = [
      { name: 'sum<5', holds: (s) => sum(s, 3) < 5 },
      { name: 'c2<2', holds: (s) => s[2]! < 2 },
      { name: 'never', holds: () => true },
    ];
    const r = explore(m, exploreOptions({ properties: props }));
    expect(r.end).toBe('exhausted');
    expect(r.stats.states).toBe(27); // exploration goes on after violations
    const byName = new Map(r.violations.map((v) => [v.property, v.path]));
    expect([...byName.keys()].sort()).toEqual(['c2<2', 'sum<5']);
    expect(byName.get('sum<5')!.length).toBe(5);
    expect(byName.get('c2<2')).toEqual([2, 2]);
    for (const p of props.slice(0, 2)) {
      const path = byName.get(p.name)!;
      expect(p.holds(replay(m, path))).toBe(false);
      // every proper prefix satisfies it (shortest)
      for (let i = 0; i < path.length; i++) expect(p.holds(replay(m, path.slice(0, i)))).toBe(true);
    }
  });

  it('a violating initial state has the empty path', () => {
    const r = explore(new Counters(2, 1), exploreOptions({ properties: [{ name: 'bad', holds: () => false }] }));
    expect(r.violations).toEqual([{ property: 'bad', path: [] }]);
  });

  it('stopWhenAllViolated ends with "all-violated"', () => {
    const r = explore(new Counters(4, 3), exploreOptions({ properties: [{ name: 'c0<1', holds: (s) => s[0] === 0 }], stopWhenAllViolated: true }));
    expect(r.end).toBe('all-violated');
    expect(r.violations).toEqual([{ property: 'c0<1', path: [0] }]);
    expect(r.stats.states).toBe(5); // stopped right after expanding the initial state
  });

  it('maxStates stops with end "limit" (states)', () => {
    const r = explore(new Counters(4, 3), exploreOptions({ maxStates: 10 }));
    expect(r.end).toBe('limit');
    expect(r.limit).toBe('states');
    // level 0 gives 5 states; (1,0,0,0) adds 4 -> 9; (0,1,0,0) adds 3 -> 12 >= 10
    expect(r.stats.states).toBe(12);
  });

  it('maxSeconds stops with end "limit" (seconds), read from the injected clock', () => {
    const r = explore(new Counters(4, 15), exploreOptions({ maxSeconds: 0.5, now: fakeClock(1000) }));
    expect(r.end).toBe('limit');
    expect(r.limit).toBe('seconds');
    expect(r.stats.states).toBeLessThan(16 ** 4);
  });
});

describe('explore: racy read-then-increment', () => {
  // By hand, as (pc0, pc1): (0,0) (1,0) (0,1) (1,1) (2,0) (0,2) one state each; (2,1) and
  // (1,2) two each (the other thread read before or after the write); (2,2) three
  // (x=1 lost update, or x=2 in either order): 13 states. Transitions: 2 from each of
  // the four states where both threads run, 1 from each of the six where one does: 14.
  it('has 13 states, 14 transitions, and a lost update at depth 4', () => {
    const m = new RacyIncrement();
    const r = explore(m, exploreOptions({ properties: [noLostUpdate], deadlock: true }));
    expect(r.end).toBe('exhausted');
    expect(r.stats.states).toBe(13);
    expect(r.stats.transitions).toBe(14);
    expect(r.stats.maxDepth).toBe(4);
    expect(r.violations).toHaveLength(1);
    const path = r.violations[0]!.path;
    expect(path).toHaveLength(4);
    // BFS explores actions in enabled order: t0 read, t1 read, t0 write, t1 write
    expect(path).toEqual([0, 1, 0, 1]);
    const end = replay(m, path);
    expect(noLostUpdate.holds(end)).toBe(false);
    expect(end[0]).toBe(1);
  });

  it('the depth bound hides the violation: "depth" at 3 with nothing found', () => {
    const r = explore(new RacyIncrement(), exploreOptions({ maxDepth: 3, properties: [noLostUpdate] }));
    expect(r.end).toBe('depth');
    expect(r.violations).toEqual([]);
    expect(r.stats.maxDepth).toBe(3);
  });
});

describe('explore: deadlock detection', () => {
  it('finds the lock-order deadlock at depth 2 when asked, not otherwise', () => {
    const m = new LockOrder();
    const r = explore(m, exploreOptions({ deadlock: true }));
    expect(r.violations).toEqual([{ property: NO_DEADLOCK, path: [0, 1] }]);
    const s = replay(m, [0, 1]);
    expect(m.enabled(s, new Int32Array(2))).toBe(0);
    expect(m.isFinal(s)).toBe(false);
    expect(explore(m, exploreOptions({ deadlock: false })).violations).toEqual([]);
  });

  it('a final state without enabled actions is not a deadlock', () => {
    expect(explore(new Counters(2, 2), exploreOptions({ deadlock: true })).violations).toEqual([]);
  });

  it('a non-final initial state without actions is a deadlock with the empty path', () => {
    const stuck: Model = {
      stateBytes: 4, actionCount: 1, initialState: () => new Uint8Array(4), enabled: () => 0,
      apply: () => { throw new Error('no action'); }, isFinal: () => false,
    };
    const r = explore(stuck, exploreOptions({ deadlock: true }));
    expect(r.violations).toEqual([{ property: NO_DEADLOCK, path: [] }]);
    expect(r.stats.states).toBe(1);
    expect(r.stats.transitions).toBe(0);
  });

  it('stopWhenAllViolated counts the deadlock as a property', () => {
    const r = explore(new LockOrder(), exploreOptions({ deadlock: true, stopWhenAllViolated: true }));
    expect(r.end).toBe('all-violated');
  });
});

describe('explore: the model contract', () => {
  it('calls apply once per transition, never with `into` aliasing the source state', () => {
    const base = new Counters(3, 2);
    let calls = 0;
    const m: Model = {
      stateBytes: base.stateBytes, actionCount: base.actionCount,
      initialState: () => base.initialState(),
      enabled: (s, out) => base.enabled(s, out),
      apply: (s, a, into) => {
        calls++;
        expect(into.buffer).not.toBe(s.buffer);
        expect(into.length).toBe(base.stateBytes);
        base.apply(s, a, into);
      },
      isFinal: (s) => base.isFinal(s),
    };
    const r = explore(m, exploreOptions({}));
    expect(r.stats.states).toBe(27);
    expect(calls).toBe(54);
  });
});

describe('FingerprintSet', () => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff });
  // lo = 0 marks an empty slot: hashLo never returns it, so the set's contract excludes it.
  const lo32 = fc.integer({ min: 1, max: 0xffffffff });

  it('add returns true exactly once per distinct (hi, lo) pair, across growth', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(u32, lo32), { maxLength: 3000 }), fc.integer({ min: 0, max: 6 }), (pairs, logSlots) => {
        const set = new FingerprintSet(1 << logSlots);
        const seen = new Set<string>();
        for (const [hi, lo] of pairs) {
          const key = `${hi}:${lo}`;
          expect(set.add(hi, lo)).toBe(!seen.has(key));
          seen.add(key);
        }
        expect(set.size).toBe(seen.size);
        // everything is still there after all the growth
        for (const [hi, lo] of pairs) expect(set.add(hi, lo)).toBe(false);
        expect(set.size).toBe(seen.size);
      }),
      { numRuns: 60 },
    );
  });
  it('has answers membership without inserting, across growth', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(u32, lo32), { maxLength: 2000 }), fc.array(fc.tuple(u32, lo32), { maxLength: 200 }), (pairs, others) => {
        const set = new FingerprintSet(4);
        const seen = new Set<string>();
        for (const [hi, lo] of pairs) {
          expect(set.has(hi, lo)).toBe(seen.has(`${hi}:${lo}`));
          set.add(hi, lo);
          seen.add(`${hi}:${lo}`);
          expect(set.has(hi, lo)).toBe(true);
        }
        for (const [hi, lo] of others) expect(set.has(hi, lo)).toBe(seen.has(`${hi}:${lo}`));
        expect(set.size).toBe(seen.size);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps pairs that differ only in hi, or only in lo, apart (colliding slots)', () => {
    const set = new FingerprintSet(4);
    for (let i = 0; i < 200; i++) expect(set.add(7, i + 1)).toBe(true); // same hi: same start slot
    for (let i = 0; i < 200; i++) expect(set.add(i * 4096 + 8, 1)).toBe(true); // same lo, other hi
    expect(set.add(7, 1)).toBe(false);
    expect(set.add(8, 1)).toBe(false);
    expect(set.size).toBe(400);
  });

  it('hashes are unsigned 32-bit, lo is never 0, and equal words hash equal (re-adding a state is a no-op)', () => {
    fc.assert(
      fc.property(fc.array(u32, { minLength: 1, maxLength: 16 }), (ws) => {
        const w = Uint32Array.from(ws);
        const hi = hashHi(w, 0, w.length);
        const lo = hashLo(w, 0, w.length);
        for (const h of [hi, lo]) {
          expect(Number.isInteger(h)).toBe(true);
          expect(h).toBeGreaterThanOrEqual(0);
          expect(h).toBeLessThanOrEqual(0xffffffff);
        }
        expect(lo).not.toBe(0);
        const copy = Uint32Array.from(ws);
        expect(hashHi(copy, 0, copy.length)).toBe(hi);
        expect(hashLo(copy, 0, copy.length)).toBe(lo);
        const set = new FingerprintSet(2);
        expect(set.add(hi, lo)).toBe(true);
        expect(set.add(hashHi(copy, 0, copy.length), hashLo(copy, 0, copy.length))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('hashes a window of a larger array (offset and length)', () => {
    const w = Uint32Array.from([9, 1, 2, 3, 9]);
    const v = Uint32Array.from([1, 2, 3]);
    expect(hashHi(w, 1, 3)).toBe(hashHi(v, 0, 3));
    expect(hashLo(w, 1, 3)).toBe(hashLo(v, 0, 3));
  });
});
