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

function segv(v: StateView, c: Ctx): void {
  v.setActFlag(c.actor, L.AF_SEGV, true);
  faultReturn(v, c);
}

function dispatch(v: StateView, c: Ctx): void {
  const m = c.mm;
  const va = c.instr.va;
  const write = v.actFlag(c.actor, L.AF_WRITE);
  const unshare = v.actFlag(c.actor, L.AF_UNSHARE);
  const vma = v.vma(m, va);
  if ((vma & L.VMA_MAPPED) === 0) return segv(v, c); // no VMA: VM_FAULT_SIGSEGV / -EFAULT
  if (write && (vma & L.VMA_WRITE) === 0) return segv(v, c); // access_error()
  const kind = v.kind(m, va);
  if (kind === L.PTE_NONE) {
    if (write) return goto(v, c, anonAlloc);
    mapZeropage(v, c);
    return faultReturn(v, c);
  }
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
  guard: (v, c) => v.actFlag(c.actor, L.AF_FROM_GUP) || v.canRead(c.mm),
  effect(v, c) {
    if (!v.actFlag(c.actor, L.AF_FROM_GUP)) v.lockRead(c.mm);
    dispatch(v, c);
  },
  footprint: fpVa,
  explain(b, _a, c) {
    const m = c.mm;
    const va = c.instr.va;
    const write = b.actFlag(c.actor, L.AF_WRITE);
    const unshare = b.actFlag(c.actor, L.AF_UNSHARE);
    const vma = b.vma(m, va);
    if ((vma & L.VMA_MAPPED) === 0 || (write && (vma & L.VMA_WRITE) === 0)) return 'SIGSEGV';
    if (b.kind(m, va) === L.PTE_NONE) return write ? 'do_anonymous_page: write fault on none PTE' : 'do_anonymous_page: map the zeropage R/O';
    if ((write || unshare) && !b.writable(m, va)) return `do_wp_page: ${explainWpPage(b, c)}`;
    return 'spurious fault';
  },
});
