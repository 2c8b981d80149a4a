/**
 * Swap bookkeeping shared by reclaim, swap-in, zap, fork and the COW
 * decision (reference §A.1 "Swap cache", §B.9, §E.4 "Swap entries").
 *
 * Representation (layout.ts, next to PTE_SWAP): a swap slot is named by a
 * page frame. While the slot's folio is in memory it is that frame, a
 * normal anon page with PGF_SWAPCACHE (the swap cache holds one reference
 * on it); once reclaim has written it out and freed it (pageout +
 * __remove_mapping), the frame is kept as PGF_SWAPSLOT: not a page any
 * more (no PGF_ALLOC, no references, nothing can grab it), just the
 * slot's content token, reserved until the last swap entry naming it is
 * freed. A swap-in of such a slot reads it into a new folio that takes the
 * same frame back (swapin_readahead + add_to_swap_cache), so the content
 * survives pageout and no pfn-valued field is needed besides PT_PFN.
 *
 * The swap count of a slot (swap_map[offset] without SWAP_HAS_CACHE) is
 * not stored: it is the number of swap PTEs naming the frame, which is
 * what swap_duplicate / swap_free keep it equal to.
 */
import * as L from './layout.js';
import type { StateView } from './view.js';

/** __swap_count(): the swap PTEs (of every mm) that name slot f. */
export function swapCount(v: StateView, f: number): number {
  let n = 0;
  for (let m = 0; m < v.lay.nMm; m++) {
    for (let va = 0; va < v.lay.nVa; va++) {
      if (v.kind(m, va) === L.PTE_SWAP && v.pfn(m, va) === f) n++;
    }
  }
  return n;
}

/** Is frame f a swap slot whose folio was reclaimed (the content is only on the swap device)? */
export function isSwapSlot(v: StateView, f: number): boolean {
  return v.hasFlag(f, L.PGF_SWAPSLOT);
}

/** folio_test_swapcache() of an allocated page. */
export function inSwapCache(v: StateView, f: number): boolean {
  return v.hasFlag(f, L.PGF_ALLOC) && v.hasFlag(f, L.PGF_SWAPCACHE);
}

/**
 * delete_from_swap_cache / folio_free_swap: the folio leaves the swap cache
 * and the cache's reference goes (it is never the last one here: callers
 * hold a reference or a mapping).
 */
export function dropFromSwapCache(v: StateView, f: number): void {
  v.setFlag(f, L.PGF_SWAPCACHE, false);
  v.setPage(f, L.PG_REFS, v.page(f, L.PG_REFS) - 1);
}

/** Forget a frame entirely (flags, counts, content): the slot or the folio is gone. */
export function clearFrame(v: StateView, f: number): void {
  for (let i = 0; i < L.PG_SIZE; i++) v.setPage(f, i, 0);
}

/**
 * The swap PTE naming f was just cleared (zap_pte_range → free_swap_and_cache):
 * swap_free; when that was the last entry, a reclaimed slot is freed, and a
 * folio still in the swap cache is dropped from it if it is unmapped and
 * its lock can be taken (__try_to_reclaim_swap with TTRS_UNMAPPED), which
 * may free it.
 */
export function freeSwapEntry(v: StateView, f: number): void {
  if (swapCount(v, f) > 0) return;
  if (isSwapSlot(v, f)) return clearFrame(v, f);
  if (!inSwapCache(v, f) || v.hasFlag(f, L.PGF_LOCKED) || v.mapcount(f) > 0) return;
  dropFromSwapCache(v, f);
  if (v.refcount(f) === 0) clearFrame(v, f);
}
