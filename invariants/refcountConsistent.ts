/**
 * refcount-consistent (reference §A.1, §E.2.6): every allocated page's
 * refcount is exactly its mappings + swapcache or page cache (a shared
 * mapping's shmem page, model/shmem.ts) + FOLL_GET references +
 * transient references held by running code + 1024 per FOLL_PIN, its
 * mapcount is its present PTEs, nothing is freed while mapped or pinned,
 * and nothing allocated is left without a holder (a leak). All eras.
 */
import * as L from '../model/layout.js';
import type { MmModel } from '../model/mmModel.js';
import type { StateView } from '../model/view.js';
import type { Invariant } from './types.js';
import { largeFolioProblem } from './folioCounts.js';
import { swapProblem } from './swapSlots.js';

interface Counts { maps: number; gets: number; pins: number; transient: number }

function expected(m: MmModel, v: StateView, p: number): Counts {
  const c: Counts = { maps: 0, gets: 0, pins: 0, transient: 0 };
  for (let mm = 0; mm < v.lay.nMm; mm++) {
    for (let va = 0; va < v.lay.nVa; va++) {
      const k = v.kind(mm, va);
      // PTE_CLEARED: cleared under a held PTL, its rmap and reference not yet dropped.
      if ((k === L.PTE_PRESENT || k === L.PTE_PROTNONE || k === L.PTE_CLEARED) && v.pfn(mm, va) === p) c.maps++;
    }
  }
  m.cfg.pins.forEach((pin, i) => {
    if (v.pinHolds(i) && v.pinPfn(i) === p) {
      if (pin.foll_pin) c.pins++;
      else c.gets++;
    }
  });
  for (let a = 0; a < v.lay.nActors; a++) {
    if (v.act(a, L.A_HOLD) === p) c.transient++;
    if (v.act(a, L.A_NEW) === p) c.transient++;
  }
  return c;
}

/** A description of the first inconsistency, or '' if none. */
export function problem(m: MmModel, v: StateView): string {
  if (v.b[L.G_BAD_FREE] !== 0) return `page#${v.b[L.G_BAD_FREE]! - 1} was freed while still mapped.`;
  const swap = swapProblem(v); // swap entries and slots (invariants/swapSlots.ts)
  if (swap !== '') return swap;
  for (let p = 1; p < v.lay.nFrames; p++) {
    if (v.isLarge(p)) {
      // A THP: the folio's counts live on its head (invariants/folioCounts.ts).
      const e = p === v.head(p) ? largeFolioProblem(m, v, p) : '';
      if (e !== '') return e;
      continue;
    }
    const c = expected(m, v, p);
    if (!v.hasFlag(p, L.PGF_ALLOC)) {
      if (c.maps + c.gets + c.pins + c.transient > 0) return `page#${p} is free but still mapped or referenced.`;
      continue;
    }
    // The swap cache, or a shared mapping's page cache (model/shmem.ts), holds one reference.
    const swap = (v.hasFlag(p, L.PGF_SWAPCACHE) ? 1 : 0) + (v.hasFlag(p, L.PGF_SHMEM) ? 1 : 0);
    const refs = c.maps + swap + c.gets + c.transient;
    if (v.page(p, L.PG_REFS) !== refs || v.page(p, L.PG_PINS) !== c.pins) {
      return `page#${p} refcount ${v.refcount(p)}, but its holders account for ${refs + L.GUP_PIN_COUNTING_BIAS * c.pins}.`;
    }
    if (v.mapcount(p) !== c.maps) return `page#${p} mapcount ${v.mapcount(p)}, but ${c.maps} PTEs map it.`;
    if (v.refcount(p) === 0) return `page#${p} has no holder left but was never freed (leak).`;
  }
  return '';
}

/**
 * The same verdict as `problem(m, v) === ''`, in one pass: holders are
 * counted per frame into reused arrays (O(PTEs + pins + actors + frames))
 * instead of a scan of every PTE, pin and actor per frame. This invariant
 * is checked on every new state and was 30% of an open-mode run's
 * profile (node --cpu-prof); `problem` stays the readable definition and
 * writes the explanation, and a test holds the two equal on every
 * reachable state of the catalogue.
 */
export function fastCheck(m: MmModel): (v: StateView) => boolean {
  const n = m.lay.nFrames;
  const maps = new Int32Array(n);
  const gets = new Int32Array(n);
  const pins = new Int32Array(n);
  const transient = new Int32Array(n);
  const cfgPins = m.cfg.pins;
  return (v) => {
    if (v.b[L.G_BAD_FREE] !== 0 || swapProblem(v) !== '') return false;
    maps.fill(0);
    gets.fill(0);
    pins.fill(0);
    transient.fill(0);
    for (let mm = 0; mm < v.lay.nMm; mm++) {
      for (let va = 0; va < v.lay.nVa; va++) {
        const k = v.kind(mm, va);
        if (k === L.PTE_PRESENT || k === L.PTE_PROTNONE || k === L.PTE_CLEARED) {
          const p = v.pfn(mm, va);
          if (p < n) maps[p]!++;
        }
      }
    }
    for (let i = 0; i < cfgPins.length; i++) {
      if (!v.pinHolds(i)) continue;
      const p = v.pinPfn(i);
      if (p < n) (cfgPins[i]!.foll_pin ? pins : gets)[p]!++;
    }
    for (let a = 0; a < v.lay.nActors; a++) {
      const h = v.act(a, L.A_HOLD);
      if (h < n) transient[h]!++;
      const w = v.act(a, L.A_NEW);
      if (w < n) transient[w]!++;
    }
    for (let p = 1; p < n; p++) {
      if (v.isLarge(p)) {
        if (p === v.head(p) && largeFolioProblem(m, v, p) !== '') return false;
        continue;
      }
      if (!v.hasFlag(p, L.PGF_ALLOC)) {
        if (maps[p]! + gets[p]! + pins[p]! + transient[p]! > 0) return false;
        continue;
      }
      const cache = (v.hasFlag(p, L.PGF_SWAPCACHE) ? 1 : 0) + (v.hasFlag(p, L.PGF_SHMEM) ? 1 : 0);
      if (v.page(p, L.PG_REFS) !== maps[p]! + cache + gets[p]! + transient[p]! || v.page(p, L.PG_PINS) !== pins[p]!) return false;
      if (v.mapcount(p) !== maps[p]! || v.refcount(p) === 0) return false;
    }
    return true;
  };
}

export const refcountConsistent: Invariant = {
  name: 'refcount-consistent',
  title: 'refcount and mapcount account exactly for their holders; no use-after-free, no leak',
  meantFrom: 'all eras',
  ref: 'reference §A.1, §E.2.6',
  make: fastCheck,
  explain: (m, v) => problem(m, v),
};
