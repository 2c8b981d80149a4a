/**
 * mprotect (reference §B.12): change_pte_range under mmap_lock(W) + PTL.
 * PROT_READ write-protects the PTE; PROT_READ|PROT_WRITE sets VM_WRITE but
 * leaves anon PTEs R/O (the next write faults) — except since 6.0
 * (can_change_pte_writable) for an exclusive (PAE) anon page, which is
 * mapped writable at once. That is why cow.c's mprotect variants matter.
 */
import * as L from '../layout.js';
import { step } from '../step.js';
import { finish, fp, fpBase } from './common.js';

export const mprotect = step({
  name: 'mprotect',
  fn: 'change_pte_range',
  cite: 'reference §B.12; can_change_pte_writable (switch mprotect-pae-writable)',
  guard: (v, c) => v.canWrite(c.mm),
  effect(v, c) {
    const m = c.mm;
    const va = c.instr.va;
    const vma = v.vma(m, va);
    if ((vma & L.VMA_MAPPED) !== 0) {
      v.setVma(m, va, c.instr.writable ? vma | L.VMA_WRITE : vma & ~L.VMA_WRITE);
      if (v.present(m, va)) {
        const p = v.pfn(m, va);
        const f = v.pteFlags(m, va);
        if (!c.instr.writable) v.setPteFlags(m, va, f & ~L.PTEF_WRITE);
        else if (c.k.mprotectPaeWritable && p !== L.ZERO_PFN && v.isAnon(p) && v.pae(p)) v.setPteFlags(m, va, f | L.PTEF_WRITE);
      }
    }
    finish(v, c);
  },
  footprint(v, c, out) {
    fpBase(c, out);
    out.push(fp.mm(c.mm), fp.pte(v, c.mm, c.instr.va));
    if (v.present(c.mm, c.instr.va)) out.push(fp.page(v.pfn(c.mm, c.instr.va)));
  },
  explain(b, a, c) {
    const va = c.instr.va;
    if (!b.present(c.mm, va)) return undefined;
    const was = b.writable(c.mm, va);
    const now = a.writable(c.mm, va);
    if (was === now) return c.instr.writable && !now ? 'PTE stays R/O (not exclusive)' : undefined;
    return `PTE ${was ? 'RW' : 'R/O'} -> ${now ? 'RW' : 'R/O'}`;
  },
});
