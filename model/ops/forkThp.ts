/**
 * fork() of a huge PMD: copy_huge_pmd (reference §B.3 "THP PMD"), called
 * by fork.ts's per-entry copy step when the cursor is on a THP region
 * whose PMD is huge (model/thp.ts).
 *
 *  - ≤5.8: share: get_page + page_dup_rmap(compound) (entire mapcount +1),
 *    both PMDs write-protected;
 *  - 5.9+ (d042035eaf5f, switch fork-split-pinned-thp): a maybe-pinned THP
 *    (has_pinned && page_maybe_dma_pinned, i.e. _pincount > 0) is split
 *    in the parent (__split_huge_pmd) and -EAGAIN makes copy_pte_range copy
 *    each subpage: the next copy steps give the child its own small pages
 *    (copy_present_page), the parent keeps the pinned folio;
 *  - 5.19+ (fb3d824d1a46): the same through page_try_dup_anon_rmap(compound)
 *    failing with -EBUSY, which happens only for a PageAnonExclusive head;
 *    sharing clears PageAnonExclusive.
 *
 * In 5.9–5.10 the pin check and the write-protect are separate steps for
 * GUP-fast, as for PTEs (fork.ts splitCheck; a huge PMD's lockless reader is
 * gup_fast_pmd_leaf, which rechecks the PMD after grabbing).
 */
import * as L from '../layout.js';
import type { Ctx } from '../step.js';
import { regionVa, setFolioPae, splitHugePmd } from '../thp.js';
import type { StateView } from '../view.js';

/** Does copy_huge_pmd split this THP for the PTE copy (instead of sharing it)? */
export function thpForkMustSplit(v: StateView, c: Ctx, h: number): boolean {
  if (!c.k.forkSplitPinnedThp) return false;
  const maybePinned = v.mm(c.mm, L.MM_HAS_PINNED) !== 0 && v.maybePinned(h);
  return c.k.pae ? maybePinned && v.pae(h) : maybePinned;
}

/**
 * Fork's entry for a huge PMD at va (the region's first VA): is it one to
 * copy now? 1 = copy it here, -1 = skip (another VA of a huge region), 0 =
 * not a huge PMD (the PTE rules apply).
 */
export function hugeToCopy(v: StateView, m: number, va: number): number {
  if (!v.huge(m, va)) return 0;
  return va === regionVa(v, v.region(va)) ? 1 : -1;
}

/** Share the huge PMD with the child (copy_huge_pmd's normal path). */
function shareHuge(v: StateView, c: Ctx, r: number): void {
  const m = c.mm;
  const h = v.pmdPfn(m, r);
  const flags = v.pmdFlags(m, r) & ~L.PTEF_WRITE;
  v.getRef(h); // get_page / folio_get
  v.addEntireMap(h, 1); // page_dup_rmap(compound) / folio_try_dup_anon_rmap_pmd
  if (c.k.pae) setFolioPae(v, h, false); // cannot fail here: thpForkMustSplit took the -EBUSY case
  v.setPmd(m, r, L.PMD_HUGE, h, flags); // pmdp_set_wrprotect
  v.setPmd(c.instr.child, r, L.PMD_HUGE, h, flags); // pmd_mkold(pmd_wrprotect(pmd))
}

/**
 * copy_huge_pmd on the huge PMD at va, split or share decided: split
 * returns false (the cursor stays on va, now PTE-mapped, for the PTE copy),
 * share returns true (the cursor moves past the region).
 */
export function copyHugePmd(v: StateView, c: Ctx, va: number, split: boolean): boolean {
  const r = v.region(va);
  if (split) {
    splitHugePmd(v, c.mm, r);
    return false;
  }
  shareHuge(v, c, r);
  return true;
}

/** For traces: the copy (or, 5.9–5.10's separate check step, `checkOnly`, the decision) in words. */
export function explainForkHuge(v: StateView, c: Ctx, va: number, decided?: boolean, checkOnly = false): string {
  const r = v.region(va);
  const h = v.pmdPfn(c.mm, r);
  const split = decided ?? thpForkMustSplit(v, c, h);
  const name = c.cfg.thps?.[r]?.name ?? c.cfg.vas[va];
  if (checkOnly) return `${name}: has_pinned=${v.mm(c.mm, L.MM_HAS_PINNED)} THP pincount=${v.page(h, L.PG_PINS)} -> ${split ? 'split' : 'share'}`;
  return split
    ? `${name}: THP page#${h} maybe pinned (pincount ${v.page(h, L.PG_PINS)}) -> split PMD, copy per PTE`
    : `${name}: share THP page#${h}, both PMDs R/O`;
}
