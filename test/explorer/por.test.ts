/**
 * Partial-order and symmetry reduction in the generic explorer, on toy
 * models with known reduced state spaces: exact state counts, the BFS
 * cycle proviso (a spinning actor must not hide a one-shot one), the
 * visibility condition, dependent actors expanded fully, deadlocks kept,
 * symmetric states merged, and reduced paths that replay on the unreduced
 * model.
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import { AmpleSelector, LevelSet } from '../../explorer/por.js';
import type { Model, PorSupport, Property } from '../../explorer/types.js';
import { LOC_READ, NO_DEADLOCK } from '../../explorer/types.js';

const pad4 = (n: number): number => (n + 3) & ~3;

/**
 * N counters, each 0..K; actor i increments counter i (location i).
 * `shared` makes every step also write location N (all dependent).
 */
class Counters implements Model {
  readonly stateBytes: number;
  readonly actionCount: number;
  readonly por: PorSupport;
  constructor(readonly n: number, readonly k: number, shared = false) {
    this.stateBytes = pad4(n);
    this.actionCount = n;
    const self = this;
    this.por = {
      locations: n + 1,
      actors: n,
      actorOf: (a) => a,
      footprint: (_s, a, out) => { out.push(a); if (shared) out.push(n); },
      future: (s, q, out) => { if (s[q]! < self.k) { out.push(q); if (shared) out.push(n); } },
    };
  }
  initialState(): Uint8Array { return new Uint8Array(this.stateBytes); }
  enabled(s: Uint8Array, out: Int32Array): number {
    let c = 0;
    for (let i = 0; i < this.n; i++) if (s[i]! < this.k) out[c++] = i;
    return c;
  }
  apply(s: Uint8Array, a: number, into: Uint8Array): void {
    into.set(s);
    into[a] = s[a]! + 1;
  }
  isFinal(s: Uint8Array): boolean {
    for (let i = 0; i < this.n; i++) if (s[i] !== this.k) return false;
    return true;
  }
}

/** Reads only counter i. */
function reads(m: Counters, i: number): Uint8Array {
  const r = new Uint8Array(m.stateBytes);
  r[i] = 1;
  return r;
}

/**
 * The classic "ignoring" trap (checker-anchors §4.7 item 4): actor 0 flips
 * x forever (a cycle of two states), actor 1 sets y once. Property y == 0
 * is violated one step away, but a reduction that always picks the
 * invisible, independent actor 0 without the cycle proviso never runs
 * actor 1.
 */
class SpinAndShot implements Model {
  readonly stateBytes = 4; // [x, y]
  readonly actionCount = 2;
  readonly por: PorSupport = {
    locations: 2, actors: 2, actorOf: (a) => a,
    footprint: (_s, a, out) => { out.push(a); },
    future: (s, q, out) => { if (q === 0 || s[1] === 0) out.push(q); },
  };
  initialState(): Uint8Array { return new Uint8Array(4); }
  enabled(s: Uint8Array, out: Int32Array): number {
    out[0] = 0;
    if (s[1] === 0) { out[1] = 1; return 2; }
    return 1;
  }
  apply(s: Uint8Array, a: number, into: Uint8Array): void {
    into.set(s);
    if (a === 0) into[0] = 1 - s[0]!;
    else into[1] = 1;
  }
  isFinal(): boolean { return false; }
}

const yStaysZero: Property = { name: 'y==0', holds: (s) => s[1] === 0, reads: Uint8Array.from([0, 1, 0, 0]) };

/** Replay a path on the model (no reduction); every action must be enabled. */
function replay(m: Model, path: readonly number[]): Uint8Array {
  let s = m.initialState();
  const en = new Int32Array(Math.max(1, m.actionCount));
  for (const a of path) {
    const n = m.enabled(s, en);
    expect(Array.from(en.subarray(0, n))).toContain(a);
    const t = new Uint8Array(m.stateBytes);
    m.apply(s, a, t);
    s = t;
  }
  return s;
}

