/**
 * VMA-level operations that change no page: mmap of a private anonymous
 * page (or a shared one, model/shmem.ts), MADV_DONTFORK/DOFORK/WIPEONFORK
 * (madvise_vma_behavior, reference §A.2), all under mmap_lock(W), one step
 * each.
 */
import * as L from '../layout.js';
import { markUserUnmapped } from '../pages.js';
import { splitPartial, zapRange } from '../thp.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, fp, fpBase, fpRegion } from './common.js';
import { cachePfn, isSharedVma, shmemVmaGone } from '../shmem.js';

function fpVma(v: StateView, c: Ctx, out: number[]): void {
  fpBase(c, out);
  out.push(fp.mm(c.mm), fp.pte(v, c.mm, c.instr.va));
  if (v.region(c.instr.va) >= 0) fpRegion(v, c.mm, c.instr.va, out); // a THP region (config.ts `span`)
  if (cachePfn(v, c.instr.va) >= 0) out.push(fp.page(cachePfn(v, c.instr.va))); // a shared mapping's page (model/shmem.ts)
}

/** VAs an instruction covers: one, or a whole THP region (config.ts `span`). */
const span = (c: Ctx): number => c.instr.span ?? 1;

export const mmap = step({
  name: 'mmap',
  fn: 'do_mmap',
  cite: 'mmap(MAP_PRIVATE|MAP_ANONYMOUS), or MAP_SHARED (shmem_zero_setup, model/shmem.ts): a new VMA, no PTE (faults populate it)',
  guard: (v, c) => v.canWrite(c.mm),
  effect(v, c) {
    // MAP_FIXED over an existing mapping unmaps it first (as munmap would).
    zapRange(v, c.mm, c.instr.va, span(c), true);
    for (let x = c.instr.va; x < c.instr.va + span(c); x++) {
      markUserUnmapped(v, c, c.mm, x);
      v.setVma(c.mm, x, L.VMA_MAPPED | c.instr.vmaFlags);
      shmemVmaGone(v, x); // it replaced the shmem object's last VMA: truncate (model/shmem.ts)
    }
    finish(v, c);
  },
  footprint: fpVma,
});

function setVmaFlag(bit: number, on: boolean, extraOff = 0) {
  return (v: StateView, c: Ctx): void => {
    // madvise on part of a THP region splits the VMA and so the huge PMD (vma_adjust_trans_huge).
    if ((v.vma(c.mm, c.instr.va) & L.VMA_MAPPED) !== 0) splitPartial(v, c.mm, c.instr.va, span(c));
    for (let x = c.instr.va; x < c.instr.va + span(c); x++) {
      const f = v.vma(c.mm, x);
      if ((f & L.VMA_MAPPED) !== 0) v.setVma(c.mm, x, on ? (f | bit) & ~extraOff : f & ~bit & ~extraOff);
    }
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

const setWipeonfork = setVmaFlag(L.VMA_WIPEONFORK, true);

export const wipeonfork = step({
  name: 'madvise.wipeonfork',
  fn: 'madvise_vma_behavior',
  cite: 'MADV_WIPEONFORK sets VM_WIPEONFORK: the child gets an empty VMA (reference §A.2); -EINVAL on a VM_SHARED VMA ("only supported on anonymous memory")',
  guard: (v, c) => v.canWrite(c.mm),
  effect(v, c) {
    if (isSharedVma(v, c.mm, c.instr.va)) return finish(v, c); // -EINVAL: nothing changes (model/shmem.ts)
    setWipeonfork(v, c);
  },
  footprint: fpVma,
});
