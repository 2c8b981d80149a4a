/**
 * pin-coherent (reference §E.2.1, DESIGN.md §5): while a FOLL_PIN is held
 * and userspace has not itself unmapped, zapped or exited the VA, the VA
 * resolves to the pinned page — so what the device writes, the process
 * reads. Meant for R/W pins from 5.9 (fork copies pinned pages), for
 * every anon FOLL_PIN from 5.19 (PageAnonExclusive + unshare), and for
 * long-term R/O pins of the zeropage from 6.2; short-term pins of the
 * zeropage are exempt (no kernel promises them anything). A pin of a
 * shared mapping's page-cache page (model/shmem.ts) is held to it too: no
 * COW ever moves that VA off the page, in any era.
 */
import * as L from '../model/layout.js';
import type { MmModel } from '../model/mmModel.js';
import type { StateView } from '../model/view.js';
import { promisedPin } from './mappings.js';
import type { Invariant } from './types.js';

function broken(m: MmModel, v: StateView): number {
  const pins = m.cfg.pins;
  for (let i = 0; i < pins.length; i++) {
    const pin = pins[i]!;
    if (!promisedPin(v, pin, i)) continue;
    // A pin of the shared zeropage promises nothing unless long-term (6.2+
    // unshares those, 84209e87c696): a later write fault replaces it by design.
    if (v.pinPfn(i) === L.ZERO_PFN && !pin.longterm) continue;
    // The pin's VA now (mremap moves it with its PTE, layout.ts PIN_VA).
    const va = v.pinVa(i, pin.va);
    // mappedPfn: the PTE, or the subpage a huge PMD maps (model/thp.ts); -1 for none.
    if (v.mappedPfn(pin.mm, va) !== v.pinPfn(i)) return i;
  }
  return -1;
}

export const pinCoherent: Invariant = {
  name: 'pin-coherent',
  title: 'a held pin stays on the page its VA maps, unless userspace unmapped it',
  meantFrom: 'R/W pins: 5.9 (70e806e4e645) except the GUP-fast/fork race until 5.11; all anon pins: 5.19',
  ref: 'reference §E.2.1, §C.2 rows 3, 5, 6',
  make: (m) => (v) => broken(m, v) < 0,
  explain(m, v) {
    const i = broken(m, v);
    const pin = m.cfg.pins[i]!;
    const who = m.cfg.processes[pin.mm];
    const at = v.pinVa(i, pin.va);
    const va = m.cfg.vas[at];
    const now = v.mappedPfn(pin.mm, at) < 0 ? 'nothing' : `page#${v.mappedPfn(pin.mm, at)}`;
    return `${pin.name} holds page#${v.pinPfn(i)} but ${who}'s ${va} maps ${now}: what the device writes, ${who} never reads.`;
  },
};
