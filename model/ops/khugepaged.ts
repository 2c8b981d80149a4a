/**
 * khugepaged's collapse of an anon THP region (`collapse P A` by the
 * `khugepaged:` daemon; reference §B.14, collapse_huge_page in
 * mm/khugepaged.c), or a thread's own `madvise A collapse` (MADV_COLLAPSE,
 * 6.1, 7d8faaf15545: the same collapse_huge_page, without khugepaged's
 * max_ptes_shared limit), split into the atomic steps §E.1 asks for:
 *
 *  1. `scan`: hpage_collapse_scan_pmd under mmap_lock(R) (the same PTE
 *     checks as isolate, below), then the huge folio is allocated;
 *  2. `flush`: mmap_write_lock, hugepage_vma_revalidate and
 *     check_pmd_still_valid, then pmdp_collapse_flush under the PMD lock:
 *     the PMD is cleared (pmd_none to GUP-fast), the PTE table detached but
 *     intact (PMD_DETACHED);
 *  3. `sync`: waiting for IRQ-off GUP-fast walkers of the mm, when either
 *     the architecture's TLB flush IPIs them (switch tlb-flush-ipi, x86) or
 *     the kernel sends tlb_remove_table_sync_one() (2ba99c5e0881, switch
 *     khugepaged-ipi-sync); with neither (arm64, powerpc radix before the
 *     fix) there is no such step and a walker that read the PTE before the
 *     flush may still grab the page;
 *  4. `isolate`: __collapse_huge_page_isolate under the PTE lock: none or
 *     zero PTEs at most THP_NR-1 (max_ptes_none, scaled from 511 of 512),
 *     shared pages at most THP_NR/2 (max_ptes_shared, khugepaged only),
 *     folio_trylock, is_refcount_suitable (refcount == mapcount: a pinned
 *     or referenced page aborts with SCAN_PAGE_COUNT), a writable PTE. On
 *     failure the PMD gets its table back (pmd_populate) and the collapse
 *     ends;
 *  5. `install`: __collapse_huge_page_copy (each subpage from its PTE's
 *     page, zero for none/zeropage; the old PTEs cleared, their pages'
 *     rmap and reference dropped), folio_add_new_anon_rmap(RMAP_EXCLUSIVE),
 *     set_pmd_at writable, mmap_write_unlock.
 *
 * The GUP-fast side: before 6.0 it rechecks only the PTE, which the detached
 * table leaves unchanged, so a grab between isolate and install returns a
 * page that the collapse then unmaps (reference §C.2 row 10); 6.0's PMD
 * recheck (70cbc3cc78a9, gupFast.ts) sees the cleared PMD and backs off.
 *
 * Not modelled: the LRU isolation reference and page lock held from isolate
 * to install (only lockless GUP-fast runs in between, and it reads neither),
 * swap-in of swap PTEs (a swap PTE fails the scan), the young/referenced
 * heuristics.
 */
import * as L from '../layout.js';
import { putPage } from '../pages.js';
import { LOC_ALLOC, step } from '../step.js';
import type { Ctx } from '../step.js';
import { allocFolio, mapNewHugePmd, newPmdFlags, regionCapable, regionVa } from '../thp.js';
import type { StateView } from '../view.js';
import { finish, fp, fpBase, fpRegion, goto } from './common.js';
import { gupFastGrab, gupFastRecheck, gupFastUnshare } from './gupFast.js';

/** The target process and region of the instruction. */
const target = (c: Ctx): number => c.instr.target ?? 0;
/** khugepaged itself (cc->is_khugepaged), or a thread's MADV_COLLAPSE on its own mm. */
const byKhugepaged = (c: Ctx): boolean => c.mm < 0;
/** The scan's verdict: '' to go on, else why not (MADV_COLLAPSE before 6.1 is -EINVAL). */
function scanRefusal(v: StateView, c: Ctx): string {
  if (!byKhugepaged(c) && !c.k.madvCollapse) return 'MADV_COLLAPSE unknown (-EINVAL)';
  const m = target(c);
  const r = regionOf(v, c);
  return revalidate(v, m, r) || collapseRefusal(v, m, r, byKhugepaged(c));
}
const regionOf = (v: StateView, c: Ctx): number => v.region(c.instr.va);

/** max_ptes_none and max_ptes_shared (defaults HPAGE_PMD_NR - 1 and HPAGE_PMD_NR / 2), scaled to THP_NR */
const MAX_PTES_NONE = L.THP_NR - 1;
const MAX_PTES_SHARED = L.THP_NR / 2;

/**
 * The per-PTE checks of hpage_collapse_scan_pmd and
 * __collapse_huge_page_isolate: '' if the region can be collapsed, else
 * the SCAN_* result that stops it.
 */
