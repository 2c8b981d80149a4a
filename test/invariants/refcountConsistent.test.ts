/**
 * refcount-consistent (reference §A.1, §E.2.6): refcount = mappings +
 * swapcache + FOLL_GET refs + transient refs + 1024·pins; mapcount = PTEs;
 * no free while mapped; no allocated page without a holder.
 */
import { describe, expect, it } from 'vitest';
import { refcountConsistent } from '../../invariants/refcountConsistent.js';
import * as L from '../../model/layout.js';
import type { MmModel } from '../../model/mmModel.js';
import { afterSetup, edit, makeModel, runActor } from '../model/harness.js';

const holds = (m: MmModel, s: Uint8Array): boolean => refcountConsistent.make(m)(m.view(s));
const BASE = 'setup:\n  P0: mmap A anon; write A; pin A rw; fork P1\nP0:\n  read A\n';

describe('refcount-consistent', () => {
  it('holds at every step of a COW write with a held pin and a transient reference', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\n  P1: get A ro\nP0:\n  write A\n', '5.10');
    let s = afterSetup(m);
    expect(holds(m, s)).toBe(true);
    for (let i = 0; i < 5; i++) {
      s = runActor(m, s, 0, 1);
      expect(holds(m, s), `after step ${i + 1}`).toBe(true);
    }
    expect(m.view(s).refcount(1)).toBe(2); // child's PTE + its FOLL_GET
  });

  it('counts the reference do_wp_page holds between decide and install', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\nP0:\n  write A\n', '5.10');
    const v = edit(m, runActor(m, afterSetup(m), 0, 2));
    expect(v.act(0, L.A_HOLD)).toBe(1);
    expect(refcountConsistent.make(m)(v)).toBe(true);
    v.setAct(0, L.A_HOLD, L.NO_PFN);
    expect(refcountConsistent.make(m)(v)).toBe(false);
    expect(refcountConsistent.explain(m, v)).toBe('page#1 refcount 3, but its holders account for 2.');
  });

  it('a refcount with no holder is reported with both numbers', () => {
    const m = makeModel(BASE, '5.10'); // 5.10: the child got a copy (page#2)
    const v = edit(m, afterSetup(m));
    expect(refcountConsistent.make(m)(v)).toBe(true);
    v.getRef(1);
    expect(refcountConsistent.make(m)(v)).toBe(false);
    expect(refcountConsistent.explain(m, v)).toBe('page#1 refcount 1026, but its holders account for 1025.');
  });

  it('a pin count without a pin is reported', () => {
    const m = makeModel(BASE, '5.10');
    const v = edit(m, afterSetup(m));
    v.setPage(2, L.PG_PINS, 1);
    expect(refcountConsistent.explain(m, v)).toBe('page#2 refcount 1025, but its holders account for 1.');
  });

  it('a wrong mapcount is reported', () => {
    const m = makeModel(BASE, '5.7'); // 5.7: page#1 shared, mapcount 2
    const v = edit(m, afterSetup(m));
    expect(refcountConsistent.make(m)(v)).toBe(true);
    v.addMap(1, -1);
    expect(refcountConsistent.make(m)(v)).toBe(false);
    expect(refcountConsistent.explain(m, v)).toBe('page#1 mapcount 1, but 2 PTEs map it.');
  });

  it('a free frame that is still mapped is reported', () => {
    const m = makeModel(BASE, '5.10');
    const v = edit(m, afterSetup(m));
    v.setPage(2, L.PG_FLAGS, 0);
    expect(refcountConsistent.explain(m, v)).toBe('page#2 is free but still mapped or referenced.');
  });

  it('the bad-free ghost (a page freed while mapped) is reported first', () => {
    const m = makeModel(BASE, '5.10');
    const v = edit(m, afterSetup(m));
    v.b[L.G_BAD_FREE] = 1 + 2;
    expect(refcountConsistent.make(m)(v)).toBe(false);
    expect(refcountConsistent.explain(m, v)).toBe('page#2 was freed while still mapped.');
  });

  it('an allocated page with refcount 0 and no holder is a leak', () => {
    const m = makeModel('setup:\n  P0: mmap A anon\nP0:\n  read A\n', '6.1');
    const v = edit(m, afterSetup(m));
    v.setPage(3, L.PG_FLAGS, L.PGF_ALLOC | L.PGF_ANON);
    expect(refcountConsistent.make(m)(v)).toBe(false);
    expect(refcountConsistent.explain(m, v)).toBe('page#3 has no holder left but was never freed (leak).');
  });
});
