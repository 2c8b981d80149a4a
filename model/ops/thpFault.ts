/**
 * The PMD level of a page fault in a THP region (__handle_mm_fault, model
 * thp.ts): do_huge_pmd_anonymous_page for a write fault on a none PMD
 * (allocate a huge folio without locks, install it under the PMD lock if
 * the PMD is still none: two steps, as for small pages, reference §B.1),
 * and do_huge_pmd_wp_page for a write or unshare fault on a R/O huge PMD
 * (reference §B.2 "THP PMD"):
 *
 *  - ≤5.17: reuse if page_trans_huge_mapcount() <= 1 (reuse_swap_page):
 *    GUP references are invisible, the THP variant of CVE-2020-29374
 *    (§C.2 row 2c);
 *  - 5.18 (3bff7e3f1f16, switch thp-reuse-refcount): reuse only if
 *    page_count() == 1;
 *  - 5.19+ (6c287605fd56): PageAnonExclusive(head) reuses first, and an
 *    unshare fault leaves the PMD R/O;
 *  - otherwise __split_huge_pmd and VM_FAULT_FALLBACK: the PTE level (the
 *    `fault.pte` step) COWs only the faulting subpage.
 *
 * ≤5.7 copied the whole huge page instead of falling back (3917c80280c9
 * changed it in 5.8); the model falls back in every era: the copy either
 * way leaves the old folio with its other mappers and references and gives
 * the writer an exclusive page, which is all the invariants look at.
 *
 * A read fault on a none PMD falls back to the PTE level (the shared
 * zeropage): the huge zeropage is not modelled, as if its allocation had
 * failed (do_huge_pmd_anonymous_page's VM_FAULT_FALLBACK).
 */
import * as L from '../layout.js';
import { putPage } from '../pages.js';
import { LOC_ALLOC, step } from '../step.js';
import type { Ctx } from '../step.js';
import {
  allocFolio, mapNewHugePmd, newPmdFlags, pmdNone, regionCapable, setFolioPae, splitHugePmd, thpMapcount,
} from '../thp.js';
import type { StateView } from '../view.js';
import { faultReturn, fp, fpVa, goto } from './common.js';

/** thpDispatch results: the PMD level handled the fault, or the PTE level runs now / after the split. */
export const THP_HANDLED = 0;
export const THP_PTE = 1;
export const THP_SPLIT = 2;

/** do_huge_pmd_wp_page's decision codes, for effect and explain alike. */
const HW_REUSE_PAE = 1; // 5.19+: PageAnonExclusive(head)
const HW_REUSE_MAPCOUNT = 2; // ≤5.17: page_trans_huge_mapcount() <= 1
const HW_REUSE_REFCOUNT = 3; // 5.18+: page_count() == 1
const HW_SPLIT_MAPCOUNT = 4;
const HW_SPLIT_REFCOUNT = 5;

function hugeWpDecide(v: StateView, c: Ctx, h: number): number {
  if (c.k.pae && v.pae(h)) return HW_REUSE_PAE;
  if (!c.k.thpReuseRefcount) return thpMapcount(v, h) <= 1 ? HW_REUSE_MAPCOUNT : HW_SPLIT_MAPCOUNT;
  // 3bff7e3f1f16: "page_count(page) > 1 + PageSwapCache(page) * thp_nr_pages(page)" falls back;
  // after try_to_free_swap, page_count(page) == 1 reuses (no THP in the swap cache in the model).
  return v.refcount(h) === 1 ? HW_REUSE_REFCOUNT : HW_SPLIT_REFCOUNT;
}

const hugeReuse = (d: number): boolean => d === HW_REUSE_PAE || d === HW_REUSE_MAPCOUNT || d === HW_REUSE_REFCOUNT;

/**
 * do_huge_pmd_wp_page under the PMD lock: reuse (page_move_anon_rmap +
 * SetPageAnonExclusive, then the PMD writable unless unsharing), or split
 * the PMD and fall back.
 */
function doHugePmdWpPage(v: StateView, c: Ctx, r: number): number {
  const m = c.mm;
  const h = v.pmdPfn(m, r);
  const d = hugeWpDecide(v, c, h);
  if (!hugeReuse(d)) {
    splitHugePmd(v, m, r);
    return THP_SPLIT;
  }
  if (c.k.pae) setFolioPae(v, h, true);
  if (!v.actFlag(c.actor, L.AF_UNSHARE)) v.setPmd(m, r, L.PMD_HUGE, h, v.pmdFlags(m, r) | newPmdFlags(v, m, r));
  faultReturn(v, c);
  return THP_HANDLED;
}

/**
 * __handle_mm_fault's PMD level in a THP region. Runs inside the fault
 * entry step (mmap_lock(R) taken, PMD lock for this section).
 */
