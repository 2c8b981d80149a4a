/**
 * Reclaim of one anonymous folio (reference §B.9, §C.2 row 7): the
 * `reclaim:` daemon's `pageout P A` runs shrink_folio_list on the folio P
 * maps at A (or the swap-cache folio P's swap entry at A names). Reclaim
 * "may pick any page"; the scenario names the page by process and VA so
 * that nothing depends on page-frame numbers.
 *
 * Steps:
 *  - `reclaim.add_to_swap`: isolate (+1 reference), folio_trylock, the
 *    5.11+ maybe-pinned skip (feb889fb40fa), add_to_swap (the swap cache
 *    takes a reference; the slot is named by the frame, model/swap.ts).
 *  - per mapping, try_to_unmap_one as two steps (ops/rmapWalk.ts):
 *    `reclaim.unmap_clear` (ptep_clear_flush, PTL kept) and
 *    `reclaim.unmap_set` (5.19+ page_try_share_anon_rmap: a pinned
 *    PageAnonExclusive page is restored and the walk aborts; else the swap
 *    PTE, with the exclusive bit 5.19+ (1493a1913e34)).
 *  - `reclaim.pageout`: pageout, then __remove_mapping's refcount freeze
 *    at 2 (isolation + swap cache): any pin, GUP reference or concurrent
 *    swap-in keeps the folio in the swap cache; else it is freed and the
 *    frame keeps only the slot's content.
 *
 * Frame: A_HOLD the folio (isolation reference and folio lock held),
 * A_ORIG_PTE the kind of the PTE being unmapped, A_ANON_EXCL its
 * anon_exclusive (ops/rmapWalk.ts).
 * Not modelled: LRU aging and referenced checks (reclaim may always pick
 * the page), dirty tracking (pageout always writes), THP and KSM folios,
 * swap-full heuristics (vm_swap_full, mlock).
 */
import * as L from '../layout.js';
import { putPage } from '../pages.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import { clearFrame, inSwapCache, swapCount } from '../swap.js';
import type { StateView } from '../view.js';
import { finish, goto } from './common.js';
import {
  anonExclusive, anonPageAt, clearedMapping, fpDaemon, installEntry, nextMapping, restorePte, slotMm, slotVa, targetOf, tryShare, unmapClearStep, where,
} from './rmapWalk.js';

/** The folio `pageout P A` names: the anon page mapped there, or the swap-cache folio its swap entry names; -1 if none. */
function folioAt(v: StateView, c: Ctx): number {
  const [m, va] = targetOf(c);
  if (m >= v.lay.nMm) return -1;
  if (v.kind(m, va) === L.PTE_SWAP) {
    const f = v.pfn(m, va);
    return inSwapCache(v, f) ? f : -1;
  }
  return anonPageAt(v, m, va);
}

/** Why shrink_folio_list leaves the folio alone before add_to_swap, or ''. */
function refusal(v: StateView, c: Ctx, p: number): string {
  if (p < 0) return 'no anon page to reclaim';
  if (v.hasFlag(p, L.PGF_LOCKED)) return `folio_trylock(page#${p}) failed -> keep`;
  if (!v.hasFlag(p, L.PGF_SWAPCACHE) && c.k.swapSkipPinned && v.maybePinned(p)) return `page#${p} maybe DMA-pinned -> keep_locked, no add_to_swap`;
  return '';
}

/** The walk is over or aborted: the folio stays (activate_locked / keep_locked): unlock, drop the isolation reference. */
function keep(v: StateView, c: Ctx): void {
  const p = v.act(c.actor, L.A_HOLD);
  v.setFlag(p, L.PGF_LOCKED, false);
  putPage(v, p);
  finish(v, c);
}

function nextOrPageout(v: StateView, c: Ctx): void {
  goto(v, c, nextMapping(v, v.act(c.actor, L.A_HOLD)) >= 0 ? reclaimUnmapClear : reclaimPageout);
}

const held = (v: StateView, c: Ctx): number => v.act(c.actor, L.A_HOLD);

export const reclaimAddToSwap = step({
  name: 'reclaim.add_to_swap',
  fn: 'shrink_folio_list',
  cite: 'reference §B.9 steps 1-2: isolate_lru_folios (+1 ref), folio_trylock, 5.11+ folio_maybe_dma_pinned -> keep (feb889fb40fa), add_to_swap (+1 swapcache ref)',
  guard: () => true,
  effect(v, c) {
    const p = folioAt(v, c);
    if (refusal(v, c, p) !== '') return finish(v, c);
    if (!v.hasFlag(p, L.PGF_SWAPCACHE)) {
      v.setFlag(p, L.PGF_SWAPCACHE, true);
      v.getRef(p);
    }
    v.getRef(p);
    v.setFlag(p, L.PGF_LOCKED, true);
    v.setAct(c.actor, L.A_HOLD, p);
    nextOrPageout(v, c);
  },
  footprint: (v, c, out) => fpDaemon(v, c, out, folioAt(v, c), -1),
  explain(b, _a, c) {
    const p = folioAt(b, c);
    const r = refusal(b, c, p);
    if (r !== '') return r;
    return b.hasFlag(p, L.PGF_SWAPCACHE) ? `isolate page#${p} (already in the swap cache)` : `isolate page#${p}, add_to_swap: swap cache +1`;
  },
});

