/**
 * fork(): dup_mmap → copy_page_range → copy_present_pte(s) (reference §B.3).
 *
 * Steps: `begin` (mmap_write_lock, the child's VMAs, and since 5.11
 * raw_write_seqcount_begin(&mm->write_protect_seq)); one `copy` step per
 * present PTE; `end` (seqcount end, flush, unlock, the child runs). In
 * 5.9–5.10 the per-PTE copy is split into `check` (has_pinned &&
 * page_maybe_dma_pinned) and `dup` (wrprotect + share, or copy), both under
 * the PTL but not atomic for lockless GUP-fast: that split is what makes
 * the GUP-fast vs fork race of reference §C.2 row 4 reachable. The PTL
 * (MM_PTL of parent and child: copy_pte_range holds src_ptl and dst_ptl
 * across copy_present_pte) is held from `check` to `dup`, so nothing that
 * takes it (reclaim's try_to_unmap, migration, KSM, NUMA, faults) runs in
 * between; lockless GUP-fast does not take it and still can.
 */
import * as L from '../layout.js';
import { allocPage, mapNewAnon, newPteFlags } from '../pages.js';
import { LOC_ALLOC, step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, fp, fpBase, fpRegion, goto } from './common.js';
import { copyHugePmd, explainForkHuge, hugeToCopy, thpForkMustSplit } from './forkThp.js';
import { copyNonPresent, explainNonPresent, nonPresentEntry } from './copyNonPresent.js';
import { ensureTable } from '../thp.js';

/** copy_present_pte(s): VM_BUG_ON(PageAnon && PageAnonExclusive) after the dup (6.1; 6.12 VM_WARN_ON_FOLIO) */
export const ASSERT_FORK_DUP_PAE = 53;
/** folio_needs_cow_for_dma / page_needs_cow_for_dma: VM_BUG_ON(!(write_protect_seq & 1)) */
export const ASSERT_NEEDS_COW_SEQ = 54;
/** page_try_dup_anon_rmap: VM_BUG_ON_PAGE(!PageAnon) (6.1); __folio_try_dup_anon_rmap: VM_WARN_ON_FOLIO(!anon) (6.12) */
export const ASSERT_TRY_DUP_NOT_ANON = 56;

/** VA whose PTE fork must copy at or after the cursor, or nVa when done. */
function nextToCopy(v: StateView, m: number, from: number): number {
  for (let va = from; va < v.lay.nVa; va++) {
    const vma = v.vma(m, va);
    if ((vma & L.VMA_MAPPED) === 0 || (vma & (L.VMA_DONTCOPY | L.VMA_WIPEONFORK)) !== 0) continue;
    // A shared mapping (model/shmem.ts) has no anon_vma: copy_page_range returns early ("Don't copy ptes
    // where a page fault will fill them correctly"; vma_needs_copy() in 6.x, reference §A.2): the child faults it in.
    if ((vma & L.VMA_SHARED) !== 0) continue;
    const huge = v.lay.nThp > 0 ? hugeToCopy(v, m, va) : 0; // a huge PMD: copy_huge_pmd once (forkThp.ts)
    if (huge !== 0) {
      if (huge > 0) return va;
      continue;
    }
    if (v.kind(m, va) !== L.PTE_NONE) return va;
  }
  return v.lay.nVa;
}

/** Should fork give the child its own copy? (E2+: fork-copy-pinned; E5+: folio_try_dup_anon_rmap -EBUSY) */
function mustCopy(v: StateView, c: Ctx, p: number): boolean {
  if (p === L.ZERO_PFN || !c.k.forkCopyPinned) return false;
  const maybePinned = v.mm(c.mm, L.MM_HAS_PINNED) !== 0 && v.maybePinned(p);
  if (c.k.pae) return maybePinned && v.pae(p);
  return maybePinned;
}