export function collapseRefusal(v: StateView, m: number, r: number, khugepaged = true): string {
  let noneOrZero = 0;
  let shared = 0;
  let writable = false;
  let lastFolio = -1;
  const va0 = regionVa(v, r);
  for (let i = 0; i < L.THP_NR; i++) {
    const va = va0 + i;
    const kind = v.kind(m, va);
    if (kind === L.PTE_NONE || (kind === L.PTE_PRESENT && v.pfn(m, va) === L.ZERO_PFN)) {
      if (++noneOrZero > MAX_PTES_NONE) return 'SCAN_EXCEED_NONE_PTE';
      continue;
    }
    if (kind !== L.PTE_PRESENT) return 'SCAN_PTE_NON_PRESENT'; // swap-in of swap PTEs is not modelled
    const p = v.pfn(m, va);
    if (!v.isAnon(p)) return 'SCAN_PAGE_ANON';
    // max_ptes_shared binds khugepaged only (cc->is_khugepaged), not MADV_COLLAPSE.
    if (v.mapcount(p) > 1 && ++shared > MAX_PTES_SHARED && khugepaged) return 'SCAN_EXCEED_SHARED_PTE';
    if ((v.pteFlags(m, va) & L.PTEF_WRITE) !== 0) writable = true;
    const h = v.head(p);
    if (h === lastFolio) continue; // a PTE-mapped THP is locked and checked once
    lastFolio = h;
    if (v.hasFlag(h, L.PGF_LOCKED)) return 'SCAN_PAGE_LOCK';
    if (!refcountSuitable(v, h)) return 'SCAN_PAGE_COUNT';
  }
  return writable ? '' : 'SCAN_PAGE_RO';
}

/** is_refcount_suitable: refcount == folio_mapcount (+ nr_pages in the swap cache); any GUP reference or pin fails it. */
function refcountSuitable(v: StateView, h: number): boolean {
  let mapcount = v.mapcount(h);
  if (v.isLarge(h)) {
    mapcount = v.entireMapcount(h);
    for (let i = 0; i < L.THP_NR; i++) mapcount += v.page(h + i, L.PG_MAPCOUNT);
  }
  const swap = v.hasFlag(h, L.PGF_SWAPCACHE) ? (v.isLarge(h) ? L.THP_NR : 1) : 0;
  return v.refcount(h) === mapcount + swap;
}

/** hugepage_vma_revalidate + find_pmd_or_thp_or_none: the mm alive, one THP-capable VMA, a PMD pointing to a table. */
function revalidate(v: StateView, m: number, r: number): string {
  if (!v.alive(m)) return 'SCAN_ANY_PROCESS';
  if (!regionCapable(v, m, r)) return 'SCAN_VMA_CHECK';
  const k = v.pmdKind(m, r);
  if (k === L.PMD_HUGE) return 'SCAN_PMD_MAPPED';
  if (k !== L.PMD_TABLE) return 'SCAN_PMD_NULL';
  return '';
}

/** The collapse ends early: free the new folio (if any), drop mmap_lock if held. */
function abort(v: StateView, c: Ctx, writeLocked: boolean): void {
  const h = v.act(c.actor, L.A_NEW);
  v.setAct(c.actor, L.A_NEW, L.NO_PFN);
  if (h !== L.NO_PFN) putPage(v, h);
  if (writeLocked) v.setMm(target(c), L.MM_MMAP_WRITER, 0);
  finish(v, c);
}

function fpCollapse(v: StateView, c: Ctx, out: number[]): void {
  fpBase(c, out);
  const m = target(c);
  out.push(fp.mm(m), LOC_ALLOC);
  fpRegion(v, m, c.instr.va, out);
  const h = v.act(c.actor, L.A_NEW);
  if (h !== L.NO_PFN) out.push(fp.page(h));
}

export const collapseScan = step({
  name: 'collapse.scan',
  fn: 'hpage_collapse_scan_pmd',
  cite: 'reference §B.14 step 1 (khugepaged_scan_mm_slot under mmap_read_lock: the isolate checks, is_refcount_suitable), then the huge page is allocated',
  guard: (v, c) => v.canRead(target(c)),
  effect(v, c) {
    if (scanRefusal(v, c) !== '') return finish(v, c);
    v.setAct(c.actor, L.A_NEW, allocFolio(v, () => L.CONTENT_ZERO));
    goto(v, c, collapseFlush);
  },
  footprint: fpCollapse,
  explain(b, a, c) {
    const why = scanRefusal(b, c);
    return why !== '' ? `${why}: no collapse` : `collapse candidate; alloc THP page#${a.act(c.actor, L.A_NEW)}`;
  },
});

/** Does khugepaged wait here for IRQ-off GUP-fast walkers (the IPI)? */
const syncs = (c: Ctx): boolean => c.k.collapseIpiSync || c.k.tlbFlushIpi;

