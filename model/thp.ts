/**
 * Transparent huge pages (reference §E.4, §B.2 THP PMD, §B.3 copy_huge_pmd,
 * §B.14): a THP region is THP_NR consecutive VAs (config.ts `thps`) whose
 * per-mm PMD entry (layout.ts PMD_*) is none, a PTE table (the region's
 * PTEs in the PT section), a huge mapping of a large folio, or detached by
 * khugepaged's pmdp_collapse_flush. Large folios are THP_NR consecutive
 * frames in the large-folio area with folio-wide counts on the head
 * (layout.ts). This file holds what the operations share: what the MMU
 * walk sees through a PMD, allocating a large folio, and the PMD-level
 * rmap operations (map, split, zap), each as the kernel function it models.
 *
 * Scenarios without THP have no regions (vaRegion all -1): every helper
 * here then reduces to the plain PTE accessors.
 */
import * as L from './layout.js';
import { putPage, zapPte } from './pages.js';
import { PincowError } from './errors.js';
import type { Ctx } from './step.js';
import type { StateView } from './view.js';

// ---- what the MMU / a page-table walk sees at (m, va) ----------------------

/** A present translation at (m, va): a huge PMD, or a present PTE under a PMD that points to a table. */
export function mmuPresent(v: StateView, m: number, va: number): boolean {
  const r = v.region(va);
  if (r >= 0) {
    const k = v.pmdKind(m, r);
    if (k === L.PMD_HUGE) return true;
    if (k === L.PMD_DETACHED) return false; // pmd_none to walkers while khugepaged holds the table
  }
  return v.present(m, va);
}

/** A writable translation at (m, va) (pmd_write of a huge PMD, else pte_write). */
export function mmuWritable(v: StateView, m: number, va: number): boolean {
  const r = v.region(va);
  if (r >= 0) {
    const k = v.pmdKind(m, r);
    if (k === L.PMD_HUGE) return (v.pmdFlags(m, r) & L.PTEF_WRITE) !== 0;
    if (k === L.PMD_DETACHED) return false;
  }
  return v.writable(m, va);
}

/** The frame the translation at (m, va) maps: the subpage of a huge PMD, else the PTE's pfn. */
export function mmuPfn(v: StateView, m: number, va: number): number {
  return v.huge(m, va) ? hugeSubpage(v, m, va) : v.pfn(m, va);
}

/** The subpage frame a huge PMD maps at va: head + (va - region start). */
export function hugeSubpage(v: StateView, m: number, va: number): number {
  const r = v.region(va);
  return v.pmdPfn(m, r) + va - v.lay.thpVa[r]!;
}

/** Mark a store through a huge PMD or a PTE (pmd_mkdirty / pte_mkdirty). */
export function mmuSetDirty(v: StateView, m: number, va: number): void {
  const r = v.region(va);
  if (r >= 0 && v.pmdKind(m, r) === L.PMD_HUGE) v.setPmd(m, r, L.PMD_HUGE, v.pmdPfn(m, r), v.pmdFlags(m, r) | L.PTEF_DIRTY);
  else v.setPteFlags(m, va, v.pteFlags(m, va) | L.PTEF_DIRTY);
}

// ---- regions ---------------------------------------------------------------

/** The first VA of region r. */
export function regionVa(v: StateView, r: number): number {
  return v.lay.thpVa[r]!;
}

/**
 * Can region r of m hold a huge PMD (thp_vma_allowable_order /
 * transhuge_vma_suitable)? One VMA must cover the whole aligned range:
 * every VA mapped with the same flags (adjacent VMAs with equal flags are
 * one VMA; a munmap, mprotect or madvise of one subpage splits it).
 * userfaultfd-registered regions fall back to PTEs (the model's userfault
 * handling is PTE-level).
 */
export function regionCapable(v: StateView, m: number, r: number): boolean {
  const va0 = regionVa(v, r);
  const f0 = v.vma(m, va0) & ~L.VMA_ANON_VMA;
  if ((f0 & L.VMA_MAPPED) === 0 || (f0 & L.VMA_UFFD) !== 0) return false;
  for (let i = 1; i < L.THP_NR; i++) if ((v.vma(m, va0 + i) & ~L.VMA_ANON_VMA) !== f0) return false;
  return true;
}

