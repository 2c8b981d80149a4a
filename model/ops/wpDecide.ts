/**
 * do_wp_page's reuse-or-copy decision per era (reference §B.2): the part of
 * the write/unshare fault that runs under the PTL before wp_page_copy.
 *
 * Returns a reason code; the fault step acts on it and traces explain it.
 * GUP references are invisible to the ≤5.8 mapcount rule (the root of
 * CVE-2020-29374) and make the 5.9–5.18 refcount rule copy (the root of the
 * "wrong COW" of R/O-mapped pinned pages); PageAnonExclusive (5.19+) lets
 * an exclusive page be reused without looking at counts.
 */
import * as L from '../layout.js';
import type { KernelFlags } from '../step.js';
import type { StateView } from '../view.js';
import { thpMapcount } from '../thp.js';
import { swapCount } from '../swap.js';

export const WP_REUSE_MAPCOUNT = 1; // ≤5.8 reuse_swap_page(): mapcount + swapcount <= 1
export const WP_COPY_MAPCOUNT = 2;
export const WP_REUSE_REFCOUNT = 3; // 5.9+ page_count() == 1 (5.18+: after freeing the swap slot)
export const WP_COPY_REFCOUNT = 4;
export const WP_REUSE_PAE = 5; // 5.19+ PageAnonExclusive
export const WP_COPY_LOCKED = 6; // trylock_page failed (5.9+)
export const WP_COPY_ZEROPAGE = 7; // no normal page: always copy
export const WP_COPY_KSM = 8;
/** 5.19+: wp_can_reuse_anon_folio refuses a large folio (a PTE-mapped THP subpage without PAE); 1da190f4d0a6 (6.15) is not modelled */
export const WP_COPY_LARGE = 9;

export function isReuse(r: number): boolean {
  return r === WP_REUSE_MAPCOUNT || r === WP_REUSE_REFCOUNT || r === WP_REUSE_PAE;
}

/** wp_can_reuse_anon_folio (5.18 in do_wp_page, 6.x as a function): refcount based. */
function canReuseByRefcount(v: StateView, k: KernelFlags, p: number): number {
  if (v.hasFlag(p, L.PGF_KSM)) return WP_COPY_KSM;
  const swapcache = v.hasFlag(p, L.PGF_SWAPCACHE) ? 1 : 0;
  if (k.wpFreeSwapcache) {
    // 5.18 (53a05ad9f21d): tolerate the swapcache reference, free it under the lock.
    if (v.refcount(p) > 1 + swapcache) return WP_COPY_REFCOUNT;
  } else if (v.refcount(p) !== 1) {
    return WP_COPY_REFCOUNT; // 09854ba94c6a: any extra reference copies
  }
  if (v.hasFlag(p, L.PGF_LOCKED)) return WP_COPY_LOCKED;
  // folio_free_swap fails while a swap entry still names the slot: the cache's reference stays, refcount != 1.
  if (k.wpFreeSwapcache && swapcache === 1 && swapCount(v, p) > 0) return WP_COPY_REFCOUNT;
  if (!k.wpFreeSwapcache && v.mapcount(p) !== 1) return WP_COPY_REFCOUNT;
  return WP_REUSE_REFCOUNT;
}

/** The decision for anon page p (p is not the zeropage). Pure: reads v only. */
export function wpDecide(v: StateView, k: KernelFlags, p: number): number {
  if (p === L.ZERO_PFN) return WP_COPY_ZEROPAGE;
  if (k.pae && v.pae(p)) return WP_REUSE_PAE;
  if (k.pae && v.isLarge(p)) return WP_COPY_LARGE;
  if (k.reuseRefcount) return canReuseByRefcount(v, k, p);
  if (v.hasFlag(p, L.PGF_KSM)) return WP_COPY_KSM;
  // ≤5.8: reuse_swap_page() counts mappings (and swap entries), not references;
  // for a THP subpage page_trans_huge_mapcount() (model/thp.ts).
  return reuseMapcount(v, p) <= 1 ? WP_REUSE_MAPCOUNT : WP_COPY_MAPCOUNT;
}

function reuseMapcount(v: StateView, p: number): number {
  // reuse_swap_page: page_mapcount + page_swapcount (swap entries still naming the page's slot, model/swap.ts).
  return v.isLarge(p) ? thpMapcount(v, p) : v.mapcount(p) + swapCount(v, p);
}

/** The count reuse_swap_page looked at, in words. */
function mapcountText(v: StateView, p: number): string {
  const s = v.isLarge(p) ? 0 : swapCount(v, p);
  return s > 0 ? `mapcount ${v.mapcount(p)} + swapcount ${s} = ${reuseMapcount(v, p)}` : `mapcount ${reuseMapcount(v, p)}`;
}

/** For traces: the decision in words, with the values it looked at. */
export function wpReason(v: StateView, p: number, r: number): string {
  switch (r) {
    case WP_REUSE_MAPCOUNT: return `${mapcountText(v, p)} <= 1 -> reuse`;
    case WP_COPY_MAPCOUNT: return `${mapcountText(v, p)} > 1 -> copy`;
    case WP_COPY_LARGE: return 'large folio, not exclusive -> copy';
    case WP_REUSE_REFCOUNT: return `refcount ${v.refcount(p)} == 1 -> reuse`;
    case WP_COPY_REFCOUNT: return `refcount ${v.refcount(p)} != 1 -> copy`;
    case WP_REUSE_PAE: return `PageAnonExclusive -> reuse`;
    case WP_COPY_LOCKED: return `trylock_page failed -> copy`;
    case WP_COPY_ZEROPAGE: return `zeropage -> copy`;
    case WP_COPY_KSM: return `KSM page -> copy`;
    default: return `decision ${r}`;
  }
}
