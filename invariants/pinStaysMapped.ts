/**
 * pin-stays-mapped (DESIGN.md §5; seed 002): while a FOLL_PIN on an anon
 * page is held and userspace has not itself unmapped, zapped, moved away
 * or exited its VA, the PTE at the VA stays *present* on the pinned page —
 * never transiently unmapped: not cleared under a PTL (PTE_CLEARED), not a
 * swap or migration entry, not PROT_NONE.
 *
 * This is what Peter Zijlstra's umcg_pin_and_load relies on after
 * pin_user_pages_fast(): later direct user accesses with page faults
 * disabled (a cleared PTE there is -EFAULT, then SIGKILL). No merged kernel
 * promises it; the RFC "mm: Avoid unmapping pinned pages" (switch
 * avoid-unmap-pinned) tried to, for migration and NUMA balancing only.
 * mremap moves the pin's VA with its PTE (layout.ts PIN_VA), so a pin
 * stays mapped across a move; UFFDIO_MOVE and munmap exempt it.
 */
import * as L from '../model/layout.js';
import type { MmModel } from '../model/mmModel.js';
import type { StateView } from '../model/view.js';
import { promisedPin } from './mappings.js';
import type { Invariant } from './types.js';

const KIND_NAMES = ['no PTE', 'the page', 'a swap entry', 'a migration entry', 'a PROT_NONE PTE', 'a PTE cleared under the PTL'];

function broken(m: MmModel, v: StateView): number {
  const pins = m.cfg.pins;
  for (let i = 0; i < pins.length; i++) {
    const pin = pins[i]!;
    if (!promisedPin(v, pin, i)) continue;
    const p = v.pinPfn(i);
    // The guarantee is for anon pages (umcg_pin_and_load refuses others).
    if (p === L.ZERO_PFN || !v.isAnon(p)) continue;
    const va = v.pinVa(i, pin.va);
    if (v.lay.nThp > 0 && v.huge(pin.mm, va)) {
      if (v.mappedPfn(pin.mm, va) !== p) return i;
      continue;
    }
    // khugepaged's pmdp_collapse_flush cleared the PMD above the PTE (model/thp.ts PMD_DETACHED):
    // the PTE table is intact but the MMU cannot reach it, so an access faults.
    if (v.lay.nThp > 0 && v.region(va) >= 0 && v.pmdKind(pin.mm, v.region(va)) === L.PMD_DETACHED) return i;
    if (v.kind(pin.mm, va) !== L.PTE_PRESENT || v.pfn(pin.mm, va) !== p) return i;
  }
  return -1;
}

export const pinStaysMapped: Invariant = {
  name: 'pin-stays-mapped',
  title: 'a held pin\'s VA stays present on the pinned anon page, never transiently unmapped',
  meantFrom: 'no era: the guarantee of the seed 002 RFC (avoid-unmap-pinned, not merged), which keeps it only partly',
  ref: 'DESIGN.md §5; seed 002; reference §B.9-§B.11, §B.13, §B.15',
  make: (m) => (v) => broken(m, v) < 0,
  explain(m, v) {
    const i = broken(m, v);
    const pin = m.cfg.pins[i]!;
    const at = v.pinVa(i, pin.va);
    const who = m.cfg.processes[pin.mm];
    const k = v.kind(pin.mm, at);
    const detached = v.lay.nThp > 0 && v.region(at) >= 0 && v.pmdKind(pin.mm, v.region(at)) === L.PMD_DETACHED;
    const now = detached ? 'its PMD cleared by khugepaged' : k === L.PTE_PRESENT ? `page#${v.pfn(pin.mm, at)}` : KIND_NAMES[k] ?? `PTE kind ${k}`;
    return `${pin.name} holds page#${v.pinPfn(i)} but ${who}'s ${m.cfg.vas[at]} has ${now}: a direct access with page faults disabled would fail.`;
  },
};
