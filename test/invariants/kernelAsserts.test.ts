/**
 * kernel-asserts (reference §E.3): none of the era's VM_BUG_ON/WARN
 * conditions of the modelled code fires; the steps record the first one.
 */
import { describe, expect, it } from 'vitest';
import { ASSERTIONS, kernelAsserts } from '../../invariants/kernelAsserts.js';
import * as L from '../../model/layout.js';
import type { MmModel } from '../../model/mmModel.js';
import { afterSetup, edit, makeModel, runActor } from '../model/harness.js';

const holds = (m: MmModel, s: Uint8Array): boolean => kernelAsserts.make(m)(m.view(s));

describe('kernel-asserts', () => {
  it('holds in normal operation on 6.1 (R/O pin unshares first)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\n  P1: exit\nP0:\n  pin A ro fast\n  write A\n', '6.1');
    expect(holds(m, runActor(m, afterSetup(m), 0))).toBe(true);
  });

  it('follow_page_pte: a FOLL_PIN of an anon page that is not PAE fires (6.1, constructed)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  pin A ro\n', '6.1');
    const v = edit(m, afterSetup(m));
    v.setFlag(1, L.PGF_PAE, false); // writable PTE, so no unshare fault: follow_page_pte grabs it
    const s = runActor(m, v.b, 0);
    expect(m.view(s).assertFired).toBe(1);
    expect(holds(m, s)).toBe(false);
    expect(kernelAsserts.explain(m, m.view(s))).toBe('follow_page_pte: VM_BUG_ON_PAGE(FOLL_PIN && PageAnon && !PageAnonExclusive) fires.');
  });

  it('sanity_check_pinned_pages: GUP-fast returning a pinned non-PAE anon page fires (6.1, constructed)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw fast\n', '6.1');
    const v = edit(m, afterSetup(m));
    v.setFlag(1, L.PGF_PAE, false);
    const s = runActor(m, v.b, 0);
    expect(m.view(s).assertFired).toBe(2);
    expect(kernelAsserts.explain(m, m.view(s))).toBe(`${ASSERTIONS[2]} fires.`);
    expect(kernelAsserts.explain(m, m.view(s))).toContain('sanity_check_pinned_pages');
  });

  it('5.10 has none of these assertions: the same construction holds', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  pin A ro\n  pin A rw fast\n', '5.10');
    expect(holds(m, runActor(m, afterSetup(m), 0))).toBe(true);
  });

  it('the first assertion wins', () => {
    const m = makeModel('setup:\n  P0: mmap A anon\nP0:\n  read A\n', '6.1');
    const v = edit(m, afterSetup(m));
    v.fireAssert(3);
    v.fireAssert(1);
    expect(v.assertFired).toBe(3);
    expect(kernelAsserts.explain(m, v)).toBe('wp_page_reuse: VM_BUG_ON(PageAnon && !PageAnonExclusive) fires.');
  });

  it('an unknown code is still explained', () => {
    const m = makeModel('setup:\n  P0: mmap A anon\nP0:\n  read A\n', '6.1');
    const v = edit(m, afterSetup(m));
    v.fireAssert(99);
    expect(kernelAsserts.explain(m, v)).toBe('assertion 99 fires.');
  });
});
