/**
 * anon-exclusive-sound (seed 003's definition of PageAnonExclusive, reference
 * §A.1): a PAE page is mapped by one process only and no other process
 * holds a reference to it. Meaningful from 5.19, when PAE exists.
 */
import * as L from '../model/layout.js';
import type { MmModel } from '../model/mmModel.js';
import type { StateView } from '../model/view.js';
import { mapper, mappingNames } from './mappings.js';
import type { Invariant } from './types.js';

function broken(m: MmModel, v: StateView): number {
  for (let p = 1; p < v.lay.nFrames; p++) {
    if (!v.hasFlag(p, L.PGF_ALLOC) || !v.pae(p)) continue;
    const who = mapper(v, p);
    if (who === -2) return p;
    for (let i = 0; i < m.cfg.pins.length; i++) {
      if (v.pinState(i) === L.PIN_HELD && v.pinPfn(i) === p && who >= 0 && m.cfg.pins[i]!.mm !== who) return p;
    }
  }
  return -1;
}

export const anonExclusiveSound: Invariant = {
  name: 'anon-exclusive-sound',
  title: 'PageAnonExclusive => mapped by one process, no references from others',
  meantFrom: '5.19 (6c287605fd56), when PageAnonExclusive exists',
  ref: 'reference §A.1; seed 003',
  make: (m) => (v) => broken(m, v) < 0,
  explain(m, v) {
    const p = broken(m, v);
    return `page#${p} is PageAnonExclusive but is mapped by ${mappingNames(v, p, m.cfg.processes, m.cfg.vas)} or referenced from another process.`;
  },
};
