/**
 * The parallel level engine (explorer/parallel.ts) run in this thread
 * (workers: 0): the same states, transitions, depths, ends and violation
 * paths as explorer/bfs.ts on toy models and on every catalogue scenario
 * on every era — also when the chunks are expanded last first, which makes
 * lower chunks claim states that higher chunks inserted (the race the
 * table's atomic min settles) — and the shard cut covering the graph.
 * Worker threads are tested in test/explorer/workers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import { exploreParallel, SHARD_MIN_PER_SHARD } from '../../explorer/parallel.js';
import type { ParallelOptions, ShardSpec } from '../../explorer/parallel.js';
import type { ExploreOptions, ExploreResult, Model, Property } from '../../explorer/types.js';
import { NO_DEADLOCK } from '../../explorer/types.js';
import { Counters as BaseCounters } from './counters.js';
import { properties } from '../../api/check.js';
import { ERAS, kernelOfEra } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { loadCatalog } from '../../scenario/catalog.js';



/** Counters whose all-K corner is a deadlock (never final). */
class Counters extends BaseCounters {
  constructor(n: number, k: number) {
    super(n, k, false);
  }
}

/** Counters with POR support (each actor owns its counter) and symmetry (counters sorted). */
class ReducibleCounters extends Counters {
  readonly por = {
    locations: this.n, actors: this.n,
    actorOf: (a: number): number => a,
    footprint: (_s: Uint8Array, a: number, out: number[]): void => { out.push(a); },
    future: (s: Uint8Array, q: number, out: number[]): void => { if (s[q]! < this.k) out.push(q); },
  };
  canonicalize(s: Uint8Array): void {
    const sorted = [...s.subarray(0, this.n)].sort((a, b) => b - a);
    s.set(sorted);
  }
}

/** Reads only counter 0 (so steps of the other counters are invisible to it). */
const firstBelow = (k: number): Property => {
  const reads = new Uint8Array(4);
  reads[0] = 1;
  return { name: `first-below-${k}`, holds: (s) => s[0]! < k, reads };
};

const sumIs = (n: number, t: number): Property => ({ name: `sum-not-${t}`, holds: (s) => s.reduce((a, b) => a + b, 0) !== t || n < 0 });
const cornerFree = (k: number): Property => ({ name: 'no-k-k', holds: (s) => !(s[0] === k && s[1] === k) });

function inline(model: Model, o: Partial<ExploreOptions>, extra: Partial<ParallelOptions> = {}): ExploreResult {
  return exploreParallel(model, { ...exploreOptions(o), workers: 0, factory: undefined, shard: undefined, ...extra });
}

/** What must agree between two runs: ends, violation paths by property, counts. */
function essence(r: ExploreResult): unknown {
  return {
    end: r.end, limit: r.limit,
    violations: [...r.violations].sort((a, b) => a.property.localeCompare(b.property)),
    states: r.stats.states, transitions: r.stats.transitions, maxDepth: r.stats.maxDepth,
  };
}

describe('parallel engine in one thread = bfs.ts', () => {
  it.each([
    ['exhaustive, nothing violated', { maxDepth: 1000 }],
    ['depth bound', { maxDepth: 5 }],
    ['violations and deadlock, going on', { deadlock: true, properties: [sumIs(4, 7), cornerFree(4)] }],
    ['stop when all violated', { deadlock: true, properties: [sumIs(4, 7), cornerFree(4)], stopWhenAllViolated: true }],
    ['all violated in the initial state', { properties: [sumIs(4, 0)], stopWhenAllViolated: true }],
  ] as const)('%s', (_name, o) => {
    for (const [n, k] of [[3, 4], [4, 4], [2, 30]] as const) {
      const want = essence(explore(new Counters(n, k), exploreOptions(o)));
      expect(essence(inline(new Counters(n, k), o))).toEqual(want);
      expect(essence(inline(new Counters(n, k), o, { reverseChunks: true }))).toEqual(want);
      // with no room in the claims log, PLACE looks the claimed chunks' records up in the table instead
      expect(essence(inline(new Counters(n, k), o, { reverseChunks: true, claimsCapacity: 0 }))).toEqual(want);
    }
  });
  it.each([
    ['POR', { por: true }],
    ['symmetry', { symmetry: true }],
    ['both', { por: true, symmetry: true }],
  ] as const)('with reductions (%s): the same reduced graph, violations and reduction counts', (_name, red) => {
    for (const o of [{ properties: [firstBelow(3)], deadlock: true }, { properties: [firstBelow(9)], maxDepth: 6 }]) {
      const opts = { ...o, ...red };
      const bfs = explore(new ReducibleCounters(4, 4), exploreOptions(opts));
      const par = inline(new ReducibleCounters(4, 4), opts);
      expect(essence(par)).toEqual(essence(bfs));
      expect(par.reductions).toEqual(bfs.reductions);
      expect(essence(inline(new ReducibleCounters(4, 4), opts, { reverseChunks: true }))).toEqual(essence(bfs));
      expect(essence(inline(new ReducibleCounters(4, 4), opts, { reverseChunks: true, claimsCapacity: 0 }))).toEqual(essence(bfs));
      if ('symmetry' in red) expect(par.stats.states).toBeLessThan(5 ** 4);
      if ('por' in red) expect(bfs.reductions.ampleStates).toBeGreaterThan(0);
    }
  });
  it('states of the Counters lattice: (K+1)^N, each found once', () => {
    const r = inline(new Counters(4, 5), { deadlock: true });
    expect(r.stats.states).toBe(6 ** 4);
    expect(r.stats.transitions).toBe(4 * 5 * 6 ** 3);
    expect(r.stats.maxDepth).toBe(20);
    expect(r.violations).toEqual([{ property: NO_DEADLOCK, path: Array.from({ length: 20 }, (_, i) => Math.floor(i / 5)) }]);
  });
  it('the state bound stops it (incomplete)', () => {
    const r = inline(new Counters(4, 5), { maxStates: 100 });
    expect(r.end).toBe('limit');
    expect(r.limit).toBe('states');
  });
  it('the stop hook stops it with its reason', () => {
    let asked = 0;
    const r = exploreParallel(new Counters(5, 6), {
      ...exploreOptions({}), stop: () => (++asked > 3 ? 'interrupted' : undefined), workers: 0, factory: undefined, shard: undefined,
    });
    expect(r.end).toBe('limit');
    expect(r.limit).toBe('interrupted');
    expect(r.stats.states).toBeLessThan(7 ** 5);
  });
});

