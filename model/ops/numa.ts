/**
 * NUMA balancing (reference §B.11, §C.2 row 11, seed 002/003): the
 * `numa:` daemon's `scan P A` is task_numa_work → change_prot_numa →
 * change_pte_range(MM_CP_PROT_NUMA) on P's A, under mmap_lock(R) and the
 * PTL; the hint fault that follows an access is do_numa_page (called from
 * handle_mm_fault, fault.ts).
 *
 * Two steps, one PTL section split for GUP-fast (reference §E.1; the PTL
 * does not exclude GUP-fast):
 *  - `numa.change_prot`: mmap_lock(R), the PTL (layout.ts MM_PTL), and the
 *    skip checks below on the present PTE. A skipped page ends the scan.
 *  - `numa.modify_prot`: ptep_modify_prot_start (clears the PTE) and
 *    ptep_modify_prot_commit (PROT_NONE), PTL and mmap_lock dropped. Nothing
 *    is rechecked after the clear (mm/mprotect.c change_pte_range, 4.16,
 *    5.15, 6.1 and 6.15 read in the code index), so a GUP-fast pin that
 *    grabs and rechecks between the two steps is left on a PROT_NONE PTE
 *    whatever the era's skip rule (catalog/numa-vs-gup-fast.pincow).
 * Start and commit are one step: between them only lockless walkers look,
 * and to GUP-fast the cleared PTE and the PROT_NONE one are alike (refused
 * on read, a failed recheck), as ops/rmapWalk.ts argues for its clear | set.
 *
 * Which pages change_pte_range skips (besides an already protnone PTE, the
 * zeropage and KSM pages), in a COW mapping — every private anon VMA is one:
 *  - since 859d4adc3415 (4.16): page_mapcount() != 1 (pinned pages are not
 *    skipped: row 11);
 *  - 80d47f5de5e3 (5.17): page_count() != 1 — any pin or GUP reference;
 *  - 6.10 (mTHP NUMA balancing): folio_maybe_dma_pinned() ||
 *    folio_likely_mapped_shared();
 *  - the seed 002 RFC (switch avoid-unmap-pinned): also page_maybe_dma_pinned().
 * The PTE becomes PROT_NONE; until 6.2 its write bit is saved (savedwrite)
 * and do_numa_page restores it, from 6a56ccbcf6c6 do_numa_page maps it
 * writable only if can_change_pte_writable (exclusive anon, VM_WRITE).
 *
 * Not modelled: NUMA nodes (the page is always taken to be on another node,
 * so target_node never skips it), the misplaced-page migration of
 * do_numa_page (it fails on a pinned page like migrate.move; for other
 * pages use a `migration:` daemon), PMD-mapped THPs (change_huge_pmd).
 */
import * as L from '../layout.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { faultReturn, finish, goto } from './common.js';
import { fpDaemon, targetOf, where } from './rmapWalk.js';

/** Why change_pte_range(MM_CP_PROT_NUMA) leaves the PTE alone, or ''. */
function skipReason(v: StateView, c: Ctx, m: number, va: number): string {
  if (m >= v.lay.nMm || !v.alive(m)) return 'process gone';
  if (v.kind(m, va) === L.PTE_PROTNONE) return 'already PROT_NONE';
  if (v.kind(m, va) !== L.PTE_PRESENT) return 'no present PTE';
  if (v.huge(m, va)) return 'PMD-mapped THP (change_huge_pmd, not modelled)';
  const p = v.pfn(m, va);
  if (p === L.ZERO_PFN || !v.isAnon(p)) return 'no normal anon folio (zeropage)';
  if (v.hasFlag(p, L.PGF_KSM)) return 'KSM page';
  if (c.k.avoidUnmapPinned && v.maybePinned(p)) return `page#${p} maybe DMA-pinned (seed 002 RFC)`;
  if (c.k.numaSkipPinned) {
    if (v.maybePinned(p)) return `shared COW: page#${p} folio_maybe_dma_pinned`;
    if (v.mapcount(p) > 1) return `shared COW: page#${p} folio_likely_mapped_shared`;
  } else if (c.k.numaSkipRefcount) {
    if (v.refcount(p) !== 1) return `shared COW: page#${p} page_count ${v.refcount(p)} != 1`;
  } else if (v.mapcount(p) !== 1) {
    return `shared COW: page#${p} page_mapcount ${v.mapcount(p)} != 1`;
  }
  return '';
}

