/**
 * VMA-level operations that change no page: mmap of a private anonymous
 * page, MADV_DONTFORK/DOFORK/WIPEONFORK (madvise_vma_behavior, reference
 * §A.2), all under mmap_lock(W), one step each.
 */
import * as L from '../layout.js';
import { markUserUnmapped, zapPte } from '../pages.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, fp, fpBase } from './common.js';

function fpVma(v: StateView, c: Ctx, out: number[]): void {
  fpBase(c, out);
  out.push(fp.mm(c.mm), fp.pte(v, c.mm, c.instr.va));
}

export const mmap = step({
  name: 'mmap',
  fn: 'do_mmap',
  cite: 'mmap(MAP_PRIVATE|MAP_ANONYMOUS): a new VMA, no PTE (faults populate it)',
  guard: (v, c) => v.canWrite(c.mm),
  effect(v, c) {
    // MAP_FIXED over an existing mapping unmaps it first (as munmap would).
    zapPte(v, c.mm, c.instr.va);
    markUserUnmapped(v, c, c.mm, c.instr.va);
    v.setVma(c.mm, c.instr.va, L.VMA_MAPPED | c.instr.vmaFlags);
    finish(v, c);
  },
  footprint: fpVma,
});

function setVmaFlag(bit: number, on: boolean, extraOff = 0) {
  return (v: StateView, c: Ctx): void => {
    const f = v.vma(c.mm, c.instr.va);
    if ((f & L.VMA_MAPPED) !== 0) v.setVma(c.mm, c.instr.va, on ? (f | bit) & ~extraOff : f & ~bit & ~extraOff);
    finish(v, c);
  };
}

export const dontfork = step({
  name: 'madvise.dontfork',
  fn: 'madvise_vma_behavior',
  cite: 'MADV_DONTFORK sets VM_DONTCOPY: dup_mmap skips the VMA (reference §A.2)',
  guard: (v, c) => v.canWrite(c.mm),
  effect: setVmaFlag(L.VMA_DONTCOPY, true),
  footprint: fpVma,
});

export const dofork = step({
  name: 'madvise.dofork',
  fn: 'madvise_vma_behavior',
  cite: 'MADV_DOFORK clears VM_DONTCOPY (reference §A.2)',
  guard: (v, c) => v.canWrite(c.mm),
  effect: setVmaFlag(L.VMA_DONTCOPY, false),
  footprint: fpVma,
});

export const wipeonfork = step({
  name: 'madvise.wipeonfork',
  fn: 'madvise_vma_behavior',
  cite: 'MADV_WIPEONFORK sets VM_WIPEONFORK: the child gets an empty VMA (reference §A.2)',
  guard: (v, c) => v.canWrite(c.mm),
  effect: setVmaFlag(L.VMA_WIPEONFORK, true),
  footprint: fpVma,
});
