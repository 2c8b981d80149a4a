/**
 * Swap-in: do_swap_page (reference §B.9 "Swap-in", §C.2 rows 2b and 7),
 * entered from handle_mm_fault on a swap PTE — by a user access or by slow
 * GUP's fault — with mmap_lock held for read.
 *
 * Steps:
 *  - `swapin.lookup` (no PTL): find the folio in the swap cache and take a
 *    reference (lookup_swap_cache), or read the reclaimed slot back into a
 *    new folio in the swap cache (swapin_readahead: the frame becomes a
 *    page again, model/swap.ts); folio_lock_or_retry (waits while the folio
 *    is locked: reclaim, migration, KSM).
 *  - `swapin.map` (PTL): pte_same, then the era's exclusivity decision,
 *    swap_free, the PTE (the lookup reference becomes the mapping's), the
 *    rmap, unlock. Per era:
 *      ≤5.17: a write fault reuses if reuse_swap_page(): mapcount +
 *        swapcount <= 1 (GUP references ignored: the row 2b missed COW),
 *        deleting the folio from the swap cache; else R/O.
 *      5.18 (c145e0b47c77): swap_free, try_to_free_swap if refcount == 2
 *        on a write fault, then a write fault maps writable iff
 *        page_count == 1.
 *      5.19+ (6c287605fd56, 1493a1913e34): exclusive if the swap PTE's
 *        exclusive bit is set or page_count == 1: RMAP_EXCLUSIVE (PAE), and
 *        writable on a write fault; else R/O and shared.
 *  - `swapin.wp`: a write fault not satisfied by the swap-in goes on to
 *    do_wp_page in the same PTL section (the PTL is held across the two
 *    steps, so only lockless GUP-fast can see the R/O PTE in between).
 *
 * Not modelled: the SWP_SYNCHRONOUS_IO path that skips the swap cache (a
 * fresh folio there is exclusive), KSM copies (ksm_might_need_to_copy),
 * 6.x mapping an exclusive folio writable on a read fault (the PTE is R/O
 * and PageAnonExclusive: the next write reuses it, the same verdicts).
 */
import * as L from '../layout.js';
import { putPage } from '../pages.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import { dropFromSwapCache, inSwapCache, isSwapSlot, swapCount } from '../swap.js';
import type { StateView } from '../view.js';
import { faultReturn, fp, fpVa, goto, pteSame, rememberPte } from './common.js';
import { doWpPage, explainWpPage } from './wpFault.js';

export const ASSERT_SWAPIN_PAE = 10; // do_swap_page: BUG_ON(PageAnon && PageAnonExclusive) for a swap-cache folio
export const ASSERT_SWAPIN_WRITE_PAE = 11; // do_swap_page (6.1): VM_BUG_ON(!PageAnon || (pte_write && !PageAnonExclusive))

/** handle_pte_fault → do_swap_page: remember the swap PTE for pte_same(), go look the slot up. */
export function doSwapPage(v: StateView, c: Ctx): void {
  rememberPte(v, c);
  goto(v, c, swapinLookup);
}

const slotOf = (v: StateView, c: Ctx): number => v.act(c.actor, L.A_ORIG_PFN);

