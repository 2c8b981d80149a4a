/**
 * no-missed-cow (reference §E.2.3, §C.2 row 2a): no write by one process
 * reaches a page another process maps or holds a GUP reference on. The
 * writing step records a ghost; the invariant reads it.
 */
import { describe, expect, it } from 'vitest';
import { noMissedCow } from '../../invariants/noMissedCow.js';
import * as L from '../../model/layout.js';
import type { MmModel } from '../../model/mmModel.js';
import { actor, afterSetup, edit, makeModel, runActor, runSequential } from '../model/harness.js';

const holds = (m: MmModel, s: Uint8Array): boolean => noMissedCow.make(m)(m.view(s));

/** CVE-2020-29374: the child vmsplices (R/O FOLL_GET), unmaps; the parent writes. */
const VMSPLICE = 'setup:\n  P0: mmap A anon; write A; fork P1\nP1:\n  get A ro\n  munmap A\nP0:\n  write A\n';

describe('no-missed-cow', () => {
  it('5.7: the parent reuses the page the child\'s pipe holds; the explanation names the page and the reference', () => {
    const m = makeModel(VMSPLICE, '5.7');
    let s = runActor(m, afterSetup(m), actor(m, 'P1'));
    expect(holds(m, s)).toBe(true);
    s = runActor(m, s, actor(m, 'P0'));
    expect(holds(m, s)).toBe(false);
    expect(m.view(s).b[L.G_MISSED_COW]).toBe(1 + 0);
    expect(m.view(s).b[L.G_MISSED_COW_PFN]).toBe(1);
    const text = noMissedCow.explain(m, m.view(s));
    expect(text).toMatch(/^P0 wrote page#1 in place, but /);
    expect(text).toContain("P1's pin0");
    expect(text).toContain('missed COW');
  });

  it.each(['5.8', '5.10', '6.1'])('holds on %s for the same program', (k) => {
    const m = makeModel(VMSPLICE, k);
    const s = runSequential(m, afterSetup(m), ['P1', 'P0']);
    expect(holds(m, s)).toBe(true);
  });

  it('a write through a writable PTE to a page another process maps is recorded (constructed)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\nP0:\n  write A\n', '5.10');
    const v = edit(m, afterSetup(m));
    v.setPteFlags(0, 0, v.pteFlags(0, 0) | L.PTEF_WRITE); // a stale writable PTE
    const s = runActor(m, v.b, 0);
    expect(holds(m, s)).toBe(false);
    expect(noMissedCow.explain(m, m.view(s))).toContain('P1:A');
  });

  it('a DMA write through a pin on a page shared with another process is recorded as the pinner\'s write', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; pin A rw; fork P1\ndevice:\n  dma-write pin0\n', '5.7');
    const s = runActor(m, afterSetup(m), actor(m, 'device'));
    expect(holds(m, s)).toBe(false);
    expect(noMissedCow.explain(m, m.view(s))).toMatch(/^P0 wrote page#1 in place, but .*P1:A/);
  });

  it('only the first missed COW is kept', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  write A\n', '5.10');
    const v = edit(m, afterSetup(m));
    v.b[L.G_MISSED_COW] = 2;
    v.b[L.G_MISSED_COW_PFN] = 7;
    const s = runActor(m, v.b, 0);
    expect([s[L.G_MISSED_COW], s[L.G_MISSED_COW_PFN]]).toEqual([2, 7]);
  });
});