export const reclaimUnmapClear = unmapClearStep({
  name: 'reclaim.unmap_clear',
  fn: 'try_to_unmap_one',
  cite: 'reference §B.9 step 3.1, §E.1: ptep_clear_flush under the PTL (kept across the next step)',
  then: () => reclaimUnmapSet,
  whenNone: () => reclaimPageout, // a zap took the last mapping meanwhile
});

export const reclaimUnmapSet = step({
  name: 'reclaim.unmap_set',
  fn: 'try_to_unmap_one',
  cite: 'reference §B.9 steps 3.2-3.5: swap_duplicate; 5.19+ anon_exclusive && page_try_share_anon_rmap fails -> swap_free, restore, abort (6c287605fd56); swap PTE (+exclusive bit, 1493a1913e34), folio_remove_rmap_pte, folio_put',
  guard: () => true,
  effect(v, c) {
    const p = held(v, c);
    const s = clearedMapping(v, p);
    if (s < 0) return keep(v, c); // cannot happen while every PTL taker waits on MM_PTL; be safe
    const excl = anonExclusive(v, c);
    if (!tryShare(v, c, p)) {
      restorePte(v, c, s);
      return keep(v, c); // walk_abort: the folio is still mapped -> activate_locked
    }
    installEntry(v, c, s, L.PTE_SWAP, excl && c.k.swapPteExclusive ? L.PTEF_SWP_EXCL : 0);
    nextOrPageout(v, c);
  },
  footprint: (v, c, out) => fpDaemon(v, c, out, held(v, c), clearedMapping(v, held(v, c))),
  explain(b, a, c) {
    const p = held(b, c);
    const s = clearedMapping(b, p);
    if (s < 0) return 'the cleared PTE is gone -> keep';
    const at = where(c, slotMm(b, s), slotVa(b, s));
    if (a.kind(slotMm(b, s), slotVa(b, s)) !== L.PTE_SWAP) return `${at}: page_try_share_anon_rmap: page#${p} maybe pinned -> restore the PTE, keep the folio`;
    const excl = (a.pteFlags(slotMm(b, s), slotVa(b, s)) & L.PTEF_SWP_EXCL) !== 0 ? ' (exclusive)' : '';
    const share = anonExclusive(b, c) && c.k.unmapTryShare ? 'clear PageAnonExclusive, ' : '';
    return `${at}: ${share}swap PTE${excl} -> slot of page#${p}; mapcount ${b.mapcount(p)} -> ${a.mapcount(p)}`;
  },
});

/** __remove_mapping's freeze: only the isolation and swap-cache references may remain. */
function freezes(v: StateView, p: number): boolean {
  return v.mapcount(p) === 0 && v.refcount(p) === 2;
}

export const reclaimPageout = step({
  name: 'reclaim.pageout',
  fn: '__remove_mapping',
  cite: 'reference §B.9 steps 4-5: folio_mapped -> activate; pageout; __remove_mapping: folio_ref_freeze(1 + swapcache) fails on extra refs or pins -> keep; else delete from swap cache, free the folio',
  guard: () => true,
  effect(v, c) {
    const p = held(v, c);
    if (!freezes(v, p)) return keep(v, c);
    // The folio is freed; the slot keeps its content while swap entries name it (model/swap.ts).
    const content = v.page(p, L.PG_CONTENT);
    clearFrame(v, p);
    if (swapCount(v, p) > 0) {
      v.setPage(p, L.PG_FLAGS, L.PGF_SWAPSLOT);
      v.setPage(p, L.PG_CONTENT, content);
    }
    finish(v, c);
  },
  footprint: (v, c, out) => fpDaemon(v, c, out, held(v, c), -1),
  explain(b, _a, c) {
    const p = held(b, c);
    if (b.mapcount(p) > 0) return `page#${p} still mapped (mapcount ${b.mapcount(p)}) -> keep in the swap cache`;
    if (b.refcount(p) !== 2) return `folio_ref_freeze(page#${p}, 2) fails: refcount ${b.refcount(p)} -> keep in the swap cache`;
    return `page#${p} written to its slot and freed`;
  },
});