/** pmd_none(): no huge mapping and no page table with anything in it. */
export function pmdNone(v: StateView, m: number, r: number): boolean {
  if (v.pmdKind(m, r) !== L.PMD_NONE) return false;
  const va0 = regionVa(v, r);
  for (let i = 0; i < L.THP_NR; i++) if (v.kind(m, va0 + i) !== L.PTE_NONE) return false;
  return true;
}

/** pte_alloc(): installing a PTE in a region whose PMD is none gives it a page table. */
export function ensureTable(v: StateView, m: number, va: number): void {
  const r = v.region(va);
  if (r >= 0 && v.pmdKind(m, r) === L.PMD_NONE) v.setPmd(m, r, L.PMD_TABLE, 0, 0);
}

// ---- large folios ----------------------------------------------------------

/**
 * vma_alloc_folio(order = HPAGE_PMD_ORDER): the lowest free aligned slot of
 * the large-folio area, every subpage holding `content`; refcount 1 on the
 * head, no mappings, not yet PageAnonExclusive.
 */
export function allocFolio(v: StateView, content: (i: number) => number): number {
  for (let h = v.lay.largeBase; h + L.THP_NR <= v.lay.nFrames; h += L.THP_NR) {
    if (v.hasFlag(h, L.PGF_ALLOC)) continue;
    for (let i = 0; i < L.THP_NR; i++) {
      for (let f = 0; f < L.PG_SIZE; f++) v.setPage(h + i, f, 0);
      v.setPage(h + i, L.PG_FLAGS, L.PGF_ALLOC | L.PGF_ANON);
      v.setPage(h + i, L.PG_CONTENT, content(i));
    }
    v.setPage(h, L.PG_REFS, 1);
    return h;
  }
  throw new PincowError('invalid-scenario', `the scenario needs more than the ${(v.lay.nFrames - v.lay.largeBase) / L.THP_NR} huge pages pincow reserves for it; please report it with the scenario`);
}

/** Set or clear PageAnonExclusive on every subpage of p's folio (the PMD-level bit, layout.ts). */
export function setFolioPae(v: StateView, p: number, on: boolean): void {
  const h = v.head(p);
  for (let i = 0; i < L.THP_NR; i++) v.setFlag(h + i, L.PGF_PAE, on);
}

/**
 * page_trans_huge_mapcount() (≤5.17, reuse_swap_page on a THP): the
 * largest per-subpage PTE mapcount plus the entire mapcount. (PageDoubleMap's
 * extra subpage counts cancel out in the kernel's formula.)
 */
export function thpMapcount(v: StateView, p: number): number {
  const h = v.head(p);
  let max = 0;
  for (let i = 0; i < L.THP_NR; i++) max = Math.max(max, v.page(h + i, L.PG_MAPCOUNT));
  return max + v.entireMapcount(h);
}

// ---- PMD-level rmap operations -----------------------------------------------

/** PMD flags of a new anon huge mapping: writable+dirty if VM_WRITE (maybe_pmd_mkwrite(pmd_mkdirty)). */
export function newPmdFlags(v: StateView, m: number, r: number): number {
  return (v.vma(m, regionVa(v, r)) & L.VMA_WRITE) !== 0 ? L.PTEF_WRITE | L.PTEF_DIRTY : L.PTEF_DIRTY;
}

/**
 * Map a new anon folio by a huge PMD: folio_add_new_anon_rmap(RMAP_EXCLUSIVE)
 * for a PMD-mappable folio (entire mapcount 1, PageAnonExclusive 5.19+),
 * set_pmd_at. The folio's allocation reference becomes the PMD's.
 */
export function mapNewHugePmd(v: StateView, c: Ctx, m: number, r: number, h: number, flags: number): void {
  v.addEntireMap(h, 1);
  if (c.k.pae) setFolioPae(v, h, true);
  v.setPmd(m, r, L.PMD_HUGE, h, flags);
  const va0 = regionVa(v, r);
  for (let i = 0; i < L.THP_NR; i++) v.setVma(m, va0 + i, v.vma(m, va0 + i) | L.VMA_ANON_VMA);
}