describe('catalogue scenarios on every era, with and without reductions: parallel engine in one thread = bfs.ts', () => {
  for (const s of loadCatalog()) {
    it.each([[false], [true]])(`${s.name} (reductions: %s)`, (reduce) => {
      for (const era of ERAS) {
        const k = kernelOfEra(era);
        const names = s.invariants;
        const opts = (m: MmModel): ExploreOptions => exploreOptions({
          maxDepth: s.depth ?? 200, properties: properties(m, names), deadlock: names.includes(NO_DEADLOCK), stopWhenAllViolated: true,
          por: reduce, symmetry: reduce,
        });
        const a = new MmModel(s.cfg, k);
        const want = essence(explore(a, opts(a)));
        const b = new MmModel(s.cfg, k);
        expect(essence(exploreParallel(b, { ...opts(b), workers: 0, factory: undefined, shard: undefined })), era.id).toEqual(want);
        const c = new MmModel(s.cfg, k);
        expect(essence(exploreParallel(c, { ...opts(c), workers: 0, factory: undefined, shard: undefined, reverseChunks: true })), era.id).toEqual(want);
        const d = new MmModel(s.cfg, k);
        const full = { ...opts(d), workers: 0, factory: undefined, shard: undefined, reverseChunks: true, claimsCapacity: 0 };
        expect(essence(exploreParallel(d, full)), era.id).toEqual(want);
      }
    });
  }
});

describe('shards', () => {
  const shard = (index: number, count: number, depth?: number): ShardSpec => ({ index, count, depth });
  it('cut the frontier at the first level with enough states per shard; the parts cover the graph', () => {
    const o = exploreOptions({ deadlock: true });
    const full = inline(new Counters(4, 5), o);
    const parts = [0, 1, 2].map((i) => exploreParallel(new Counters(4, 5), { ...o, workers: 0, factory: undefined, shard: shard(i, 3) }));
    const cut = parts[0]!.shard!;
    expect(cut.depth).toBeDefined();
    expect(cut.frontier).toBeGreaterThanOrEqual(SHARD_MIN_PER_SHARD * 3);
    expect(parts.map((p) => p.shard!.part).reduce((a, b) => a + b)).toBe(cut.frontier);
    expect(parts.every((p) => p.shard!.frontier === cut.frontier && p.shard!.depth === cut.depth)).toBe(true);
    // every shard reaches the corner deadlock; the shortest, then
    // lexicographically smallest, of their paths is the one-run path
    const paths = parts.map((p) => p.violations[0]!.path).sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()));
    expect(paths[0]).toEqual(full.violations[0]!.path);
    for (const p of parts) expect(p.end).toBe('exhausted');
  });
  it('the shards together check every state', () => {
    const seen = (into: Set<string>): Property => ({ name: 'record', holds: (s) => { into.add(s.join()); return true; } });
    const all = new Set<string>();
    inline(new Counters(4, 4), { properties: [seen(all)] });
    const union = new Set<string>();
    let summed = 0;
    for (const i of [0, 1, 2, 3]) {
      const r = exploreParallel(new Counters(4, 4), { ...exploreOptions({ properties: [seen(union)] }), workers: 0, factory: undefined, shard: shard(i, 4, 3) });
      summed += r.stats.states;
    }
    expect(all.size).toBe(5 ** 4);
    expect(union).toEqual(all);
    expect(summed).toBeGreaterThan(all.size); // the prefix, and states reachable from several parts, count once per shard
  });
  it('an explicit cut depth; a graph that ends first is explored whole by every shard', () => {
    const o = exploreOptions({});
    const r = exploreParallel(new Counters(3, 2), { ...o, workers: 0, factory: undefined, shard: shard(1, 2, 2) });
    expect(r.shard).toEqual({ depth: 2, frontier: 6, part: 3 });
    const small = exploreParallel(new Counters(2, 1), { ...o, workers: 0, factory: undefined, shard: shard(0, 4) });
    expect(small.shard).toEqual({ depth: undefined, frontier: 0, part: 0 });
    expect(small.stats.states).toBe(4);
  });
});
