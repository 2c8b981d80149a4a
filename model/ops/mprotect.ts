/**
 * mprotect (reference §B.12): change_pte_range under mmap_lock(W) + PTL.
 * PROT_READ write-protects the PTE; PROT_READ|PROT_WRITE sets VM_WRITE but
 * leaves anon PTEs R/O (the next write faults) — except since 6.0
 * (can_change_pte_writable) for an exclusive (PAE) anon page, which is
 * mapped writable at once. That is why cow.c's mprotect variants matter.
 * A shared mapping's PTEs (model/shmem.ts) become writable at once in every
 * era: its vm_page_prot is writable.
 */
import * as L from '../layout.js';
import { step } from '../step.js';
import { finish, fp, fpBase, fpRegion } from './common.js';
import { splitPartial } from '../thp.js';
import { isSharedVma } from '../shmem.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';

/**
 * change_huge_pmd on a huge PMD the range covers whole: PROT_READ
 * write-protects it; PROT_READ|PROT_WRITE leaves it R/O (the next write
 * faults into do_huge_pmd_wp_page, which reuses an exclusive THP). The
 * kernel's later "try avoiding write faults" for PMDs (can_change_pmd_writable)
 * is not modelled: it only saves that fault.
 */
function changeHugePmd(v: StateView, c: Ctx, va: number): void {
  const r = v.region(va);
  if (va !== v.lay.thpVa[r] || c.instr.writable) return;
  v.setPmd(c.mm, r, L.PMD_HUGE, v.pmdPfn(c.mm, r), v.pmdFlags(c.mm, r) & ~L.PTEF_WRITE);
}

function explainThpMprotect(b: StateView, a: StateView, c: Ctx): string | undefined {
  const r = b.region(c.instr.va);
  if (b.pmdKind(c.mm, r) !== L.PMD_HUGE) return undefined;
  if (a.pmdKind(c.mm, r) !== L.PMD_HUGE) return `split PMD of THP page#${b.pmdPfn(c.mm, r)}`;
  const was = (b.pmdFlags(c.mm, r) & L.PTEF_WRITE) !== 0;
  const now = (a.pmdFlags(c.mm, r) & L.PTEF_WRITE) !== 0;
  return was === now ? (c.instr.writable && !now ? 'PMD stays R/O' : undefined) : `PMD ${was ? 'RW' : 'R/O'} -> ${now ? 'RW' : 'R/O'}`;
}

/**
 * change_pte_range on a NUMA PROT_NONE PTE or a migration entry (reference
 * §B.11, §B.10): pte_modify() to the VMA's protection makes a PROT_NONE PTE
 * an ordinary R/O one (the NUMA hint and any saved write bit are gone; 6.0+
 * can_change_pte_writable may then map an exclusive page writable); a
 * writable migration entry becomes readable — readable_exclusive for anon
 * 5.19+ — "a protection check is difficult so just be safe and disable write".
 */
function changeEntry(v: StateView, c: Ctx, m: number, va: number): void {
  const f = v.pteFlags(m, va);
  const p = v.pfn(m, va);
  if (v.kind(m, va) === L.PTE_MIGRATION) {
    if ((f & L.PTEF_WRITE) !== 0) v.setPteFlags(m, va, (f & ~L.PTEF_WRITE) | (c.k.pae ? L.PTEF_SWP_EXCL : 0));
    return;
  }
  const w = c.instr.writable && c.k.mprotectPaeWritable && p !== L.ZERO_PFN && v.isAnon(p) && v.pae(p);
  v.setPte(m, va, L.PTE_PRESENT, p, (f & L.PTEF_DIRTY) | (w ? L.PTEF_WRITE : 0));
}

export const mprotect = step({
  name: 'mprotect',
  fn: 'change_pte_range',
  cite: 'reference §B.12; can_change_pte_writable (switch mprotect-pae-writable)',
  guard: (v, c) => v.canWrite(c.mm) && !v.ptlHeld(c.mm), // change_pte_range takes the PTL (layout.ts MM_PTL)
  effect(v, c) {
    const m = c.mm;
    const n = c.instr.span ?? 1; // a whole THP region, or one VA (config.ts `span`)
    // mprotect of part of a THP region splits the VMA and so the huge PMD (vma_adjust_trans_huge).
    if ((v.vma(m, c.instr.va) & L.VMA_MAPPED) !== 0) splitPartial(v, m, c.instr.va, n);
    for (let va = c.instr.va; va < c.instr.va + n; va++) {
      const vma = v.vma(m, va);
      if ((vma & L.VMA_MAPPED) === 0) continue;
      v.setVma(m, va, c.instr.writable ? vma | L.VMA_WRITE : vma & ~L.VMA_WRITE);
      if (v.huge(m, va)) changeHugePmd(v, c, va);
      else if (v.kind(m, va) === L.PTE_PROTNONE || v.kind(m, va) === L.PTE_MIGRATION) changeEntry(v, c, m, va);
      else if (v.present(m, va)) {
        const p = v.pfn(m, va);
        const f = v.pteFlags(m, va);
        if (!c.instr.writable) v.setPteFlags(m, va, f & ~L.PTEF_WRITE);
        else if (c.k.mprotectPaeWritable && p !== L.ZERO_PFN && v.isAnon(p) && v.pae(p)) v.setPteFlags(m, va, f | L.PTEF_WRITE);
        // A shared mapping (model/shmem.ts): pte_modify to the new vm_page_prot, writable for
        // VM_SHARED|VM_WRITE without write notification (shmem.ts sharedPteFlags), in every era.
        else if (isSharedVma(v, m, va)) v.setPteFlags(m, va, f | L.PTEF_WRITE);
      }
    }
    finish(v, c);
  },
  footprint(v, c, out) {
    fpBase(c, out);
    out.push(fp.mm(c.mm), fp.pte(v, c.mm, c.instr.va));
    if (v.kind(c.mm, c.instr.va) !== L.PTE_NONE) out.push(fp.page(v.pfn(c.mm, c.instr.va))); // also PROT_NONE / migration entries
    if (v.region(c.instr.va) >= 0) fpRegion(v, c.mm, c.instr.va, out);
  },
  explain(b, a, c) {
    const va = c.instr.va;
    if (b.region(va) >= 0) return explainThpMprotect(b, a, c);
    if (!b.present(c.mm, va)) return undefined;
    const was = b.writable(c.mm, va);
    const now = a.writable(c.mm, va);
    if (was === now) return c.instr.writable && !now ? 'PTE stays R/O (not exclusive)' : undefined;
    return `PTE ${was ? 'RW' : 'R/O'} -> ${now ? 'RW' : 'R/O'}`;
  },
});
