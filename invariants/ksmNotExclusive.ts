/**
 * ksm-not-exclusive (reference §E.2.5, §A.1): a KSM page is never
 * PageAnonExclusive, and a KSM merge never replaces a page that a FOLL_PIN
 * holds (the pin would be left on a page no process maps: §C.2 row 9).
 * The second half is a ghost (PING_KSM_REPLACED, set by replace_page on
 * the pins holding the replaced page). Meant from 5.19: write_protect_page
 * clears PAE with page_try_share_anon_rmap, which fails on maybe-pinned
 * pages, and R/O pins of non-exclusive pages unshare (6c287605fd56,
 * a7f226604170). FOLL_GET references may still race (accepted).
 */
import * as L from '../model/layout.js';
import type { MmModel } from '../model/mmModel.js';
import type { StateView } from '../model/view.js';
import type { Invariant } from './types.js';

/** A KSM page that is PAE (its pfn), or -1. */
function exclusiveKsm(v: StateView): number {
  for (let p = 1; p < v.lay.nFrames; p++) {
    if (v.hasFlag(p, L.PGF_ALLOC) && v.hasFlag(p, L.PGF_KSM) && v.pae(p)) return p;
  }
  return -1;
}

/** A held pin whose page KSM replaced, or -1. */
function replacedPin(m: MmModel, v: StateView): number {
  for (let i = 0; i < m.cfg.pins.length; i++) {
    if (v.pinState(i) === L.PIN_HELD && (v.pinGhost(i) & L.PING_KSM_REPLACED) !== 0) return i;
  }
  return -1;
}

export const ksmNotExclusive: Invariant = {
  name: 'ksm-not-exclusive',
  title: 'KSM pages are never PageAnonExclusive; a merge never replaces a pinned page',
  meantFrom: '5.19 (6c287605fd56: write_protect_page uses page_try_share_anon_rmap)',
  ref: 'reference §E.2.5, §B.13, §C.2 row 9',
  make: (m) => (v) => exclusiveKsm(v) < 0 && replacedPin(m, v) < 0,
  explain(m, v) {
    const p = exclusiveKsm(v);
    if (p >= 0) return `page#${p} is a KSM page but PageAnonExclusive: a write would reuse a page other mappings share.`;
    const i = replacedPin(m, v);
    const pin = m.cfg.pins[i]!;
    return `ksmd replaced page#${v.pinPfn(i)} while ${pin.name} held it: the pin is left on a page ${m.cfg.processes[pin.mm]} no longer maps.`;
  },
};
