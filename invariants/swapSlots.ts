/**
 * The swap part of refcount-consistent (model/swap.ts): every swap PTE
 * names a slot that still holds the page's content — its folio in the swap
 * cache, or the reclaimed slot — and a reclaimed slot is named by some swap
 * PTE (else the slot leaked: swap_free missed it). The swap cache's own
 * reference is checked with the other refcount holders.
 */
import * as L from '../model/layout.js';
import type { StateView } from '../model/view.js';
import { swapCount } from '../model/swap.js';

/** A description of the first inconsistency, or ''. Linear in PTEs and frames unless a slot exists. */
export function swapProblem(v: StateView): string {
  for (let m = 0; m < v.lay.nMm; m++) {
    for (let va = 0; va < v.lay.nVa; va++) {
      if (v.kind(m, va) !== L.PTE_SWAP) continue;
      const f = v.pfn(m, va);
      const cached = v.hasFlag(f, L.PGF_ALLOC) && v.hasFlag(f, L.PGF_SWAPCACHE);
      if (!cached && !v.hasFlag(f, L.PGF_SWAPSLOT)) return `a swap entry names page#${f}, which is neither in the swap cache nor a swap slot: the content is lost.`;
    }
  }
  for (let p = 1; p < v.lay.nFrames; p++) {
    if (v.hasFlag(p, L.PGF_SWAPSLOT) && swapCount(v, p) === 0) return `swap slot of page#${p} is named by no swap entry (a leaked slot).`;
  }
  return '';
}
