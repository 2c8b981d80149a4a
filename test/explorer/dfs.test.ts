/**
 * Depth-first exploration (explorer/dfs.ts): exact state counts on toy
 * models, the depth bound keeping its BFS meaning (states met deep first
 * are expanded again when met higher up), paths that replay to the
 * violation, the stack proviso of partial-order reduction on a cycle, and
 * the same verdicts as BFS on every catalogue scenario and era.
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import { exploreDfs } from '../../explorer/dfs.js';
import { exploreParallel } from '../../explorer/parallel.js';
import type { Model, Property } from '../../explorer/types.js';
import { NO_DEADLOCK } from '../../explorer/types.js';
import { properties } from '../../api/check.js';
import { ERAS, kernelOfEra } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { loadCatalog } from '../../scenario/catalog.js';

/** N counters 0..K; action i increments counter i. */
class Counters implements Model {
  readonly stateBytes: number;
  readonly actionCount: number;
  constructor(readonly n: number, readonly k: number) {
    this.stateBytes = (n + 3) & ~3;
    this.actionCount = n;
  }
  initialState(): Uint8Array {
    return new Uint8Array(this.stateBytes);
  }
  enabled(s: Uint8Array, out: Int32Array): number {
    let c = 0;
    for (let i = this.n - 1; i >= 0; i--) if (s[i]! < this.k) out[c++] = i; // last counter first: DFS goes deep on it
    return c;
  }
  apply(s: Uint8Array, a: number, into: Uint8Array): void {
    into.set(s);
    into[a] = s[a]! + 1;
  }
  isFinal(): boolean {
    return false;
  }
}

/** States of [0..K]^N with coordinate sum <= d. */
function statesUpTo(n: number, k: number, d: number): number {
  let count = 0;
  for (let x = 0; x < (k + 1) ** n; x++) {
    let r = x;
    let s = 0;
    for (let i = 0; i < n; i++) {
      s += r % (k + 1);
      r = Math.floor(r / (k + 1));
    }
    if (s <= d) count++;
  }
  return count;
}

function replay(m: Model, path: readonly number[]): Uint8Array {
  let s = m.initialState();
  for (const a of path) {
    const out = new Int32Array(m.actionCount);
    const n = m.enabled(s, out);
    expect([...out.subarray(0, n)]).toContain(a);
    const t = new Uint8Array(m.stateBytes);
    m.apply(s, a, t);
    s = t;
  }
  return s;
}

/**
 * Actor 0 toggles x forever (invisible); actor 1 sets f once (visible).
 * A reduction that always picks actor 0's ample set would go round the
 * x cycle and never set f: the proviso must force full expansion.
 */
class SpinAndFlag implements Model {
  readonly stateBytes = 4;
  readonly actionCount = 2;
  readonly por = {
    locations: 2, actors: 2,
    actorOf: (a: number): number => a,
    footprint: (_s: Uint8Array, a: number, out: number[]): void => { out.push(a); },
    future: (s: Uint8Array, q: number, out: number[]): void => { if (q === 0 || s[1] === 0) out.push(q); },
  };
  initialState(): Uint8Array {
    return new Uint8Array(4);
  }
  enabled(s: Uint8Array, out: Int32Array): number {
    out[0] = 0;
    if (s[1] === 0) out[1] = 1;
    return s[1] === 0 ? 2 : 1;
  }
  apply(s: Uint8Array, a: number, into: Uint8Array): void {
    into.set(s);
    if (a === 0) into[0] = 1 - s[0]!;
    else into[1] = 1;
  }
  isFinal(): boolean {
    return true;
  }
}

const flagReads = new Uint8Array(4);
flagReads[1] = 1;
const flagClear: Property = { name: 'flag-clear', holds: (s) => s[1] === 0, reads: flagReads };