/**
 * __split_huge_pmd_locked (freeze = false): the huge PMD becomes a table of
 * THP_NR PTEs to the subpages with the PMD's write and dirty bits; each PTE
 * holds a reference (folio_ref_add(nr - 1)) and a subpage mapcount; the
 * entire mapcount drops. PageAnonExclusive carries over to every subpage
 * (RMAP_EXCLUSIVE when the head was exclusive), which the model already
 * keeps per subpage.
 */
export function splitHugePmd(v: StateView, m: number, r: number): void {
  if (v.pmdKind(m, r) !== L.PMD_HUGE) return;
  const h = v.pmdPfn(m, r);
  const flags = v.pmdFlags(m, r) & (L.PTEF_WRITE | L.PTEF_DIRTY);
  const va0 = regionVa(v, r);
  for (let i = 0; i < L.THP_NR; i++) {
    v.setPte(m, va0 + i, L.PTE_PRESENT, h + i, flags);
    v.addMap(h + i, 1);
    if (i > 0) v.getRef(h);
  }
  v.addEntireMap(h, -1);
  v.setPmd(m, r, L.PMD_TABLE, 0, 0);
}

/** zap_huge_pmd: clear the PMD, drop the entire mapcount and the PMD's folio reference. */
export function zapHugePmd(v: StateView, m: number, r: number): void {
  if (v.pmdKind(m, r) !== L.PMD_HUGE) return;
  const h = v.pmdPfn(m, r);
  v.setPmd(m, r, L.PMD_NONE, 0, 0);
  v.addEntireMap(h, -1);
  putPage(v, h);
}

/**
 * zap_pmd_range + zap_pte_range over [va, va + span) of m: a huge PMD
 * wholly inside the range is zapped (zap_huge_pmd), one partly inside is
 * split first (__split_huge_pmd), then every PTE in the range is zapped.
 * `freeTables` (munmap, exit: free_pgtables) leaves a wholly covered
 * region's PMD none; MADV_DONTNEED keeps the page table.
 */
export function zapRange(v: StateView, m: number, va: number, span: number, freeTables: boolean): void {
  const end = va + span;
  for (let r = 0; r < v.lay.nThp; r++) {
    const a = regionVa(v, r);
    if (a + L.THP_NR <= va || a >= end) continue;
    const whole = va <= a && a + L.THP_NR <= end;
    if (v.pmdKind(m, r) === L.PMD_HUGE) {
      if (whole) zapHugePmd(v, m, r);
      else splitHugePmd(v, m, r);
    }
  }
  for (let x = va; x < end; x++) zapPte(v, m, x);
  if (!freeTables) return;
  for (let r = 0; r < v.lay.nThp; r++) {
    const a = regionVa(v, r);
    if (va <= a && a + L.THP_NR <= end) v.setPmd(m, r, L.PMD_NONE, 0, 0);
  }
}

/** Split the huge PMDs of the regions [va, va + span) cuts (a VMA split: vma_adjust_trans_huge). */
export function splitPartial(v: StateView, m: number, va: number, span: number): void {
  const end = va + span;
  for (let r = 0; r < v.lay.nThp; r++) {
    const a = regionVa(v, r);
    if (a + L.THP_NR <= va || a >= end) continue;
    if (!(va <= a && a + L.THP_NR <= end)) splitHugePmd(v, m, r);
  }
}

// ---- GUP-fast's PMD snapshot -------------------------------------------------

/** pmdp_get_lockless(): the PMD GUP-fast walked through, kept in A_ORIG_PMD (0 outside THP regions). */
export function rememberPmd(v: StateView, c: Ctx): void {
  const r = v.region(c.instr.va);
  v.setAct(c.actor, L.A_ORIG_PMD, r >= 0 ? v.pmdWord(c.mm, r) : 0);
}

/** pmd_val(pmd) == pmd_val(*pmdp): same PMD (kind, flags, and for a huge one the folio). */
export function pmdSame(v: StateView, c: Ctx): boolean {
  const r = v.region(c.instr.va);
  if (r < 0) return true;
  if (v.pmdWord(c.mm, r) !== v.act(c.actor, L.A_ORIG_PMD)) return false;
  return v.pmdKind(c.mm, r) !== L.PMD_HUGE || hugeSubpage(v, c.mm, c.instr.va) === v.act(c.actor, L.A_ORIG_PFN);
}