export const swapinLookup = step({
  name: 'swapin.lookup',
  fn: 'do_swap_page',
  cite: 'reference §B.9 swap-in: swap_cache_get_folio / swapin_readahead (+1 ref, a reclaimed slot read into a new swap-cache folio), folio_lock_or_retry',
  // folio_lock sleeps while reclaim, migration or KSM holds the folio lock.
  guard: (v, c) => !pteSame(v, c) || isSwapSlot(v, slotOf(v, c)) || !v.hasFlag(slotOf(v, c), L.PGF_LOCKED),
  effect(v, c) {
    if (!pteSame(v, c)) return faultReturn(v, c); // the swap entry changed: retry the access
    const f = slotOf(v, c);
    if (isSwapSlot(v, f)) {
      // A new folio, added to the swap cache (its reference) and locked for the read; plus ours.
      v.setPage(f, L.PG_FLAGS, L.PGF_ALLOC | L.PGF_ANON | L.PGF_SWAPCACHE | L.PGF_LOCKED);
      v.setPage(f, L.PG_REFS, 2);
    } else {
      v.getRef(f);
      v.setFlag(f, L.PGF_LOCKED, true);
    }
    v.setAct(c.actor, L.A_HOLD, f);
    goto(v, c, swapinMap);
  },
  footprint(v, c, out) {
    fpVa(v, c, out);
    out.push(fp.page(slotOf(v, c)));
  },
  explain(b, _a, c) {
    if (!pteSame(b, c)) return 'swap PTE changed -> retry';
    const f = slotOf(b, c);
    return isSwapSlot(b, f) ? `read the slot into a new swap-cache page#${f}, lock it` : `page#${f} found in the swap cache: +1 ref, lock it`;
  },
});

/** What do_swap_page decides under the PTL; pure, for effect and explain alike. */
interface SwapinDecision {
  /** the PTE becomes writable (and dirty): the write fault is satisfied */
  readonly writable: boolean;
  /** RMAP_EXCLUSIVE: PageAnonExclusive (5.19+) */
  readonly exclusive: boolean;
  /** the folio leaves the swap cache (reuse_swap_page / try_to_free_swap) */
  readonly freeSwap: boolean;
  readonly why: string;
}

/** ≤5.17 reuse_swap_page(): mapcount + swapcount (this entry included) <= 1; GUP references are not counted. */
function decideByMapcount(v: StateView, f: number, write: boolean): SwapinDecision {
  if (!write || v.hasFlag(f, L.PGF_KSM)) return { writable: false, exclusive: false, freeSwap: false, why: 'read fault: map R/O, keep the swap cache' };
  const count = v.mapcount(f) + swapCount(v, f);
  if (count > 1) return { writable: false, exclusive: false, freeSwap: false, why: `reuse_swap_page: mapcount ${v.mapcount(f)} + swapcount ${swapCount(v, f)} > 1 -> R/O` };
  return { writable: true, exclusive: true, freeSwap: count === 1 && inSwapCache(v, f), why: `reuse_swap_page: mapcount ${v.mapcount(f)} + swapcount ${swapCount(v, f)} <= 1 -> reuse, writable` };
}

/** 5.18+: swap_free, try_to_free_swap on a write fault at refcount 2, then page_count (or 5.19+ the exclusive bit). */
function decideByRefcount(v: StateView, c: Ctx, f: number, write: boolean, swpExcl: boolean): SwapinDecision {
  const ksm = v.hasFlag(f, L.PGF_KSM);
  // should_try_to_free_swap: write && !KSM && page_count == 2 (ours + the cache); it frees iff no other swap entry remains.
  const freeSwap = write && !ksm && inSwapCache(v, f) && v.refcount(f) === 2 && swapCount(v, f) === 1;
  const refs = v.refcount(f) - (freeSwap ? 1 : 0);
  const exclusive = !ksm && (swpExcl || refs === 1);
  const reason = swpExcl ? 'swap PTE exclusive' : `page_count ${refs}${refs === 1 ? ' == 1' : ' != 1'}`;
  if (!c.k.pae) {
    // c145e0b47c77: only a write fault looks, and only at page_count.
    if (!write) return { writable: false, exclusive: false, freeSwap, why: 'read fault: map R/O' };
    return { writable: exclusive, exclusive, freeSwap, why: `${reason} -> ${exclusive ? 'writable' : 'R/O'}` };
  }
  return { writable: write && exclusive, exclusive, freeSwap, why: `${reason} -> ${exclusive ? `PageAnonExclusive${write ? ', writable' : ', R/O'}` : 'R/O, shared'}` };
}

