/**
 * writable-implies-exclusive (reference §E.2.4): a writable PTE maps an
 * exclusive anon page — PageAnonExclusive from 5.19, mapcount == 1 before.
 * Meant in every era (it is what COW is for). A shared mapping's shmem
 * page (model/shmem.ts) is not anon: writable in every mm that maps it.
 */
import * as L from '../model/layout.js';
import type { MmModel } from '../model/mmModel.js';
import type { StateView } from '../model/view.js';
import type { Invariant } from './types.js';
import { mmuPfn, mmuWritable } from '../model/thp.js';

function broken(m: MmModel, v: StateView): [number, number] | undefined {
  for (let mm = 0; mm < v.lay.nMm; mm++) {
    for (let va = 0; va < v.lay.nVa; va++) {
      if (!mmuWritable(v, mm, va)) continue; // a writable PTE or huge PMD (model/thp.ts)
      const p = mmuPfn(v, mm, va);
      if (p === L.ZERO_PFN || !v.isAnon(p)) continue;
      if (m.k.pae ? !v.pae(p) : v.mapcount(p) !== 1) return [mm, va];
    }
  }
  return undefined;
}

export const writableImpliesExclusive: Invariant = {
  name: 'writable-implies-exclusive',
  title: 'a writable anon PTE maps an exclusive page (PAE from 5.19, mapcount 1 before)',
  meantFrom: 'all eras',
  ref: 'reference §E.2.4, §E.3 wp_page_reuse',
  make: (m) => (v) => broken(m, v) === undefined,
  explain(m, v) {
    const [mm, va] = broken(m, v)!;
    const p = mmuPfn(v, mm, va);
    const why = m.k.pae ? 'is not PageAnonExclusive' : `has mapcount ${v.mapcount(p)}`;
    return `${m.cfg.processes[mm]}'s ${m.cfg.vas[va]} maps page#${p} writable, but the page ${why}.`;
  },
};