export const collapseFlush = step({
  name: 'collapse.flush',
  fn: 'collapse_huge_page',
  cite: 'reference §B.14 steps 2-3: mmap_write_lock, hugepage_vma_revalidate, anon_vma_lock_write, pmdp_collapse_flush (PMD cleared, PTE table detached)',
  guard: (v, c) => v.canWrite(target(c)),
  effect(v, c) {
    const m = target(c);
    const r = regionOf(v, c);
    if (revalidate(v, m, r) !== '') return abort(v, c, false);
    v.setMm(m, L.MM_MMAP_WRITER, 1);
    v.setPmd(m, r, L.PMD_DETACHED, 0, 0);
    goto(v, c, syncs(c) ? collapseSync : collapseIsolate);
  },
  footprint: fpCollapse,
  explain(b, _a, c) {
    const why = revalidate(b, target(c), regionOf(b, c));
    return why !== '' ? `${why}: abort` : `pmdp_collapse_flush: ${c.cfg.processes[target(c)]}'s PMD cleared, PTE table detached`;
  },
});

/** Is a GUP-fast walker of mm m inside its IRQ-off section (between reading the PTE and restoring IRQs)? */
function walkerInFlight(v: StateView, c: Ctx, m: number): boolean {
  for (let a = 0; a < c.cfg.actors.length; a++) {
    if (c.cfg.actors[a]!.mm !== m) continue;
    const s = v.act(a, L.A_STEP);
    if (s === gupFastGrab.id || s === gupFastRecheck.id || s === gupFastUnshare.id) return true;
  }
  return false;
}

export const collapseSync = step({
  name: 'collapse.sync',
  fn: 'tlb_remove_table_sync_one',
  cite: 'reference §B.14 step 4 / IPI caveat: an IPI to every CPU waits for IRQ-off GUP-fast (2ba99c5e0881; or the x86 TLB-flush IPI of pmdp_collapse_flush)',
  guard: (v, c) => !walkerInFlight(v, c, target(c)),
  effect: (v, c) => goto(v, c, collapseIsolate),
  footprint(v, c, out) {
    fpCollapse(v, c, out);
    // The guard reads the walkers' progress: every step of theirs touches their pin slot.
    c.cfg.pins.forEach((p, i) => { if (p.mm === target(c)) out.push(fp.pin(i)); });
  },
  explain: () => 'IPI: no GUP-fast walker is inside its IRQ-off section',
});

export const collapseIsolate = step({
  name: 'collapse.isolate',
  fn: '__collapse_huge_page_isolate',
  cite: 'reference §B.14 step 5-6: per PTE under the PTE lock, is_refcount_suitable (SCAN_PAGE_COUNT), on failure pmd_populate restores the table',
  guard: () => true,
  effect(v, c) {
    const m = target(c);
    const r = regionOf(v, c);
    if (collapseRefusal(v, m, r, byKhugepaged(c)) === '') return goto(v, c, collapseInstall);
    v.setPmd(m, r, L.PMD_TABLE, 0, 0);
    abort(v, c, true);
  },
  footprint: fpCollapse,
  explain(b, _a, c) {
    const why = collapseRefusal(b, target(c), regionOf(b, c), byKhugepaged(c));
    return why !== '' ? `${why}: PMD table restored, abort` : 'pages isolated (refcount == mapcount)';
  },
});

export const collapseInstall = step({
  name: 'collapse.install',
  fn: 'collapse_huge_page',
  cite: 'reference §B.14 step 7: __collapse_huge_page_copy (old PTEs cleared, rmap and reference dropped), folio_add_new_anon_rmap(RMAP_EXCLUSIVE), set_pmd_at',
  guard: () => true,
  effect(v, c) {
    const m = target(c);
    const r = regionOf(v, c);
    const h = v.act(c.actor, L.A_NEW);
    v.setAct(c.actor, L.A_NEW, L.NO_PFN);
    const va0 = regionVa(v, r);
    for (let i = 0; i < L.THP_NR; i++) {
      const va = va0 + i;
      if (v.kind(m, va) !== L.PTE_PRESENT) continue;
      const p = v.pfn(m, va);
      v.setPte(m, va, L.PTE_NONE, 0, 0);
      if (p === L.ZERO_PFN) continue;
      v.setPage(h + i, L.PG_CONTENT, v.page(p, L.PG_CONTENT)); // copy_mc_user_highpage
      v.addMap(p, -1); // folio_remove_rmap_pte
      putPage(v, p); // free_page_and_swap_cache: the PTE's reference
    }
    mapNewHugePmd(v, c, m, r, h, newPmdFlags(v, m, r));
    v.setMm(m, L.MM_MMAP_WRITER, 0);
    finish(v, c);
  },
  footprint: fpCollapse,
  explain: (b, _a, c) => `copy into THP page#${b.act(c.actor, L.A_NEW)}, PMD -> THP RW`,
});