function decide(v: StateView, c: Ctx): SwapinDecision {
  const f = v.act(c.actor, L.A_HOLD);
  const write = v.actFlag(c.actor, L.AF_WRITE);
  if (!c.k.swapinReuseRefcount) return decideByMapcount(v, f, write);
  const swpExcl = c.k.swapPteExclusive && (v.act(c.actor, L.A_ORIG_PTE) & L.PTEF_SWP_EXCL) !== 0;
  return decideByRefcount(v, c, f, write, swpExcl);
}

/** out_nomap: someone else changed the PTE; drop the lock and our reference, retry. */
function backOut(v: StateView, c: Ctx): void {
  const f = v.act(c.actor, L.A_HOLD);
  v.setFlag(f, L.PGF_LOCKED, false);
  v.setAct(c.actor, L.A_HOLD, L.NO_PFN);
  putPage(v, f);
  faultReturn(v, c);
}

export const swapinMap = step({
  name: 'swapin.map',
  fn: 'do_swap_page',
  cite: 'reference §B.9 swap-in under the PTL: pte_same; ≤5.17 reuse_swap_page; 5.18 page_count()==1 (c145e0b47c77); 5.19+ pte_swp_exclusive || page_count()==1 -> RMAP_EXCLUSIVE (1493a1913e34); swap_free, set_pte_at, folio_unlock',
  guard: (v, c) => !v.ptlHeld(c.mm),
  effect(v, c) {
    if (!pteSame(v, c)) return backOut(v, c);
    const m = c.mm;
    const va = c.instr.va;
    const f = v.act(c.actor, L.A_HOLD);
    // Under the PTL nobody may have made a swap-cache folio exclusive while a swap PTE names it.
    if (c.k.pae && inSwapCache(v, f) && v.pae(f)) v.fireAssert(ASSERT_SWAPIN_PAE);
    const d = decide(v, c);
    if (d.freeSwap) dropFromSwapCache(v, f);
    if (c.k.pae && d.exclusive) v.setFlag(f, L.PGF_PAE, true);
    // maybe_mkwrite(pte_mkdirty()): the write fault passed access_error, so VM_WRITE is set.
    v.setPte(m, va, L.PTE_PRESENT, f, d.writable ? L.PTEF_WRITE | L.PTEF_DIRTY : 0);
    v.addMap(f, 1);
    v.setVma(m, va, v.vma(m, va) | L.VMA_ANON_VMA);
    if (c.k.pae && d.writable && !v.pae(f)) v.fireAssert(ASSERT_SWAPIN_WRITE_PAE);
    v.setFlag(f, L.PGF_LOCKED, false);
    v.setAct(c.actor, L.A_HOLD, L.NO_PFN); // the lookup reference is now the PTE's
    if (d.writable) v.setActFlag(c.actor, L.AF_WRITE, false);
    if (!v.actFlag(c.actor, L.AF_WRITE)) return faultReturn(v, c);
    // FAULT_FLAG_WRITE still set: do_wp_page, still under the PTL.
    v.setPtl(m, true);
    goto(v, c, swapinWp);
  },
  footprint(v, c, out) {
    fpVa(v, c, out);
    out.push(fp.page(slotOf(v, c)));
  },
  explain(b, _a, c) {
    if (!pteSame(b, c)) return 'PTE changed meanwhile -> drop the page, retry';
    const f = b.act(c.actor, L.A_HOLD);
    const d = decide(b, c);
    return `map page#${f}: ${d.why}${d.freeSwap ? '; free the swap slot, swap cache -1' : ''}`;
  },
});

export const swapinWp = step({
  name: 'swapin.wp',
  fn: 'do_wp_page',
  cite: 'reference §B.9: do_swap_page calls do_wp_page with the PTL still held when FAULT_FLAG_WRITE is left (§B.2)',
  guard: () => true,
  effect(v, c) {
    v.setPtl(c.mm, false);
    doWpPage(v, c);
  },
  footprint: fpVa,
  explain: (b, _a, c) => `do_wp_page: ${explainWpPage(b, c)}`,
});
