/**
 * Shared queries the invariants ask of a state: which processes map a page,
 * which GUP slots hold it. Read-only; allocation-free on the hot path.
 */
import * as L from '../model/layout.js';
import type { PinConfig } from '../model/config.js';
import type { StateView } from '../model/view.js';

/** Does the PTE (mm, va) resolve to a page frame (present, protnone, swap or migration entry)? */
export function resolves(v: StateView, m: number, va: number): boolean {
  return v.kind(m, va) !== L.PTE_NONE;
}

// The queries below ask v.mappedPfn (model/view.ts): a PTE that resolves, or the subpage a huge PMD maps.

/** Number of distinct processes whose page tables map page p. */
export function mappingMms(v: StateView, p: number): number {
  let n = 0;
  for (let m = 0; m < v.lay.nMm; m++) {
    for (let va = 0; va < v.lay.nVa; va++) {
      if (v.mappedPfn(m, va) === p) {
        n++;
        break;
      }
    }
  }
  return n;
}

/** The one process mapping p, or -1 (none) / -2 (several). */
export function mapper(v: StateView, p: number): number {
  let who = -1;
  for (let m = 0; m < v.lay.nMm; m++) {
    for (let va = 0; va < v.lay.nVa; va++) {
      if (v.mappedPfn(m, va) === p) {
        if (who >= 0 && who !== m) return -2;
        who = m;
      }
    }
  }
  return who;
}

/** Names of the processes and VAs mapping p, e.g. `P0:A, P1:A`. */
export function mappingNames(v: StateView, p: number, processes: readonly string[], vas: readonly string[]): string {
  const out: string[] = [];
  for (let m = 0; m < v.lay.nMm; m++) {
    for (let va = 0; va < v.lay.nVa; va++) {
      if (v.mappedPfn(m, va) === p) out.push(`${processes[m]}:${vas[va]}`);
    }
  }
  return out.length ? out.join(', ') : 'nobody';
}

/**
 * Is pin slot i a held FOLL_PIN whose VA userspace has not itself unmapped,
 * zapped, moved away or exited? Those are the pins pin-coherent and
 * pin-stays-mapped make promises about (reference §E.2.1; DESIGN.md §5).
 */
export function promisedPin(v: StateView, pin: PinConfig, i: number): boolean {
  return pin.foll_pin && v.pinState(i) === L.PIN_HELD && (v.pinGhost(i) & L.PING_USER_UNMAPPED) === 0 && v.alive(pin.mm);
}
