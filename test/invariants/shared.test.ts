/**
 * The invariants on a shared mapping's shmem page (model/shmem.ts):
 * refcount-consistent counts the page cache's reference; no-missed-cow does
 * not count a write through MAP_SHARED (it is meant to be seen), while the
 * same write to a private anon page another process still maps is a missed
 * COW; pinned-not-cow-shared and writable-implies-exclusive are about anon
 * pages, so a page mapped writable by two processes and pinned breaks
 * neither.
 */
import { describe, expect, it } from 'vitest';
import { noMissedCow } from '../../invariants/noMissedCow.js';
import { pinnedNotCowShared } from '../../invariants/pinnedNotCowShared.js';
import { refcountConsistent } from '../../invariants/refcountConsistent.js';
import { writableImpliesExclusive } from '../../invariants/writableImpliesExclusive.js';
import { anonExclusiveSound } from '../../invariants/anonExclusiveSound.js';
import { pinCoherent } from '../../invariants/pinCoherent.js';
import type { Invariant } from '../../invariants/types.js';
import * as L from '../../model/layout.js';
import type { MmModel } from '../../model/mmModel.js';
import { actor, afterSetup, edit, makeModel, runActor, vaOf } from '../model/harness.js';

const holds = (inv: Invariant, m: MmModel, s: Uint8Array): boolean => inv.make(m)(m.view(s));

describe('refcount-consistent on a shared mapping', () => {
  it('counts the page cache: PTE + cache; dropping the cache reference is reported', () => {
    const m = makeModel('setup:\n  P0: mmap A shared; write A\nP0:\n  exit\n', '6.1');
    const p = m.lay.vaShmem[vaOf(m, 'A')]!;
    const v = edit(m, afterSetup(m));
    expect(v.refcount(p)).toBe(2);
    expect(refcountConsistent.make(m)(v)).toBe(true);
    v.setPage(p, L.PG_REFS, 1);
    expect(refcountConsistent.make(m)(v)).toBe(false);
    expect(refcountConsistent.explain(m, v)).toBe(`page#${p} refcount 1, but its holders account for 2.`);
  });

  it('a page left in the page cache by a zap is no leak; the last VMA\'s exit frees it', () => {
    const m = makeModel('setup:\n  P0: mmap A shared; write A; fork P1\n  P1: read A\nP1:\n  madvise A dontneed\n  exit\nP0:\n  exit\n', '6.1');
    let s = runActor(m, afterSetup(m), actor(m, 'P1'));
    expect(holds(refcountConsistent, m, s)).toBe(true);
    s = runActor(m, s, actor(m, 'P0'));
    expect(holds(refcountConsistent, m, s)).toBe(true);
    expect(m.view(s).hasFlag(m.lay.vaShmem[vaOf(m, 'A')]!, L.PGF_ALLOC)).toBe(false);
  });
});

describe('no-missed-cow and the anon-only invariants on a shared mapping', () => {
  const prog = (mode: string): string => `setup:\n  P0: mmap A ${mode}; write A; pin A rw\n  P0: fork P1\n  P1: read A\nP0:\n  write A\n`;

  it('a write by one process to the page the other maps is no missed COW on a shared mapping (all invariants hold)', () => {
    for (const k of ['5.7', '5.10', '6.1']) {
      const m = makeModel(prog('shared'), k);
      const s = runActor(m, afterSetup(m), actor(m, 'P0'));
      const v = m.view(s);
      const p = m.lay.vaShmem[vaOf(m, 'A')]!;
      expect([v.pfn(0, 0), v.pfn(1, 0), v.mapcount(p), v.writable(0, 0), v.writable(1, 0)]).toEqual([p, p, 2, true, true]);
      expect(v.page(p, L.PG_CONTENT)).toBe(L.CONTENT_MM + 0);
      for (const inv of [noMissedCow, pinnedNotCowShared, writableImpliesExclusive, anonExclusiveSound, pinCoherent, refcountConsistent]) {
        expect(holds(inv, m, s), `${inv.name} on ${k}`).toBe(true);
      }
    }
  });

  it('the ghost noteWrite records for an anon page is not recorded for a shmem page, whatever maps it', () => {
    const m = makeModel(prog('shared'), '5.7');
    const s = afterSetup(m);
    const p = m.lay.vaShmem[vaOf(m, 'A')]!;
    // Make P1's mapping a plain anon page of the same frame: the same store is then a missed COW.
    const v = edit(m, s);
    v.setFlag(p, L.PGF_SHMEM, false);
    v.setFlag(p, L.PGF_ANON, true);
    v.setPage(p, L.PG_REFS, v.page(p, L.PG_REFS) - 1);
    const after = runActor(m, v.b, actor(m, 'P0'));
    expect(holds(noMissedCow, m, after)).toBe(false);
    expect(holds(noMissedCow, m, runActor(m, s, actor(m, 'P0')))).toBe(true);
  });
});