export function thpDispatch(v: StateView, c: Ctx): number {
  const m = c.mm;
  const va = c.instr.va;
  const r = v.region(va);
  const write = v.actFlag(c.actor, L.AF_WRITE);
  const unshare = v.actFlag(c.actor, L.AF_UNSHARE);
  if (v.pmdKind(m, r) === L.PMD_HUGE) {
    if ((write || unshare) && (v.pmdFlags(m, r) & L.PTEF_WRITE) === 0) return doHugePmdWpPage(v, c, r);
    // huge_pmd_set_accessed: the PMD already allows the access.
    if (write) v.setPmd(m, r, L.PMD_HUGE, v.pmdPfn(m, r), v.pmdFlags(m, r) | L.PTEF_DIRTY);
    faultReturn(v, c);
    return THP_HANDLED;
  }
  if (write && pmdNone(v, m, r) && regionCapable(v, m, r)) {
    goto(v, c, thpAlloc);
    return THP_HANDLED;
  }
  return THP_PTE;
}

export function explainThpDispatch(b: StateView, c: Ctx): string | undefined {
  const m = c.mm;
  const r = b.region(c.instr.va);
  const write = b.actFlag(c.actor, L.AF_WRITE);
  const unshare = b.actFlag(c.actor, L.AF_UNSHARE);
  if (b.pmdKind(m, r) === L.PMD_HUGE) {
    if (!((write || unshare) && (b.pmdFlags(m, r) & L.PTEF_WRITE) === 0)) return 'huge_pmd_set_accessed (spurious)';
    const h = b.pmdPfn(m, r);
    const d = hugeWpDecide(b, c, h);
    const what = unshare ? 'unshare' : 'write';
    const why = d === HW_REUSE_PAE ? 'PageAnonExclusive -> reuse'
      : d === HW_REUSE_MAPCOUNT ? `mapcount ${thpMapcount(b, h)} <= 1 -> reuse`
        : d === HW_SPLIT_MAPCOUNT ? `mapcount ${thpMapcount(b, h)} > 1 -> split PMD, fall back`
          : d === HW_REUSE_REFCOUNT ? 'refcount 1 -> reuse' : `refcount ${b.refcount(h)} != 1 -> split PMD, fall back`;
    const tail = hugeReuse(d) ? (unshare ? ', PMD stays R/O' : ', PMD -> RW') : '';
    return `do_huge_pmd_wp_page: ${what} fault on R/O THP page#${h}: ${why}${tail}`;
  }
  if (write && pmdNone(b, m, r) && regionCapable(b, m, r)) return 'do_huge_pmd_anonymous_page: write fault on none PMD';
  return undefined;
}

/** Footprint of a THP fault step: the region's PTEs/PMD (fpVa) and the new folio. */
function fpThp(v: StateView, c: Ctx, out: number[]): void {
  fpVa(v, c, out);
  out.push(LOC_ALLOC);
  const h = v.act(c.actor, L.A_NEW);
  if (h !== L.NO_PFN) out.push(fp.page(h));
}

export const thpAlloc = step({
  name: 'thp.alloc',
  fn: 'do_huge_pmd_anonymous_page',
  cite: 'reference §B.1 step 2 for a PMD-mappable folio (vma_alloc_folio(HPAGE_PMD_ORDER), clear_huge_page, no lock)',
  guard: () => true,
  effect(v, c) {
    v.setAct(c.actor, L.A_NEW, allocFolio(v, () => L.CONTENT_ZERO));
    goto(v, c, thpInstall);
  },
  footprint: fpThp,
  explain: (_b, a, c) => `alloc THP page#${a.act(c.actor, L.A_NEW)} (zeroed)`,
});

export const thpInstall = step({
  name: 'thp.install',
  fn: '__do_huge_pmd_anonymous_page',
  cite: 'reference §B.1 steps 3-4 at the PMD: pmd_none recheck under the PMD lock, folio_add_new_anon_rmap(RMAP_EXCLUSIVE), set_pmd_at',
  guard: () => true,
  effect(v, c) {
    const m = c.mm;
    const r = v.region(c.instr.va);
    const h = v.act(c.actor, L.A_NEW);
    v.setAct(c.actor, L.A_NEW, L.NO_PFN);
    if (pmdNone(v, m, r)) mapNewHugePmd(v, c, m, r, h, newPmdFlags(v, m, r));
    else putPage(v, h); // another thread populated the PMD first: release ours
    faultReturn(v, c);
  },
  footprint: fpThp,
  explain: (b, _a, c) => (pmdNone(b, c.mm, b.region(c.instr.va)) ? undefined : 'PMD no longer none: free the new THP'),
});
