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
import { isReuse, WP_COPY_LOCKED, WP_REUSE_MAPCOUNT, WP_REUSE_REFCOUNT, wpDecide, wpReason } from './wpDecide.js';
import { swapCount } from '../swap.js';

export const ASSERT_WP_PAGE_REUSE = 3; // wp_page_reuse: VM_BUG_ON(anon && !PageAnonExclusive)
/** wp_page_reuse: VM_BUG_ON(!(vmf->flags & FAULT_FLAG_WRITE)) — an unshare fault never gets there (c89357e27f20, 5.19) */
export const ASSERT_WP_REUSE_NOT_WRITE = 50;
/** wp_page_copy: BUG_ON(unshare && pte_write(entry)) — an unshare fault maps the copy R/O (c89357e27f20, 5.19) */
export const ASSERT_WP_COPY_UNSHARE_WRITE = 51;

/** The decide part, run by the fault entry step under the PTL. Returns the reason code. */
export function doWpPage(v: StateView, c: Ctx): number {
  const m = c.mm;
  const va = c.instr.va;
  const p = v.pfn(m, va);
  const unshare = v.actFlag(c.actor, L.AF_UNSHARE);
  if (mustSleepOnLock(v, c, p)) return sleepOnLock(v, c, p);
  const r = wpDecide(v, c.k, p);
  if (isReuse(r)) {
    reuse(v, c, p, unshare, r);
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

/**
 * ≤5.8 do_wp_page needs the page lock for reuse_swap_page: when
 * trylock_page fails (reclaim, migration, swap-in or KSM holds it) it takes
 * a reference, drops the PTL and sleeps in lock_page, then retakes the PTL
 * and rechecks pte_same (5.7 mm/memory.c). The reference it holds meanwhile
 * makes a concurrent migration's refcount freeze fail. 5.9+ copies instead
 * (wpDecide WP_COPY_LOCKED, 09854ba94c6a).
 */
function mustSleepOnLock(v: StateView, c: Ctx, p: number): boolean {
  return !c.k.reuseRefcount && p !== L.ZERO_PFN && v.isAnon(p) && !v.hasFlag(p, L.PGF_KSM) && v.hasFlag(p, L.PGF_LOCKED);
}

function sleepOnLock(v: StateView, c: Ctx, p: number): number {
  v.getRef(p);
  v.setAct(c.actor, L.A_HOLD, p);
  rememberPte(v, c);
  goto(v, c, wpLockWait);
  return WP_COPY_LOCKED;
}

export const wpLockWait = step({
  name: 'wp.lock_page',
  fn: 'do_wp_page',
  cite: 'reference §B.2 E0/E1 step 3: trylock_page failed -> get_page, drop the PTL, lock_page (sleeps), retake the PTL, pte_same or bail, put_page',
  guard: (v, c) => !v.hasFlag(v.act(c.actor, L.A_HOLD), L.PGF_LOCKED) && !v.ptlHeld(c.mm),
  effect(v, c) {
    const p = v.act(c.actor, L.A_HOLD);
    v.setAct(c.actor, L.A_HOLD, L.NO_PFN);
    putPage(v, p);
    if (!pteSame(v, c)) return faultReturn(v, c); // the PTE changed while sleeping: the access retries
    v.setAct(c.actor, L.A_ORIG_PFN, 0);
    v.setAct(c.actor, L.A_ORIG_PTE, 0);
    doWpPage(v, c);
  },
  footprint: fpVa,
  explain: (b, _a, c) => (pteSame(b, c) ? `got the lock of page#${b.act(c.actor, L.A_HOLD)}; ${explainWpPage(b, c)}` : 'PTE changed while sleeping -> retry'),
});

/** wp_page_reuse, or the unshare return that leaves the PTE R/O (c89357e27f20). */
function reuse(v: StateView, c: Ctx, p: number, unshare: boolean, r: number): void {
  const m = c.mm;
  const va = c.instr.va;
  if (c.k.pae) v.setFlag(p, L.PGF_PAE, true); // SetPageAnonExclusive when reusing
  // The swap slot goes where the kernel frees it: folio_free_swap in wp_can_reuse_anon_folio (5.18+,
  // not on the PageAnonExclusive shortcut), reuse_swap_page's delete_from_swap_cache (≤5.8, count == 1);
  // never while a swap entry still names the slot (model/swap.ts).
  const frees = (r === WP_REUSE_REFCOUNT && c.k.wpFreeSwapcache) || r === WP_REUSE_MAPCOUNT;
  if (v.hasFlag(p, L.PGF_SWAPCACHE) && frees && swapCount(v, p) === 0) {
    v.setFlag(p, L.PGF_SWAPCACHE, false);
    putPage(v, p);
  }
  if (unshare) return;
  if (c.k.unshare && !v.actFlag(c.actor, L.AF_WRITE)) v.fireAssert(ASSERT_WP_REUSE_NOT_WRITE);
  if (c.k.pae && !v.pae(p)) v.fireAssert(ASSERT_WP_PAGE_REUSE);
  v.setPteFlags(m, va, v.pteFlags(m, va) | newPteFlags(v, m, va, true) | L.PTEF_DIRTY);
}

export function explainWpPage(b: StateView, c: Ctx): string {
  const p = b.pfn(c.mm, c.instr.va);
  const unshare = b.actFlag(c.actor, L.AF_UNSHARE);
  if (mustSleepOnLock(b, c, p)) return `write fault on R/O page#${p}: trylock_page failed -> sleep in lock_page`;
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
  guard: (v, c) => !v.ptlHeld(c.mm), // retakes the PTL (layout.ts MM_PTL)
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
      if (c.k.unshare && unshare && v.writable(m, va)) v.fireAssert(ASSERT_WP_COPY_UNSHARE_WRITE);
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
