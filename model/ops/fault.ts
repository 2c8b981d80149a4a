/**
 * handle_mm_fault → handle_pte_fault: the entry of every page fault, raised
 * by a user access or by slow GUP's faultin_page (reference §B.1, §B.2,
 * §B.4 step 4). Takes mmap_lock for read (unless GUP already holds it) and,
 * under the PTE lock, dispatches: a none PTE goes to do_anonymous_page, a
 * write or unshare fault on a R/O PTE goes to do_wp_page's decision.
 */
import * as L from '../layout.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { anonAlloc, mapZeropage } from './anonFault.js';
import { faultReturn, fpVa, goto } from './common.js';
import { doWpPage, explainWpPage } from './wpFault.js';
import { doSwapPage } from './swapin.js';
import { doNumaPage, explainNumaPage } from './numa.js';
import { migrationEntryWait } from './migrate.js';
import { explainUserfault, handleUserfault, uffdMissing } from './userfault.js';
import { explainThpDispatch, THP_HANDLED, THP_SPLIT, thpDispatch } from './thpFault.js';
import { explainSharedFault, explainWpPageShared, sharedFault, wpPageShared } from './sharedFault.js';
import { isSharedVma } from '../shmem.js';

function segv(v: StateView, c: Ctx): void {
  v.setActFlag(c.actor, L.AF_SEGV, true);
  faultReturn(v, c);
}

function dispatch(v: StateView, c: Ctx): void {
  const m = c.mm;
  const va = c.instr.va;
  const write = v.actFlag(c.actor, L.AF_WRITE);
  const vma = v.vma(m, va);
  if ((vma & L.VMA_MAPPED) === 0) return segv(v, c); // no VMA: VM_FAULT_SIGSEGV / -EFAULT
  if (write && (vma & L.VMA_WRITE) === 0) return segv(v, c); // access_error()
  // __handle_mm_fault's PMD level first, in a THP region (model/ops/thpFault.ts).
  if (v.region(va) >= 0) {
    const t = thpDispatch(v, c);
    if (t === THP_SPLIT) return goto(v, c, faultPte);
    if (t === THP_HANDLED) return;
  }
  dispatchPte(v, c);
}

/** handle_pte_fault (reference §B.1, §B.2): the PTE level. */
function dispatchPte(v: StateView, c: Ctx): void {
  const m = c.mm;
  const va = c.instr.va;
  const write = v.actFlag(c.actor, L.AF_WRITE);
  const unshare = v.actFlag(c.actor, L.AF_UNSHARE);
  const kind = v.kind(m, va);
  // A shared mapping (model/shmem.ts): do_fault → shmem_fault, and do_wp_page's shared branch.
  if (isSharedVma(v, m, va) && kind === L.PTE_NONE) {
    sharedFault(v, c);
    return faultReturn(v, c);
  }
  if (isSharedVma(v, m, va) && kind === L.PTE_PRESENT && (write || unshare) && !v.writable(m, va)) {
    wpPageShared(v, c);
    return faultReturn(v, c);
  }
  if (kind === L.PTE_NONE) {
    // do_anonymous_page: userfaultfd_missing(vma) -> handle_userfault (reference §B.16).
    if (uffdMissing(v, m, va)) return handleUserfault(v, c);
    if (write) return goto(v, c, anonAlloc);
    mapZeropage(v, c);
    return faultReturn(v, c);
  }
  // !pte_present: do_swap_page (a migration entry never gets here: faultEntry waits, migration_entry_wait).
  if (kind === L.PTE_SWAP) return doSwapPage(v, c);
  if (kind === L.PTE_PROTNONE) return doNumaPage(v, c); // pte_protnone: the NUMA hint fault
  if (kind === L.PTE_PRESENT && (write || unshare) && !v.writable(m, va)) {
    doWpPage(v, c);
    return;
  }
  // Spurious fault (the PTE already allows the access): just mark it.
  if (kind === L.PTE_PRESENT && write) v.setPteFlags(m, va, v.pteFlags(m, va) | L.PTEF_DIRTY);
  faultReturn(v, c);
}

export const faultEntry = step({
  name: 'fault.entry',
  fn: 'handle_mm_fault',
  cite: 'reference §B.1 (do_anonymous_page), §B.2 (do_wp_page decide) under mmap_lock(R) + PTL',
  // The PTL: waits while a split PTL section (KSM, UFFDIO_MOVE, uprobes) holds it (layout.ts MM_PTL).
  guard: (v, c) => (v.actFlag(c.actor, L.AF_FROM_GUP) || v.canRead(c.mm)) && !v.ptlHeld(c.mm) && !migrationEntryWait(v, c),
  effect(v, c) {
    if (!v.actFlag(c.actor, L.AF_FROM_GUP)) v.lockRead(c.mm);
    dispatch(v, c);
  },
  footprint: fpVa,
  explain(b, _a, c) {
    const m = c.mm;
    const va = c.instr.va;
    const write = b.actFlag(c.actor, L.AF_WRITE);
    const vma = b.vma(m, va);
    if ((vma & L.VMA_MAPPED) === 0 || (write && (vma & L.VMA_WRITE) === 0)) return 'SIGSEGV';
    const thp = b.region(va) >= 0 ? explainThpDispatch(b, c) : undefined;
    if (thp !== undefined) return thp;
    return explainPte(b, c);
  },
});

function explainPte(b: StateView, c: Ctx): string {
  const m = c.mm;
  const va = c.instr.va;
  const write = b.actFlag(c.actor, L.AF_WRITE);
  const unshare = b.actFlag(c.actor, L.AF_UNSHARE);
  if (isSharedVma(b, m, va) && b.kind(m, va) === L.PTE_NONE) return explainSharedFault(b, c);
  if (isSharedVma(b, m, va) && b.present(m, va) && (write || unshare) && !b.writable(m, va)) return explainWpPageShared(b, c);
  if (b.kind(m, va) === L.PTE_NONE && uffdMissing(b, m, va)) return explainUserfault(b, c);
  if (b.kind(m, va) === L.PTE_NONE) return write ? 'do_anonymous_page: write fault on none PTE' : 'do_anonymous_page: map the zeropage R/O';
  if (b.kind(m, va) === L.PTE_SWAP) return `do_swap_page: ${write ? 'write' : 'read'} fault on a swap PTE (slot page#${b.pfn(m, va)})`;
  if (b.kind(m, va) === L.PTE_PROTNONE) return explainNumaPage(b, c);
  if ((write || unshare) && !b.writable(m, va)) return `do_wp_page: ${explainWpPage(b, c)}`;
  return 'spurious fault';
}

/**
 * handle_pte_fault after do_huge_pmd_wp_page fell back (VM_FAULT_FALLBACK):
 * the PMD was split (__split_huge_pmd) and its lock dropped; the PTE level
 * runs under the PTL with mmap_lock still held (reference §B.2 THP PMD
 * step 7, 3bff7e3f1f16).
 */
export const faultPte = step({
  name: 'fault.pte',
  fn: 'handle_pte_fault',
  cite: 'reference §B.2 THP PMD step 7: after __split_huge_pmd, VM_FAULT_FALLBACK to the PTE level',
  guard: (v, c) => !v.ptlHeld(c.mm),
  effect: (v, c) => dispatchPte(v, c),
  footprint: fpVa,
  explain: (b, _a, c) => explainPte(b, c),
});