export const numaScan = step({
  name: 'numa.change_prot',
  fn: 'change_prot_numa',
  cite: 'reference §B.11: change_pte_range(MM_CP_PROT_NUMA) under mmap_lock(R) + PTL: the skip checks (859d4adc3415 / 80d47f5de5e3 / 6.10) before ptep_modify_prot_start',
  guard(v, c) {
    const [m] = targetOf(c);
    return m >= v.lay.nMm || (v.canRead(m) && !v.ptlHeld(m));
  },
  effect(v, c) {
    const [m, va] = targetOf(c);
    if (skipReason(v, c, m, va) !== '') return finish(v, c);
    v.lockRead(m);
    v.setPtl(m, true); // held until numa.modify_prot: the PTE is still present, GUP-fast may grab it
    goto(v, c, numaModifyProt);
  },
  footprint: (v, c, out) => fpDaemon(v, c, out, -1, -1),
  explain(b, _a, c) {
    const [m, va] = targetOf(c);
    const r = skipReason(b, c, m, va);
    if (r !== '') return `${where(c, m, va)}: skip (${r})`;
    return `${where(c, m, va)}: page#${b.pfn(m, va)} not skipped (${counted(b, c, b.pfn(m, va))})`;
  },
});

/** The count the era's skip rule looked at, for traces. */
function counted(v: StateView, c: Ctx, p: number): string {
  if (c.k.numaSkipPinned) return 'not maybe-pinned, not mapped shared';
  if (c.k.numaSkipRefcount) return `page_count ${v.refcount(p)}`;
  return `page_mapcount ${v.mapcount(p)}`;
}

export const numaModifyProt = step({
  name: 'numa.modify_prot',
  fn: 'change_pte_range',
  cite: 'reference §B.11, §E.1: ptep_modify_prot_start (get_and_clear) + ptep_modify_prot_commit(pte_modify(PAGE_NONE)), savedwrite until 6a56ccbcf6c6; no recheck of the skip conditions after the clear',
  guard: () => true, // the PTL holder
  effect(v, c) {
    const [m, va] = targetOf(c);
    const f = v.pteFlags(m, va);
    // pte_modify(PAGE_NONE); preserve_write keeps the write bit as savedwrite (until 6.2).
    v.setPte(m, va, L.PTE_PROTNONE, v.pfn(m, va), c.k.numaRestorePae ? f & ~L.PTEF_WRITE : f);
    v.setPtl(m, false);
    v.unlockRead(m);
    finish(v, c);
  },
  footprint: (v, c, out) => fpDaemon(v, c, out, -1, -1),
  explain(b, _a, c) {
    const [m, va] = targetOf(c);
    const saved = !c.k.numaRestorePae && (b.pteFlags(m, va) & L.PTEF_WRITE) !== 0 ? ' (savedwrite)' : '';
    return `${where(c, m, va)}: page#${b.pfn(m, va)} PTE -> PROT_NONE${saved}`;
  },
});

/** Does do_numa_page map the page writable again? */
function restoreWritable(v: StateView, c: Ctx): boolean {
  const m = c.mm;
  const va = c.instr.va;
  if (!c.k.numaRestorePae) return (v.pteFlags(m, va) & L.PTEF_WRITE) !== 0; // pte_savedwrite
  // 6a56ccbcf6c6: vma_wants_manual_pte_write_upgrade && can_change_pte_writable (private: anon && PAE).
  const p = v.pfn(m, va);
  return (v.vma(m, va) & L.VMA_WRITE) !== 0 && p !== L.ZERO_PFN && v.isAnon(p) && v.pae(p);
}

/**
 * do_numa_page, under the PTL (handle_mm_fault's step): the PROT_NONE PTE
 * is made accessible again (pte_modify(vm_page_prot), writable per era);
 * the access then retries. The misplaced-folio migration is not modelled.
 */
export function doNumaPage(v: StateView, c: Ctx): void {
  const m = c.mm;
  const va = c.instr.va;
  const f = v.pteFlags(m, va);
  const w = restoreWritable(v, c);
  v.setPte(m, va, L.PTE_PRESENT, v.pfn(m, va), (f & L.PTEF_DIRTY) | (w ? L.PTEF_WRITE : 0));
  faultReturn(v, c);
}

export function explainNumaPage(b: StateView, c: Ctx): string {
  const w = restoreWritable(b, c);
  const how = c.k.numaRestorePae ? (w ? 'exclusive anon -> RW' : 'R/O') : w ? 'savedwrite -> RW' : 'R/O';
  return `do_numa_page: page#${b.pfn(c.mm, c.instr.va)} PROT_NONE -> present, ${how}`;
}
