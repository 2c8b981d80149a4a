/**
 * writable-implies-exclusive (reference §E.2.4): a writable anon PTE maps a
 * PAE page (5.19+) or a page with mapcount 1 (before).
 */
import { describe, expect, it } from 'vitest';
import { writableImpliesExclusive } from '../../invariants/writableImpliesExclusive.js';
import * as L from '../../model/layout.js';
import type { MmModel } from '../../model/mmModel.js';
import { afterSetup, edit, makeModel, runActor } from '../model/harness.js';

const holds = (m: MmModel, s: Uint8Array): boolean => writableImpliesExclusive.make(m)(m.view(s));

describe('writable-implies-exclusive', () => {
  it.each(['5.7', '5.10', '6.1'])('holds through write, fork and the COW write (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\n  write A\n', k);
    let s = afterSetup(m);
    expect(holds(m, s)).toBe(true);
    while (m.view(s).act(0, L.A_PC) < m.cfg.actors[0]!.program.length) {
      s = runActor(m, s, 0, 1);
      expect(holds(m, s)).toBe(true);
    }
  });

  it('5.10: a writable PTE on a page with mapcount 2 violates it (constructed)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\nP0:\n  read A\n', '5.10');
    const v = edit(m, afterSetup(m));
    v.setPteFlags(0, 0, v.pteFlags(0, 0) | L.PTEF_WRITE);
    expect(writableImpliesExclusive.make(m)(v)).toBe(false);
    expect(writableImpliesExclusive.explain(m, v)).toBe("P0's A maps page#1 writable, but the page has mapcount 2.");
  });

  it('6.1: a writable PTE on a non-PAE page violates it even with mapcount 1 (constructed)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  read A\n', '6.1');
    const v = edit(m, afterSetup(m));
    v.setFlag(1, L.PGF_PAE, false);
    expect(writableImpliesExclusive.make(m)(v)).toBe(false);
    expect(writableImpliesExclusive.explain(m, v)).toBe("P0's A maps page#1 writable, but the page is not PageAnonExclusive.");
  });
});