describe('partial-order reduction on independent counters', () => {
  it.each([
    [2, 2], [3, 2], [4, 3], [6, 2],
  ])('N=%i K=%i: N*K+1 states instead of (K+1)^N, exhausted', (n, k) => {
    const m = new Counters(n, k);
    const full = explore(m, exploreOptions({}));
    const red = explore(m, exploreOptions({ por: true }));
    expect(full.stats.states).toBe((k + 1) ** n);
    expect(red.end).toBe('exhausted');
    expect(red.stats.states).toBe(n * k + 1);
    expect(red.stats.transitions).toBe(n * k);
    expect(red.reductions).toEqual({ por: true, symmetry: false, symmetryDropped: false, ampleStates: (n - 1) * k, fullStates: 0 });
  });

  it('a property reading counter 1 makes its steps visible: they wait until no invisible ample set is left', () => {
    const m = new Counters(3, 2);
    const p: Property = { name: 'c1<2', holds: (s) => s[1]! < 2, reads: reads(m, 1) };
    const r = explore(m, exploreOptions({ por: true, properties: [p] }));
    // (0,0,0) -0-> (1,0,0) -0-> (2,0,0) -2-> (2,0,1) -2-> (2,0,2) -1-> (2,1,2) -1-> (2,2,2)
    expect(r.stats.states).toBe(7);
    expect(r.violations.map((v) => v.property)).toEqual(['c1<2']);
    // longer than the full graph's shortest violation [1, 1] (checker-anchors §4.6)
    expect(r.violations[0]!.path).toEqual([0, 0, 2, 2, 1, 1]);
    expect(p.holds(replay(m, r.violations[0]!.path))).toBe(false);
  });

  it('a property without a read mask disables the reduction (every step is visible)', () => {
    const m = new Counters(3, 2);
    const r = explore(m, exploreOptions({ por: true, properties: [{ name: 'true', holds: () => true }] }));
    expect(r.stats.states).toBe(27);
    expect(r.reductions.ampleStates).toBe(0);
  });

  it('dependent steps (a shared location) are always expanded fully', () => {
    const m = new Counters(3, 2, true);
    const r = explore(m, exploreOptions({ por: true }));
    expect(r.stats.states).toBe(27);
    expect(r.stats.transitions).toBe(54);
    expect(r.reductions.ampleStates).toBe(0);
  });

  it('keeps deadlocks (C0): the lock-order deadlock is found with POR on', () => {
    // two actors each waiting for the other's location after taking its own
    const m: Model = {
      stateBytes: 4, actionCount: 2,
      initialState: () => new Uint8Array(4),
      enabled: (s, out) => { let c = 0; for (let t = 0; t < 2; t++) if (s[t]! === 0 || (s[t] === 1 && s[1 - t] === 0)) out[c++] = t; return c; },
      apply: (s, t, into) => { into.set(s); into[t] = s[t]! + 1; },
      isFinal: (s) => s[0] === 2 && s[1] === 2,
      por: { locations: 2, actors: 2, actorOf: (a) => a, footprint: (_s, _a, out) => { out.push(0, 1); }, future: (_s, _q, out) => { out.push(0, 1); } },
    };
    const r = explore(m, exploreOptions({ por: true, deadlock: true }));
    expect(r.violations).toEqual([{ property: NO_DEADLOCK, path: [0, 1] }]);
  });
});

describe('the BFS cycle proviso', () => {
  it('a spinning invisible actor does not hide the one-shot actor: the violation is found', () => {
    const m = new SpinAndShot();
    const r = explore(m, exploreOptions({ por: true, properties: [yStaysZero] }));
    expect(r.violations.map((v) => v.property)).toEqual(['y==0']);
    expect(yStaysZero.holds(replay(m, r.violations[0]!.path))).toBe(false);
    // x=0 -> x=1 (ample {0}); at x=1 the ample successor x=0 is at depth 0: full expansion
    expect(r.reductions.fullStates).toBeGreaterThan(0);
  });

  it('without the proviso the ample set would be {spin} in every state (the trap is real)', () => {
    const m = new SpinAndShot();
    const sel = new AmpleSelector(m, [yStaysZero]);
    const en = new Int32Array(2);
    const out = new Int32Array(2);
    for (const x of [0, 1]) {
      const s = Uint8Array.from([x, 0, 0, 0]);
      const n = m.enabled(s, en);
      expect(sel.choose(s, en, n, out)).toBe(1);
      expect(out[0]).toBe(0);
    }
  });
});

