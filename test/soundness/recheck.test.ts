/**
 * With reductions on, a violation's path is re-found in the full graph,
 * bounded to the reduced path's depth (api/recheck.ts; issue #5): the
 * path check() minimises is the full graph's shortest. On a toy model
 * where POR makes the violation deeper, and on every violation of the
 * catalogue on four eras.
 */
import { describe, expect, it } from 'vitest';
import { check, properties } from '../../api/check.js';
import { recheckFull } from '../../api/recheck.js';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import type { Model, Property } from '../../explorer/types.js';
import { NO_DEADLOCK } from '../../explorer/types.js';
import { ERAS, kernelOfEra } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { catalogNames, loadScenario } from '../../scenario/catalog.js';

/** Three independent counters 0..2; POR runs counters 0 and 2 before the visible counter 1. */
const counters: Model = {
  stateBytes: 4, actionCount: 3,
  initialState: () => new Uint8Array(4),
  enabled: (s, out) => { let c = 0; for (let i = 0; i < 3; i++) if (s[i]! < 2) out[c++] = i; return c; },
  apply: (s, a, into) => { into.set(s); into[a] = s[a]! + 1; },
  isFinal: (s) => s[0] === 2 && s[1] === 2 && s[2] === 2,
  por: {
    locations: 3, actors: 3, actorOf: (a) => a,
    footprint: (_s, a, out) => { out.push(a); },
    future: (s, q, out) => { if (s[q]! < 2) out.push(q); },
  },
};
const c1: Property = { name: 'c1<2', holds: (s) => s[1]! < 2, reads: Uint8Array.from([0, 1, 0, 0]) };

describe('recheckFull', () => {
  it('replaces a reduced path by the full graph\'s shortest', () => {
    const red = explore(counters, exploreOptions({ por: true, properties: [c1] }));
    expect(red.violations[0]!.path).toEqual([0, 0, 2, 2, 1, 1]);
    const rc = recheckFull(counters, [c1], red.violations);
    expect(rc.violations).toEqual([{ property: 'c1<2', path: [1, 1] }]);
    expect(rc.complete).toBe(true);
    // bounded by the reduced path's depth: never deeper than needed
    expect(rc.states).toBeLessThanOrEqual(27);
  });

  it('keeps the reduced path when the recheck hits a bound, and says so', () => {
    const red = explore(counters, exploreOptions({ por: true, properties: [c1] }));
    const rc = recheckFull(counters, [c1], red.violations, { maxStates: 2 });
    expect(rc.complete).toBe(false);
    expect(rc.violations).toEqual(red.violations);
  });
});

describe('check(): every catalogue violation\'s path is found in the full graph, as short as the full BFS finds it', () => {
  const cells = catalogNames().flatMap((n) => ['E0', 'E2', 'E5', 'E9'].map((id) => ({ label: `${n} on ${id}`, n, e: ERAS.find((x) => x.id === id)! })));
  it.each(cells)('$label', ({ n, e }) => {
    const s = loadScenario(n);
    const k = kernelOfEra(e);
    const m = new MmModel(s.cfg, k);
    const full = explore(m, exploreOptions({
      maxDepth: 10_000, properties: properties(m, s.invariants), deadlock: s.invariants.includes(NO_DEADLOCK), stopWhenAllViolated: true,
    }));
    const red = explore(m, exploreOptions({
      maxDepth: 10_000, properties: properties(m, s.invariants), deadlock: s.invariants.includes(NO_DEADLOCK), stopWhenAllViolated: true, por: true, symmetry: true,
    }));
    const rc = recheckFull(m, properties(m, s.invariants), red.violations);
    expect(rc.complete).toBe(true);
    const len = (vs: typeof full.violations) => Object.fromEntries(vs.map((v) => [v.property, v.path.length]));
    expect(len(rc.violations)).toEqual(len(full.violations));
    // and check() with its defaults reports the recheck exactly when a reduced run found something
    const r = check(s, k);
    const reduced = r.bound.por || r.bound.symmetry;
    expect(r.recheck !== undefined).toBe(reduced && r.verdict === 'violated');
    if (r.recheck) expect(r.recheck.complete).toBe(true);
  });
});
