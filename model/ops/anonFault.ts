/**
 * do_anonymous_page (reference §B.1): a fault on a none PTE of a private
 * anonymous VMA. A read fault maps the shared zeropage R/O (special, no
 * refcount); a write fault allocates and zeroes a page without the PTL,
 * then installs it under the PTL if the PTE is still none — two steps, so
 * another thread can win the race in between.
 */
import * as L from '../layout.js';
import { allocPage, mapNewAnon, newPteFlags, putPage } from '../pages.js';
import { LOC_ALLOC, step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { faultReturn, fp, fpVa, goto } from './common.js';
import { ensureTable } from '../thp.js';

/** Read fault: the zeropage, mapped R/O under the PTL (done by the fault entry step). */
export function mapZeropage(v: StateView, c: Ctx): void {
  ensureTable(v, c.mm, c.instr.va); // pte_alloc in a THP region whose PMD was none (model/thp.ts)
  v.setPte(c.mm, c.instr.va, L.PTE_PRESENT, L.ZERO_PFN, L.PTEF_SPECIAL);
}

export const anonAlloc = step({
  name: 'anon.alloc',
  fn: 'do_anonymous_page',
  cite: 'reference §B.1 step 2 (alloc_anon_folio, no PTL)',
  guard: () => true,
  effect(v, c) {
    v.setAct(c.actor, L.A_NEW, allocPage(v, L.CONTENT_ZERO));
    goto(v, c, anonInstall);
  },
  footprint(v, c, out) {
    fpVa(v, c, out);
    out.push(LOC_ALLOC);
  },
  explain: (_b, a, c) => `alloc page#${a.act(c.actor, L.A_NEW)} (zeroed)`,
});

export const anonInstall = step({
  name: 'anon.install',
  fn: 'do_anonymous_page',
  cite: 'reference §B.1 steps 3-4 (vmf_pte_changed, folio_add_new_anon_rmap RMAP_EXCLUSIVE)',
  guard: (v, c) => !v.ptlHeld(c.mm), // retakes the PTL (layout.ts MM_PTL)
  effect(v, c) {
    const p = v.act(c.actor, L.A_NEW);
    v.setAct(c.actor, L.A_NEW, L.NO_PFN);
    // Another thread installed a PTE (or a huge PMD: pmd_trans_unstable) first: free ours.
    if (v.kind(c.mm, c.instr.va) !== L.PTE_NONE || v.huge(c.mm, c.instr.va)) {
      putPage(v, p);
    } else {
      ensureTable(v, c.mm, c.instr.va);
      mapNewAnon(v, c, c.mm, c.instr.va, p, newPteFlags(v, c.mm, c.instr.va, true));
    }
    faultReturn(v, c);
  },
  footprint(v, c, out) {
    fpVa(v, c, out);
    out.push(LOC_ALLOC);
    const p = v.act(c.actor, L.A_NEW);
    if (p !== L.NO_PFN) out.push(fp.page(p));
  },
  explain: (b, _a, c) => (b.kind(c.mm, c.instr.va) !== L.PTE_NONE ? 'PTE no longer none: free the new page' : undefined),
});
