/**
 * The user-requested unmaps (reference §B.7): MADV_DONTNEED (mmap_lock R),
 * munmap (mmap_lock W, the VMA goes) and exit_mmap (everything goes, the mm
 * is dead). zap_pte_range has no pin check at all: a pinned page just loses
 * its mapping, which is why pin-coherent exempts these (ghost bit).
 */
import * as L from '../layout.js';
import { markUserUnmapped } from '../pages.js';
import { zapRange } from '../thp.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, fp, fpBase, fpRegion } from './common.js';
import { cachePfn, shmemVmaGone } from '../shmem.js';

/** VAs an instruction covers: one, or a whole THP region (config.ts `span`). */
const span = (c: Ctx): number => c.instr.span ?? 1;

function fpZap(v: StateView, c: Ctx, out: number[], all: boolean): void {
  fpBase(c, out);
  out.push(fp.mm(c.mm));
  for (let va = 0; va < v.lay.nVa; va++) {
    if (!all && (va < c.instr.va || va >= c.instr.va + span(c))) continue;
    out.push(fp.pte(v, c.mm, va));
    if (v.kind(c.mm, va) !== L.PTE_NONE) out.push(fp.page(v.pfn(c.mm, va)));
    if (v.region(va) >= 0) fpRegion(v, c.mm, va, out);
    // A shared mapping's page-cache page (model/shmem.ts): the last VMA to go truncates it.
    if (cachePfn(v, va) >= 0) out.push(fp.page(cachePfn(v, va)));
  }
  c.cfg.pins.forEach((p, i) => { if (p.mm === c.mm) out.push(fp.pin(i)); });
}

const zapExplain = (b: StateView, c: Ctx, va: number): string => {
  if (span(c) > 1 || b.region(va) >= 0) return zapThpExplain(b, c, va, span(c));
  return b.kind(c.mm, va) === L.PTE_PRESENT ? `zap ${c.cfg.vas[va]}: page#${b.pfn(c.mm, va)} unmapped` : `${c.cfg.vas[va]}: nothing mapped`;
};

/** The same for a THP region or subpage: a huge PMD is zapped whole or split first (model/thp.ts zapRange). */
function zapThpExplain(b: StateView, c: Ctx, va: number, n: number): string {
  const parts: string[] = [];
  const r = b.region(va);
  if (r >= 0 && b.huge(c.mm, va)) {
    const h = b.pmdPfn(c.mm, r);
    parts.push(n >= L.THP_NR ? `zap_huge_pmd: THP page#${h} unmapped` : `split PMD of THP page#${h}`);
  }
  for (let x = va; x < va + n; x++) {
    const p = b.mappedPfn(c.mm, x);
    if (!b.huge(c.mm, x) && b.kind(c.mm, x) === L.PTE_PRESENT) parts.push(`zap ${c.cfg.vas[x]}: page#${p} unmapped`);
    else if (b.huge(c.mm, x) && n < L.THP_NR) parts.push(`zap ${c.cfg.vas[x]}: page#${p} unmapped`);
  }
  return parts.length ? parts.join('; ') : 'nothing mapped';
}

export const dontneed = step({
  name: 'madvise.dontneed',
  fn: 'madvise_dontneed_single_vma',
  cite: 'reference §B.7: zap_page_range_single under mmap_lock(R); no pin check',
  guard: (v, c) => v.canRead(c.mm) && !v.ptlHeld(c.mm), // zap_pte_range takes the PTL
  effect(v, c) {
    zapRange(v, c.mm, c.instr.va, span(c), false);
    for (let x = c.instr.va; x < c.instr.va + span(c); x++) markUserUnmapped(v, c, c.mm, x);
    finish(v, c);
  },
  footprint: (v, c, out) => fpZap(v, c, out, false),
  explain: (b, _a, c) => zapExplain(b, c, c.instr.va),
});

export const munmap = step({
  name: 'munmap',
  fn: 'do_vmi_munmap',
  cite: 'reference §B.7: unmap_region under mmap_lock(W); no pin check',
  guard: (v, c) => v.canWrite(c.mm) && !v.ptlHeld(c.mm), // zap_pte_range takes the PTL (reclaim, migration hold it across steps)
  effect(v, c) {
    zapRange(v, c.mm, c.instr.va, span(c), true);
    for (let x = c.instr.va; x < c.instr.va + span(c); x++) {
      v.setVma(c.mm, x, 0);
      markUserUnmapped(v, c, c.mm, x);
      shmemVmaGone(v, x); // the shmem object's last VMA: truncate (model/shmem.ts)
    }
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
  if (!v.canWrite(c.mm) || v.ptlHeld(c.mm)) return false; // zap_pte_range takes the PTL
  return c.cfg.actors.every((a, i) => i === c.actor || a.mm !== c.mm || v.act(i, L.A_STEP) === 0);
}

export const exit = step({
  name: 'exit',
  fn: 'exit_mmap',
  cite: 'reference §B.7: exit_mmap zaps every VMA; pins survive on their pages',
  guard: lastUser,
  effect(v, c) {
    zapRange(v, c.mm, 0, v.lay.nVa, true); // zapPte per VA, zap_huge_pmd per huge PMD (model/thp.ts)
    for (let va = 0; va < v.lay.nVa; va++) {
      v.setVma(c.mm, va, 0);
      shmemVmaGone(v, va); // the shmem object's last VMA: truncate (model/shmem.ts)
    }
    markUserUnmapped(v, c, c.mm, undefined);
    v.setMm(c.mm, L.MM_ALIVE, L.LIFE_EXITED);
    finish(v, c);
  },
  footprint: (v, c, out) => fpZap(v, c, out, true),
  explain(b, _a, c) {
    const parts: string[] = [];
    for (let va = 0; va < b.lay.nVa; va++) {
      if (b.kind(c.mm, va) === L.PTE_PRESENT && b.pfn(c.mm, va) !== L.ZERO_PFN) parts.push(`page#${b.pfn(c.mm, va)}`);
      else if (b.huge(c.mm, va) && va === b.lay.thpVa[b.region(va)]) parts.push(`THP page#${b.pmdPfn(c.mm, b.region(va))}`);
    }
    return parts.length ? `unmap ${parts.join(', ')}` : undefined;
  },
});