describe('AmpleSelector', () => {
  it('read/read sharing is no conflict; read/write is', () => {
    const mk = (mode: number): Model => ({
      stateBytes: 4, actionCount: 2, initialState: () => new Uint8Array(4),
      enabled: (s, out) => { let c = 0; for (let t = 0; t < 2; t++) if (s[t] === 0) out[c++] = t; return c; },
      apply: (s, t, into) => { into.set(s); into[t] = 1; },
      isFinal: () => true,
      por: {
        locations: 3, actors: 2, actorOf: (a) => a,
        footprint: (_s, a, out) => { out.push(a, 2 | LOC_READ); },
        future: (s, q, out) => { if (s[q] === 0) out.push(q, 2 | mode); },
      },
    });
    const s = new Uint8Array(4);
    const en = Int32Array.from([0, 1]);
    const out = new Int32Array(2);
    expect(new AmpleSelector(mk(LOC_READ), []).choose(s, en, 2, out)).toBe(1);
    expect(new AmpleSelector(mk(0), []).choose(s, en, 2, out)).toBe(2);
  });

  it('futurePart: the same choices as future; part 1 only when part 0 has no conflict', () => {
    // Actor q's future: part 0 its own location q, part 1 the shared location 2.
    // Actor 0's step writes location `w`; actor 1's writes location 0 (so it
    // always conflicts with actor 0's part 0 and is never ample).
    const mk = (w: number, split: boolean): { m: Model; part1: () => number } => {
      let part1 = 0;
      const part = (q: number, k: 0 | 1, out: number[]): void => {
        if (k === 0) out.push(q);
        else { part1++; out.push(2); }
      };
      const por: PorSupport = {
        locations: 3, actors: 2, actorOf: (a) => a,
        footprint: (_s, a, out) => { out.push(a === 0 ? w : 0); },
        future: (_s, q, out) => { part(q, 0, out); part(q, 1, out); },
        ...(split ? { futurePart: (_s: Uint8Array, q: number, k: 0 | 1, out: number[]) => part(q, k, out) } : {}),
      };
      const m: Model = {
        stateBytes: 4, actionCount: 2, initialState: () => new Uint8Array(4),
        enabled: (s, out) => { let c = 0; for (let t = 0; t < 2; t++) if (s[t] === 0) out[c++] = t; return c; },
        apply: (s, t, into) => { into.set(s); into[t] = 1; },
        isFinal: () => true,
        por,
      };
      return { m, part1: () => part1 };
    };
    const s = new Uint8Array(4);
    const en = Int32Array.from([0, 1]);
    const out = new Int32Array(2);
    // w = 0: no conflict (ample {0}); w = 1: conflict in part 0; w = 2: conflict in part 1 only
    for (const [w, k, part1] of [[0, 1, 1], [1, 2, 0], [2, 2, 1]] as const) {
      const whole = mk(w, false);
      const split = mk(w, true);
      expect(new AmpleSelector(whole.m, []).choose(s, en, 2, out)).toBe(k);
      expect(new AmpleSelector(split.m, []).choose(s, en, 2, out)).toBe(k);
      expect(split.part1()).toBe(part1);
    }
  });

  it('LevelSet: add, has, clear, across growth', () => {
    const l = new LevelSet();
    for (let i = 1; i <= 5000; i++) l.add(i * 7919, i);
    for (let i = 1; i <= 5000; i++) expect(l.has(i * 7919, i)).toBe(true);
    expect(l.has(1, 2)).toBe(false);
    l.clear();
    expect(l.has(7919, 1)).toBe(false);
  });
});

/**
 * N actors share a pool of M identical slots: actor i puts token i+1 into
 * the lowest free slot, then takes it out again. Which slot a token got
 * does not matter (free slots are alike), so sorting the slots is a
 * symmetry that leaves the actors (and so the action ids) alone — the
 * shape of the MM model's page-frame symmetry. State: [pc_0..pc_N-1, slots].
 */
class Pool implements Model {
  readonly stateBytes: number;
  readonly actionCount: number;
  constructor(readonly n: number, readonly m: number) {
    this.stateBytes = pad4(n + m);
    this.actionCount = n;
  }
  initialState(): Uint8Array { return new Uint8Array(this.stateBytes); }
  enabled(s: Uint8Array, out: Int32Array): number {
    let c = 0;
    for (let i = 0; i < this.n; i++) if (s[i]! < 2) out[c++] = i;
    return c;
  }
  apply(s: Uint8Array, a: number, into: Uint8Array): void {
    into.set(s);
    const slots = into.subarray(this.n, this.n + this.m);
    if (s[a] === 0) slots[slots.indexOf(0)] = a + 1;
    else slots[slots.indexOf(a + 1)] = 0;
    into[a] = s[a]! + 1;
  }
  isFinal(s: Uint8Array): boolean { return s.subarray(0, this.n).every((x) => x === 2); }
  canonicalize(s: Uint8Array): void {
    s.set(Array.from(s.subarray(this.n, this.n + this.m)).sort((x, y) => x - y), this.n);
  }
}

describe('symmetry reduction', () => {
  it('2 actors, 2 slots: 12 states, 9 up to slot renaming (one per pair of pcs)', () => {
    const m = new Pool(2, 2);
    expect(explore(m, exploreOptions({})).stats.states).toBe(12);
    const r = explore(m, exploreOptions({ symmetry: true }));
    expect(r.stats.states).toBe(9);
    expect(r.reductions).toMatchObject({ symmetry: true, symmetryDropped: false });
  });

  it.each([[3, 3], [4, 4]])('%i actors, %i slots: 3^N states up to renaming, fewer than the full graph; paths replay', (n, slots) => {
    const m = new Pool(n, slots);
    const allHeld: Property = { name: 'not-all-held', holds: (s) => !s.subarray(0, n).every((x) => x === 1) };
    const full = explore(m, exploreOptions({ properties: [allHeld] }));
    const r = explore(m, exploreOptions({ symmetry: true, properties: [allHeld] }));
    expect(r.stats.states).toBe(3 ** n);
    expect(full.stats.states).toBeGreaterThan(3 ** n);
    const path = r.violations[0]!.path;
    expect(path.length).toBe(n);
    expect(allHeld.holds(replay(m, path))).toBe(false);
  });

  it('a model that reports an unsafe state gets explored again without symmetry', () => {
    const m = Object.assign(new Pool(2, 2), { symmetrySafe: (s: Uint8Array) => s[0] === 0 });
    const r = explore(m, exploreOptions({ symmetry: true }));
    expect(r.reductions).toMatchObject({ symmetry: false, symmetryDropped: true });
    expect(r.stats.states).toBe(12);
  });
});
