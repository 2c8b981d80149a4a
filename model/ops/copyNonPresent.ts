/**
 * fork's copy of a swap or migration entry: copy_nonpresent_pte (reference
 * §B.3 "Non-present PTEs", 6.12 ✓). No page is copied and no pin is
 * looked at — in 5.19+ a pinned page is never swapped out or under
 * migration (try_to_unmap/try_to_migrate refuse it), before 5.19 it can be,
 * and then the swapped-out pinned page becomes COW-shared by fork.
 *  - swap entry: swap_duplicate (the slot's count is the number of swap
 *    PTEs naming it, model/swap.ts) and the exclusive bit cleared in the
 *    parent (5.19+; never set before), so both copies are shared;
 *  - migration entry in a COW mapping: a writable or readable_exclusive
 *    entry becomes readable in the parent, and the child gets the same.
 * One step under both PTLs, like copy_present_pte.
 */
import * as L from '../layout.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';

/** Is the parent's PTE a swap or migration entry (copy_nonpresent_pte's case)? */
export function nonPresentEntry(v: StateView, m: number, va: number): boolean {
  const k = v.kind(m, va);
  return k === L.PTE_SWAP || k === L.PTE_MIGRATION;
}

export function copyNonPresent(v: StateView, c: Ctx, va: number): void {
  const m = c.mm;
  const kind = v.kind(m, va);
  const flags = v.pteFlags(m, va) & ~(L.PTEF_WRITE | L.PTEF_SWP_EXCL);
  v.setPteFlags(m, va, flags);
  v.setPte(c.instr.child, va, kind, v.pfn(m, va), flags);
}

export function explainNonPresent(b: StateView, c: Ctx, va: number): string {
  const what = b.kind(c.mm, va) === L.PTE_SWAP ? 'swap entry: swap_duplicate' : 'migration entry: both readable';
  return `${c.cfg.vas[va]}: copy_nonpresent_pte, ${what} of page#${b.pfn(c.mm, va)}, no copy`;
}
