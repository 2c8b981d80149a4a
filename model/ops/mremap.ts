/**
 * mremap (reference §B.8): `mremap A B [dontunmap]` = mremap(A, MREMAP_MAYMOVE
 * | MREMAP_FIXED, B [| MREMAP_DONTUNMAP]) of one page: move_vma →
 * move_page_tables → move_ptes, one step under mmap_lock(W) and both PTLs.
 *
 * MREMAP_FIXED first unmaps whatever is at B (do_munmap: a user unmap, so
 * pins through B are exempt from pin-coherent as after munmap). move_ptes
 * then moves A's PTE to B with its page, flags, refcount, mapcount and
 * PageAnonExclusive unchanged (ptep_get_and_clear + set_pte_at; the
 * soft-dirty bit is not modelled), which is why a pinned page stays mapped
 * and pinned (seed 003: "mremap with pinned pages works"). The pins taken
 * through A follow the PTE to B (layout.ts PIN_VA), as the reference asks:
 * pin-coherent and pin-stays-mapped then check B. Without MREMAP_DONTUNMAP
 * A's VMA goes; with it (5.7, e346b3813067) A keeps an empty VMA, so a
 * later touch of A faults in a new page.
 *
 * GUP-fast could see A's PTE cleared before B's is set; one atomic step
 * keeps only its outcomes "before" and "after", which is enough: a grab
 * across the move fails its recheck at A either way.
 */
import * as L from '../layout.js';
import { markUserUnmapped, zapPte } from '../pages.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, fp, fpBase } from './common.js';

const dst = (c: Ctx): number => c.instr.va2 ?? c.instr.va;

function refusal(v: StateView, c: Ctx): string {
  if ((v.vma(c.mm, c.instr.va) & L.VMA_MAPPED) === 0) return '-EFAULT: nothing mapped at the old address';
  if (dst(c) === c.instr.va) return 'same address: nothing to move';
  if (v.isLarge(v.pfn(c.mm, c.instr.va)) || v.region(c.instr.va) >= 0 || v.region(dst(c)) >= 0) return '-EINVAL: THP regions are not moved by the model';
  return '';
}

export const mremap = step({
  name: 'mremap',
  fn: 'move_ptes',
  cite: 'reference §B.8 (mm/mremap.c 6.12): move_vma -> move_page_tables -> move_ptes under mmap_lock(W) + old/new PTL: ptep_get_and_clear(old), set_pte_at(new) with the same pfn; MREMAP_FIXED unmaps the target first; MREMAP_DONTUNMAP (e346b3813067) keeps the old VMA empty',
  guard: (v, c) => v.canWrite(c.mm) && !v.ptlHeld(c.mm),
  effect(v, c) {
    if (refusal(v, c) !== '') return finish(v, c);
    const m = c.mm;
    const from = c.instr.va;
    const to = dst(c);
    // MREMAP_FIXED: do_munmap() of the target range first.
    zapPte(v, m, to);
    markUserUnmapped(v, c, m, to);
    // move_ptes: the PTE (present, swap, migration or protnone entry alike) moves with its page.
    // mremap_userfaultfd_prep(): without UFFD_FEATURE_EVENT_REMAP (not modelled)
    // the moved VMA loses its userfaultfd registration (fs/userfaultfd.c).
    v.setVma(m, to, v.vma(m, from) & ~L.VMA_UFFD);
    v.setPte(m, to, v.kind(m, from), v.pfn(m, from), v.pteFlags(m, from));
    v.setPte(m, from, L.PTE_NONE, 0, 0);
    v.setVma(m, from, c.instr.dontunmap ? v.vma(m, from) : 0);
    // The pins on the old VA follow their PTE.
    c.cfg.pins.forEach((pin, i) => {
      if (pin.mm === m && v.pinHolds(i) && v.pinVa(i, pin.va) === from) v.movePinVa(i, to);
    });
    finish(v, c);
  },
  footprint(v, c, out) {
    fpBase(c, out);
    const m = c.mm;
    out.push(fp.mm(m), fp.pte(v, m, c.instr.va), fp.pte(v, m, dst(c)));
    for (const va of [c.instr.va, dst(c)]) if (v.kind(m, va) !== L.PTE_NONE) out.push(fp.page(v.pfn(m, va)));
    c.cfg.pins.forEach((pin, i) => { if (pin.mm === m) out.push(fp.pin(i)); });
  },
  explain(b, _a, c) {
    const r = refusal(b, c);
    if (r !== '') return r;
    const from = c.cfg.vas[c.instr.va];
    const to = c.cfg.vas[dst(c)];
    const what = b.kind(c.mm, c.instr.va) === L.PTE_NONE ? 'no PTE' : `page#${b.pfn(c.mm, c.instr.va)}`;
    return `move ${from} -> ${to}: ${what}${c.instr.dontunmap ? `; ${from} stays mapped, empty` : ''}`;
  },
});
