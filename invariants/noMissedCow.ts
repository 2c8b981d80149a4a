/**
 * no-missed-cow (reference §E.2.3, CVE-2020-29374 family): no write by one
 * process is visible to another through a mapping or a GUP reference. The
 * writing step records a ghost (model/pages.ts noteWrite) when it writes a
 * page that another process maps or holds a reference to. Meant for small
 * anon pages from 5.8 (forced COW break) and 5.9 (refcount reuse). A
 * shared mapping's shmem page (model/shmem.ts) is not anon: a write through
 * MAP_SHARED is meant to be seen by every mapping and reference, so it is
 * never recorded.
 */
import * as L from '../model/layout.js';
import type { Invariant } from './types.js';
import { mappingNames } from './mappings.js';

export const noMissedCow: Invariant = {
  name: 'no-missed-cow',
  title: 'no write by one process is visible to another (mapping or GUP reference)',
  meantFrom: 'small anon pages: 5.8 (17839856fd58), 5.9 (09854ba94c6a); swap-in and THP 5.18',
  ref: 'reference §E.2.3, §C.2 row 2a',
  make: () => (v) => v.b[L.G_MISSED_COW] === 0,
  explain(m, v) {
    const writer = m.cfg.processes[v.b[L.G_MISSED_COW]! - 1];
    const p = v.b[L.G_MISSED_COW_PFN]!;
    const refs = m.cfg.pins
      .map((pin, i) => (pin.mm !== v.b[L.G_MISSED_COW]! - 1 && v.pinHolds(i) && v.pinPfn(i) === p ? `${m.cfg.processes[pin.mm]}'s ${pin.name}` : ''))
      .filter((s) => s !== '');
    const others = mappingNames(v, p, m.cfg.processes, m.cfg.vas).split(', ').filter((n) => n !== 'nobody' && !n.startsWith(`${writer}:`));
    const seen = [...others, ...refs].join(', ');
    return `${writer} wrote page#${p} in place, but ${seen || 'another process'} still sees that page: the write leaked (missed COW).`;
  },
};
