/**
 * Pinned reachable state counts of small MM configurations with and
 * without the reductions (all invariants checked, so POR's visibility
 * condition is the strictest). REGRESSION PINS, computed once: the full
 * counts change with the model (see test/model/stateCounts.test.ts for
 * what legitimately moves them); the reduced ones also with the step
 * footprints, model/porSupport.ts, invariants/reads.ts and
 * model/symmetry.ts. Whether a reduction is sound is the soundness
 * harness's business (test/soundness/); these say how much it reduces,
 * so a change to a footprint that silently loses (or gains) reduction
 * shows up here.
 */
import { describe, expect, it } from 'vitest';
import { properties } from '../../api/check.js';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import { INVARIANT_NAMES } from '../../invariants/index.js';
import { makeModel } from '../model/harness.js';

const SCENARIOS = {
  // two processes, each writing its own copy of a page after fork; P0 zaps and refaults A
  'two-writers': 'setup:\n  P0: mmap A anon; mmap B anon; write A; write B; fork P1\nP0:\n  write A\n  madvise A dontneed\n  write A\nP1:\n  write B\n  pin A ro as p1\n  unpin p1\n',
  // the same with more writes: the order in which the two processes allocate is a frame renaming
  'sym1': 'setup:\n  P0: mmap A anon; mmap B anon; write A; write B; fork P1\nP0:\n  write A\n  write B\n  madvise A dontneed\n  write A\nP1:\n  write B\n  write A\n  pin A ro as p1\n  unpin p1\n',
  // stateCounts.test.ts's three actors (a GUP-fast pin racing fork and COW)
  'three-actors': 'setup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\n  write A\nP0.T1:\n  pin A ro fast\n  unpin pin0\nP1:\n  write A\n  exit\n',
} as const;

/** [scenario, kernel, full, POR, symmetry, both] */
const PINS: readonly [keyof typeof SCENARIOS, string, number, number, number, number][] = [
  ['two-writers', '5.10', 181, 156, 127, 109],
  ['two-writers', '6.1', 413, 366, 197, 171],
  ['sym1', '5.10', 1129, 846, 253, 222],
  ['sym1', '6.1', 1127, 844, 251, 220],
  ['three-actors', '5.10', 935, 888, 669, 648],
  ['three-actors', '6.1', 1954, 1830, 1098, 1042],
];

describe('pinned reduced state counts', () => {
  it.each(PINS)('%s on %s: full %i, POR %i, symmetry %i, both %i', (name, kernel, full, por, sym, both) => {
    const m = makeModel(SCENARIOS[name], kernel);
    const count = (p: boolean, s: boolean): number => {
      const r = explore(m, exploreOptions({ properties: properties(m, INVARIANT_NAMES.filter((n) => n !== 'no-deadlock')), deadlock: true, por: p, symmetry: s }));
      expect(r.end).toBe('exhausted');
      expect(r.reductions).toMatchObject({ por: p, symmetry: s, symmetryDropped: false });
      return r.stats.states;
    };
    expect([count(false, false), count(true, false), count(false, true), count(true, true)]).toEqual([full, por, sym, both]);
  });
});
