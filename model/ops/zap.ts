/**
 * The user-requested unmaps (reference §B.7): MADV_DONTNEED (mmap_lock R),
 * munmap (mmap_lock W, the VMA goes) and exit_mmap (everything goes, the mm
 * is dead). zap_pte_range has no pin check at all: a pinned page just loses
 * its mapping, which is why pin-coherent exempts these (ghost bit).
 */
import * as L from '../layout.js';
import { markUserUnmapped, zapPte } from '../pages.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, fp, fpBase } from './common.js';

function fpZap(v: StateView, c: Ctx, out: number[], all: boolean): void {
  fpBase(c, out);
  out.push(fp.mm(c.mm));
  for (let va = 0; va < v.lay.nVa; va++) {
    if (!all && va !== c.instr.va) continue;
    out.push(fp.pte(v, c.mm, va));
    if (v.kind(c.mm, va) !== L.PTE_NONE) out.push(fp.page(v.pfn(c.mm, va)));
  }
  c.cfg.pins.forEach((p, i) => { if (p.mm === c.mm) out.push(fp.pin(i)); });
}

const zapExplain = (b: StateView, c: Ctx, va: number): string =>
  b.kind(c.mm, va) === L.PTE_PRESENT ? `zap ${c.cfg.vas[va]}: page#${b.pfn(c.mm, va)} unmapped` : `${c.cfg.vas[va]}: nothing mapped`;

export const dontneed = step({
  name: 'madvise.dontneed',
  fn: 'madvise_dontneed_single_vma',
  cite: 'reference §B.7: zap_page_range_single under mmap_lock(R); no pin check',
  guard: (v, c) => v.canRead(c.mm),
  effect(v, c) {
    zapPte(v, c.mm, c.instr.va);
    markUserUnmapped(v, c, c.mm, c.instr.va);
    finish(v, c);
  },
  footprint: (v, c, out) => fpZap(v, c, out, false),
  explain: (b, _a, c) => zapExplain(b, c, c.instr.va),
});

export const munmap = step({
  name: 'munmap',
  fn: 'do_vmi_munmap',
  cite: 'reference §B.7: unmap_region under mmap_lock(W); no pin check',
  guard: (v, c) => v.canWrite(c.mm),
  effect(v, c) {
    zapPte(v, c.mm, c.instr.va);
    v.setVma(c.mm, c.instr.va, 0);
    markUserUnmapped(v, c, c.mm, c.instr.va);
    finish(v, c);
  },
  footprint: (v, c, out) => fpZap(v, c, out, false),
  explain: (b, _a, c) => zapExplain(b, c, c.instr.va),
});

/**
 * exit_mmap runs after the last user of the mm is gone (reference §B.7):
 * exit_group kills the sibling threads first, and a sibling inside an
 * operation (GUP-fast with IRQs off, a fault) finishes it before it dies.
 * So exit waits until no other thread of the mm is mid-instruction.
 */
function lastUser(v: StateView, c: Ctx): boolean {
  if (!v.canWrite(c.mm)) return false;
  return c.cfg.actors.every((a, i) => i === c.actor || a.mm !== c.mm || v.act(i, L.A_STEP) === 0);
}

export const exit = step({
  name: 'exit',
  fn: 'exit_mmap',
  cite: 'reference §B.7: exit_mmap zaps every VMA; pins survive on their pages',
  guard: lastUser,
  effect(v, c) {
    for (let va = 0; va < v.lay.nVa; va++) {
      zapPte(v, c.mm, va);
      v.setVma(c.mm, va, 0);
    }
    markUserUnmapped(v, c, c.mm, undefined);
    v.setMm(c.mm, L.MM_ALIVE, L.LIFE_EXITED);
    finish(v, c);
  },
  footprint: (v, c, out) => fpZap(v, c, out, true),
  explain(b, _a, c) {
    const parts: string[] = [];
    for (let va = 0; va < b.lay.nVa; va++) if (b.kind(c.mm, va) === L.PTE_PRESENT && b.pfn(c.mm, va) !== L.ZERO_PFN) parts.push(`page#${b.pfn(c.mm, va)}`);
    return parts.length ? `unmap ${parts.join(', ')}` : undefined;
  },
});