describe('exploreDfs', () => {
  it('visits every state of the lattice once: (K+1)^N states, N*K*(K+1)^(N-1) transitions', () => {
    const r = exploreDfs(new Counters(4, 4), exploreOptions({ deadlock: true }));
    expect(r.end).toBe('exhausted');
    expect(r.stats.states).toBe(625);
    expect(r.stats.transitions).toBe(4 * 4 * 125);
    expect(r.stats.maxDepth).toBe(16);
    expect(r.violations.map((v) => v.property)).toEqual([NO_DEADLOCK]);
    expect(replay(new Counters(4, 4), r.violations[0]!.path).subarray(0, 4)).toEqual(Uint8Array.of(4, 4, 4, 4));
  });
  it('memory-light: an exhausted run keeps a fingerprint set (8 B a slot, 50-75% full), less than BFS with its paths', () => {
    const m = new Counters(5, 9); // 100,000 states
    const dfs = exploreDfs(m, exploreOptions({}));
    const bfs = explore(m, exploreOptions({}));
    expect(dfs.stats.states).toBe(100_000);
    expect(dfs.stats.bytesPerState).toBeGreaterThan(8 / 0.75);
    expect(dfs.stats.bytesPerState).toBeLessThan(8 / 0.5 + 0.5); // (+ the stack: 46 frames)
    expect(dfs.stats.bytesPerState).toBeLessThan(bfs.stats.bytesPerState);
  });
  it('the depth bound means what it means for BFS: every state within N steps, whatever order DFS met them in', () => {
    for (const d of [1, 3, 5, 8]) {
      const r = exploreDfs(new Counters(3, 4), exploreOptions({ maxDepth: d }));
      expect(r.stats.states, `depth ${d}`).toBe(statesUpTo(3, 4, d));
      expect(r.end).toBe('depth');
    }
    expect(exploreDfs(new Counters(3, 4), exploreOptions({ maxDepth: 12 })).end).toBe('exhausted');
  });
  it('a violation path replays to a violating state, maybe longer than the BFS one', () => {
    const p: Property = { name: 'not-2-2', holds: (s) => !(s[0] === 2 && s[1] === 2) };
    const r = exploreDfs(new Counters(3, 3), exploreOptions({ properties: [p] }));
    const v = r.violations[0]!;
    expect(p.holds(replay(new Counters(3, 3), v.path))).toBe(false);
    expect(v.path.length).toBeGreaterThanOrEqual(explore(new Counters(3, 3), exploreOptions({ properties: [p] })).violations[0]!.path.length);
  });
  it('bounds: states and the stop hook end it as limit', () => {
    expect(exploreDfs(new Counters(5, 5), exploreOptions({ maxStates: 100 })).limit).toBe('states');
    const r = exploreDfs(new Counters(5, 5), { ...exploreOptions({}), stop: () => 'memory' });
    expect([r.end, r.limit]).toEqual(['limit', 'memory']);
  });
  it('POR: the stack proviso finds the flag behind a cycle of invisible steps; so does the parallel engine\'s BFS proviso', () => {
    const o = exploreOptions({ properties: [flagClear], por: true });
    const d = exploreDfs(new SpinAndFlag(), o);
    expect(d.reductions.por).toBe(true);
    expect(d.reductions.fullStates).toBeGreaterThan(0); // the proviso fired
    expect(d.violations.map((v) => v.property)).toEqual(['flag-clear']);
    expect(flagClear.holds(replay(new SpinAndFlag(), d.violations[0]!.path))).toBe(false);
    const b = exploreParallel(new SpinAndFlag(), { ...o, workers: 0, factory: undefined, shard: undefined });
    expect(b.violations).toEqual(explore(new SpinAndFlag(), o).violations);
    expect(b.violations).toHaveLength(1);
  });
});

describe('exploreDfs on the catalogue: the verdicts of BFS on every era', () => {
  for (const s of loadCatalog()) {
    it(s.name, () => {
      for (const era of ERAS) {
        const k = kernelOfEra(era);
        const m = new MmModel(s.cfg, k);
        const names = s.invariants;
        const o = exploreOptions({ maxDepth: s.depth ?? 200, properties: properties(m, names), deadlock: names.includes(NO_DEADLOCK) });
        const bfs = explore(m, o);
        const dfs = exploreDfs(m, o);
        expect(dfs.end, era.id).toBe(bfs.end);
        expect(dfs.violations.map((v) => v.property).sort(), era.id).toEqual(bfs.violations.map((v) => v.property).sort());
        if (bfs.end === 'exhausted') expect(dfs.stats.states, era.id).toBe(bfs.stats.states);
        for (const v of dfs.violations) {
          if (v.property === NO_DEADLOCK) continue;
          const last = replay(m, v.path);
          expect(properties(m, [v.property])[0]!.holds(last), `${era.id} ${v.property}`).toBe(false);
        }
      }
    });
  }
});