/**
 * The assertions of page_try_dup_anon_rmap (5.19+, fb3d824d1a46), which
 * copy_present_pte and copy_huge_pmd call for every anon page: the page is
 * anon; for a PageAnonExclusive page it asks folio_needs_cow_for_dma, which
 * asserts that fork holds write_protect_seq (odd). The VM_BUG_ON is
 * verified from 5.19 (the context of the PAE series' rmap patches); 5.12–
 * 5.18 had page_needs_cow_for_dma too, with the assertion unverified, so
 * it is checked from 5.19 only. Reachable with `--without write-protect-seq`.
 */
function tryDupAsserts(v: StateView, c: Ctx, p: number): void {
  if (!c.k.pae || p === L.ZERO_PFN) return;
  if (!v.isAnon(p)) v.fireAssert(ASSERT_TRY_DUP_NOT_ANON);
  if (v.pae(p) && (v.mm(c.mm, L.MM_WPSEQ) & 1) === 0) v.fireAssert(ASSERT_NEEDS_COW_SEQ);
}

function shareOne(v: StateView, c: Ctx, va: number): void {
  const m = c.mm;
  const child = c.instr.child;
  const p = v.pfn(m, va);
  const flags = v.pteFlags(m, va);
  if (p !== L.ZERO_PFN) {
    v.getRef(p); // folio_get / get_page
    v.addMap(p, 1); // page_dup_rmap / folio_try_dup_anon_rmap
    // 5.19+: __folio_try_dup_anon_rmap clears PageAnonExclusive (it cannot fail here:
    // mustCopy() took the -EBUSY case), so copy_present_ptes' VM_WARN_ON below cannot fire.
    if (c.k.pae) v.setFlag(p, L.PGF_PAE, false);
    if (c.k.pae && v.isAnon(p) && v.pae(p)) v.fireAssert(ASSERT_FORK_DUP_PAE);
  }
  // is_cow_mapping && pte_write: write-protect both (ptep_set_wrprotect on the parent).
  v.setPteFlags(m, va, flags & ~L.PTEF_WRITE);
  ensureTable(v, child, va); // a THP region's PTE table in the child (model/thp.ts)
  v.setPte(child, va, v.kind(m, va), p, flags & ~L.PTEF_WRITE); // a NUMA PROT_NONE PTE stays PROT_NONE in both
}

function copyOne(v: StateView, c: Ctx, va: number): void {
  const m = c.mm;
  const p = v.pfn(m, va);
  const q = allocPage(v, v.page(p, L.PG_CONTENT));
  // copy_present_page: the child gets a new exclusive page; the parent's PTE is untouched.
  ensureTable(v, c.instr.child, va);
  mapNewAnon(v, c, c.instr.child, va, q, newPteFlags(v, c.instr.child, va, true));
}

/** Life of the child and the VMAs it inherits (DONTCOPY skipped, WIPEONFORK empty). */
function dupVmas(v: StateView, c: Ctx): void {
  const child = c.instr.child;
  v.setMm(child, L.MM_ALIVE, L.LIFE_FORKING);
  for (let va = 0; va < v.lay.nVa; va++) {
    const vma = v.vma(c.mm, va);
    // dup_userfaultfd without UFFD_FEATURE_EVENT_FORK: the child's VMA is not registered (fs/userfaultfd.c).
    if ((vma & L.VMA_MAPPED) !== 0 && (vma & L.VMA_DONTCOPY) === 0) v.setVma(child, va, vma & ~L.VMA_UFFD);
  }
  // copy_pmd_range: a THP region whose PMD points to a page table gets one in the child too
  // (copy_pte_range allocates it even if every PTE is none); not for DONTCOPY or WIPEONFORK.
  for (let r = 0; r < v.lay.nThp; r++) {
    const vma = v.vma(c.mm, v.lay.thpVa[r]!);
    if (v.pmdKind(c.mm, r) === L.PMD_TABLE && (vma & L.VMA_MAPPED) !== 0 && (vma & (L.VMA_DONTCOPY | L.VMA_WIPEONFORK)) === 0) {
      v.setPmd(child, r, L.PMD_TABLE, 0, 0);
    }
  }
}

