/**
 * do_wp_page and wp_page_copy (reference §B.2): the write or unshare fault
 * on a present, write-protected PTE.
 *
 * Three steps, as §E.1 requires: `decide` under the PTL (reuse, or take a
 * reference on the old page and drop the PTL), `alloc` without locks
 * (allocate and copy the contents), `install` under the PTL after a
 * pte_same() check. Between decide and install the old page can gain or
 * lose references — the window where GUP races COW.
 */
import * as L from '../layout.js';
import { allocPage, mapNewAnon, newPteFlags, putPage } from '../pages.js';
import { LOC_ALLOC, step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { faultReturn, fp, fpVa, goto, pteSame, rememberPte } from './common.js';
import { isReuse, wpDecide, wpReason } from './wpDecide.js';

export const ASSERT_WP_PAGE_REUSE = 3; // wp_page_reuse: VM_BUG_ON(anon && !PageAnonExclusive)

/** The decide part, run by the fault entry step under the PTL. Returns the reason code. */
export function doWpPage(v: StateView, c: Ctx): number {
  const m = c.mm;
  const va = c.instr.va;
  const p = v.pfn(m, va);
  const unshare = v.actFlag(c.actor, L.AF_UNSHARE);
  const r = wpDecide(v, c.k, p);
  if (isReuse(r)) {
    reuse(v, c, p, unshare);
    faultReturn(v, c);
    return r;
  }
  // Copy: folio_get(old) (none for the zeropage), remember the PTE, drop the PTL.
  if (p !== L.ZERO_PFN) v.getRef(p);
  v.setAct(c.actor, L.A_HOLD, p === L.ZERO_PFN ? L.NO_PFN : p);
  rememberPte(v, c);
  goto(v, c, wpAlloc);
  return r;
}

/** wp_page_reuse, or the unshare return that leaves the PTE R/O (c89357e27f20). */
function reuse(v: StateView, c: Ctx, p: number, unshare: boolean): void {
  const m = c.mm;
  const va = c.instr.va;
  if (c.k.pae) v.setFlag(p, L.PGF_PAE, true); // SetPageAnonExclusive when reusing
  if (v.hasFlag(p, L.PGF_SWAPCACHE) && c.k.wpFreeSwapcache) {
    v.setFlag(p, L.PGF_SWAPCACHE, false); // folio_free_swap under the folio lock (5.18+)
    putPage(v, p);
  }
  if (unshare) return;
  if (c.k.pae && !v.pae(p)) v.fireAssert(ASSERT_WP_PAGE_REUSE);
  v.setPteFlags(m, va, v.pteFlags(m, va) | newPteFlags(v, m, va, true) | L.PTEF_DIRTY);
}

export function explainWpPage(b: StateView, c: Ctx): string {
  const p = b.pfn(c.mm, c.instr.va);
  const unshare = b.actFlag(c.actor, L.AF_UNSHARE);
  const r = wpDecide(b, c.k, p);
  const what = unshare ? 'unshare' : 'write';
  const tail = isReuse(r) ? (unshare ? ', PTE stays R/O' : ', PTE -> RW') : '';
  return `${what} fault on R/O page#${p}: ${wpReason(b, p, r)}${tail}`;
}

export const wpAlloc = step({
  name: 'wp.alloc',
  fn: 'wp_page_copy',
  cite: 'reference §B.2 wp_page_copy step 1 (allocate and copy, no PTL)',
  guard: () => true,
  effect(v, c) {
    const old = v.act(c.actor, L.A_ORIG_PFN);
    const content = old === L.ZERO_PFN ? L.CONTENT_ZERO : v.page(old, L.PG_CONTENT);
    v.setAct(c.actor, L.A_NEW, allocPage(v, content));
    goto(v, c, wpInstall);
  },
  footprint(v, c, out) {
    fpVa(v, c, out);
    out.push(LOC_ALLOC);
  },
  explain: (b, a, c) => `alloc page#${a.act(c.actor, L.A_NEW)}, copy page#${b.act(c.actor, L.A_ORIG_PFN)}`,
});

export const wpInstall = step({
  name: 'wp.install',
  fn: 'wp_page_copy',
  cite: 'reference §B.2 wp_page_copy steps 3-5 (pte_same, ptep_clear_flush, new exclusive anon page)',
  guard: () => true,
  effect(v, c) {
    const m = c.mm;
    const va = c.instr.va;
    const q = v.act(c.actor, L.A_NEW);
    const old = v.act(c.actor, L.A_ORIG_PFN);
    v.setAct(c.actor, L.A_NEW, L.NO_PFN);
    v.setAct(c.actor, L.A_HOLD, L.NO_PFN);
    if (!pteSame(v, c)) {
      putPage(v, q); // another thread changed the PTE: drop our copy
    } else {
      const unshare = v.actFlag(c.actor, L.AF_UNSHARE);
      // The new PTE is writable on a write fault, R/O on unshare (BUG_ON(unshare && pte_write)).
      mapNewAnon(v, c, m, va, q, unshare ? 0 : newPteFlags(v, m, va, true));
      if (old !== L.ZERO_PFN) {
        v.addMap(old, -1); // folio_remove_rmap_pte(old)
        putPage(v, old); // the old PTE's reference
      }
    }
    if (old !== L.ZERO_PFN) putPage(v, old); // the folio_get() taken by do_wp_page
    faultReturn(v, c);
  },
  footprint(v, c, out) {
    fpVa(v, c, out);
    const q = v.act(c.actor, L.A_NEW);
    if (q !== L.NO_PFN) out.push(fp.page(q));
    out.push(fp.page(v.act(c.actor, L.A_ORIG_PFN)), LOC_ALLOC);
  },
  explain: (b, _a, c) =>
    pteSame(b, c)
      ? `pte_same: map page#${b.act(c.actor, L.A_NEW)} in place of page#${b.act(c.actor, L.A_ORIG_PFN)}`
      : 'PTE changed meanwhile: drop the copy',
});
