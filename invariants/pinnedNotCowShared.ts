/**
 * pinned-not-cow-shared (reference §E.2.2, the invariant 70e806e4e645
 * established): a pinned anon page is never COW-shared between processes;
 * with PageAnonExclusive (5.19+) a pinned anon page is exclusive. Meant
 * from 5.9 for pins taken before fork except the GUP-fast race (5.11), for
 * every pin from 5.19. A shared mapping's shmem page (model/shmem.ts) is
 * not anon: mapped by several processes by design, never COWed.
 */
import * as L from '../model/layout.js';
import type { MmModel } from '../model/mmModel.js';
import type { StateView } from '../model/view.js';
import { mappingMms, mappingNames } from './mappings.js';
import type { Invariant } from './types.js';

function broken(m: MmModel, v: StateView): number {
  const pins = m.cfg.pins;
  for (let i = 0; i < pins.length; i++) {
    if (!pins[i]!.foll_pin || v.pinState(i) !== L.PIN_HELD) continue;
    const p = v.pinPfn(i);
    if (p === L.ZERO_PFN || !v.isAnon(p)) continue;
    if (mappingMms(v, p) > 1) return i;
    if (m.k.pae && !v.pae(p)) return i;
  }
  return -1;
}

export const pinnedNotCowShared: Invariant = {
  name: 'pinned-not-cow-shared',
  title: 'a pinned anon page is never COW-shared (with PAE: pinned anon => exclusive)',
  meantFrom: '5.9 for pins before fork (70e806e4e645), except GUP-fast vs fork until 5.11 (57efa1fe5957); all pins 5.19',
  ref: 'reference §E.2.2, §C.2 rows 3, 4',
  make: (m) => (v) => broken(m, v) < 0,
  explain(m, v) {
    const i = broken(m, v);
    const p = v.pinPfn(i);
    const name = m.cfg.pins[i]!.name;
    if (mappingMms(v, p) > 1) {
      return `${name} holds page#${p}, which is COW-shared by ${mappingNames(v, p, m.cfg.processes, m.cfg.vas)}: the next write COWs one side away from the pin.`;
    }
    return `${name} holds page#${p}, which is not PageAnonExclusive: the pin is not known exclusive, so a later write may COW away from it.`;
  },
};