function fpFork(v: StateView, c: Ctx, out: number[]): void {
  fpBase(c, out);
  out.push(fp.mm(c.mm), fp.mm(c.instr.child));
  const va = v.act(c.actor, L.A_CUR);
  if (va < v.lay.nVa) {
    out.push(fp.pte(v, c.mm, va), fp.pte(v, c.instr.child, va), LOC_ALLOC);
    if (v.kind(c.mm, va) !== L.PTE_NONE) out.push(fp.page(v.pfn(c.mm, va)));
    if (v.region(va) >= 0) {
      fpRegion(v, c.mm, va, out);
      fpRegion(v, c.instr.child, va, out);
    }
  }
}

export const forkBegin = step({
  name: 'fork.begin',
  fn: 'dup_mmap',
  cite: 'reference §B.3: mmap_write_lock(oldmm); raw_write_seqcount_begin (57efa1fe5957, 5.11+)',
  guard: (v, c) => v.canWrite(c.mm),
  effect(v, c) {
    v.setMm(c.mm, L.MM_MMAP_WRITER, 1);
    dupVmas(v, c);
    if (c.k.wpSeq) v.setMm(c.mm, L.MM_WPSEQ, (v.mm(c.mm, L.MM_WPSEQ) + 1) & 0xff);
    v.setAct(c.actor, L.A_CUR, nextToCopy(v, c.mm, 0));
    goto(v, c, forkCopy);
  },
  footprint: fpFork,
  explain: (_b, a, c) => (c.k.wpSeq ? `write_protect_seq -> ${a.mm(c.mm, L.MM_WPSEQ)} (odd)` : undefined),
});

/** 5.9–5.10 only: the pin check and the write-protect are separate for GUP-fast. */
const splitCheck = (c: Ctx): boolean => c.k.forkCopyPinned && !c.k.wpSeq;

/**
 * copy_pte_range: spin_lock(src_ptl) and spin_lock_nested(dst_ptl) around
 * copy_present_pte(s) (mm/memory.c 5.10, 6.1): both PTLs, modelled per mm.
 */
const ptlFree = (v: StateView, c: Ctx): boolean => !v.ptlHeld(c.mm) && !v.ptlHeld(c.instr.child);

/** The split check goes to `dup` with both PTLs held (copy_pte_range drops them only after the entry). */
function holdPtlToDup(v: StateView, c: Ctx): void {
  v.setPtl(c.mm, true);
  v.setPtl(c.instr.child, true);
  goto(v, c, forkDup);
}

/** copy_huge_pmd at the cursor (forkThp.ts): decide now (5.9–5.10: then `dup`), or split / share. */
function forkHuge(v: StateView, c: Ctx, va: number): void {
  tryDupAsserts(v, c, v.pmdPfn(c.mm, v.region(va))); // page_try_dup_anon_rmap(compound)
  const split = thpForkMustSplit(v, c, v.pmdPfn(c.mm, v.region(va)));
  if (splitCheck(c)) {
    v.setActFlag(c.actor, split ? L.AF_DECIDED_COPY : L.AF_DECIDED_SHARE, true);
    return holdPtlToDup(v, c);
  }
  if (copyHugePmd(v, c, va, split)) v.setAct(c.actor, L.A_CUR, nextToCopy(v, c.mm, va + 1));
}

export const forkCopy = step({
  name: 'fork.copy',
  fn: 'copy_present_pte',
  cite: 'reference §B.3 per era: share (≤5.8), copy maybe-pinned (70e806e4e645), folio_try_dup_anon_rmap (fb3d824d1a46)',
  guard: ptlFree, // copy_pte_range takes the src and dst PTLs (layout.ts MM_PTL)
  effect(v, c) {
    const va = v.act(c.actor, L.A_CUR);
    if (va >= v.lay.nVa) return goto(v, c, forkEnd);
    if (v.huge(c.mm, va)) return forkHuge(v, c, va);
    if (nonPresentEntry(v, c.mm, va)) {
      copyNonPresent(v, c, va); // swap / migration entry (ops/copyNonPresent.ts)
      return v.setAct(c.actor, L.A_CUR, nextToCopy(v, c.mm, va + 1));
    }
    const p = v.pfn(c.mm, va);
    tryDupAsserts(v, c, p); // before the check (the what-if split check runs it there too)
    if (splitCheck(c)) {
      v.setActFlag(c.actor, mustCopy(v, c, p) ? L.AF_DECIDED_COPY : L.AF_DECIDED_SHARE, true);
      return holdPtlToDup(v, c);
    }
    if (mustCopy(v, c, p)) copyOne(v, c, va);
    else shareOne(v, c, va);
    v.setAct(c.actor, L.A_CUR, nextToCopy(v, c.mm, va + 1));
  },
  footprint: fpFork,
  explain(b, _a, c) {
    const va = b.act(c.actor, L.A_CUR);
    if (va >= b.lay.nVa) return undefined;
    if (b.huge(c.mm, va)) return explainForkHuge(b, c, va, undefined, splitCheck(c));
    if (nonPresentEntry(b, c.mm, va)) return explainNonPresent(b, c, va);
    const p = b.pfn(c.mm, va);
    const name = c.cfg.vas[va];
    const pinned = `has_pinned=${b.mm(c.mm, L.MM_HAS_PINNED)} refcount=${b.refcount(p)}`;
    if (splitCheck(c)) return `${name}: ${pinned} -> ${mustCopy(b, c, p) ? 'copy' : 'share'}`;
    return mustCopy(b, c, p) ? `${name}: page#${p} maybe pinned -> copy for child` : `${name}: share page#${p}, both R/O`;
  },
});

export const forkDup = step({
  name: 'fork.dup',
  fn: 'copy_present_page',
  cite: 'reference §B.3 5.9 final-5.10 (f3c64eda3e50): wrprotect after the pin check, in the same src/dst PTL section (copy_pte_range, mm/memory.c 5.10)',
  guard: () => true, // the PTL holder: `check` took both PTLs for it
  effect(v, c) {
    const va = v.act(c.actor, L.A_CUR);
    const decided = v.actFlag(c.actor, L.AF_DECIDED_COPY);
    v.setActFlag(c.actor, L.AF_DECIDED_COPY | L.AF_DECIDED_SHARE, false);
    v.setPtl(c.mm, false);
    v.setPtl(c.instr.child, false);
    goto(v, c, forkCopy);
    // A huge PMD (forkThp.ts): "copy" was decided as "split"; a split leaves the cursor for the PTE copy.
    if (v.huge(c.mm, va)) {
      if (copyHugePmd(v, c, va, decided)) v.setAct(c.actor, L.A_CUR, nextToCopy(v, c.mm, va + 1));
      return;
    }
    if (decided) copyOne(v, c, va);
    else shareOne(v, c, va);
    v.setAct(c.actor, L.A_CUR, nextToCopy(v, c.mm, va + 1));
  },
  footprint: fpFork,
  explain: (b, _a, c) => {
    const va = b.act(c.actor, L.A_CUR);
    if (b.huge(c.mm, va)) return explainForkHuge(b, c, va, b.actFlag(c.actor, L.AF_DECIDED_COPY));
    return b.actFlag(c.actor, L.AF_DECIDED_COPY) ? `${c.cfg.vas[va]}: copy for child` : `${c.cfg.vas[va]}: share page#${b.pfn(c.mm, va)}, both R/O`;
  },
});

export const forkEnd = step({
  name: 'fork.end',
  fn: 'dup_mmap',
  cite: 'reference §B.3: raw_write_seqcount_end, flush_tlb_mm, mmap_write_unlock',
  guard: () => true,
  effect(v, c) {
    if (c.k.wpSeq) v.setMm(c.mm, L.MM_WPSEQ, (v.mm(c.mm, L.MM_WPSEQ) + 1) & 0xff);
    v.setMm(c.mm, L.MM_MMAP_WRITER, 0);
    v.setMm(c.instr.child, L.MM_ALIVE, L.LIFE_ALIVE);
    finish(v, c);
  },
  footprint: fpFork,
  explain: (_b, a, c) => (c.k.wpSeq ? `write_protect_seq -> ${a.mm(c.mm, L.MM_WPSEQ)}; ${c.cfg.processes[c.instr.child]} runs` : `${c.cfg.processes[c.instr.child]} runs`),
});
