/**
 * Page-frame bookkeeping shared by the operations: allocation, references,
 * mapping and zapping, with the refcount rules of reference §A.1 (1 per
 * present PTE, +1 per FOLL_GET, +1024 per FOLL_PIN, +1 for the swapcache,
 * transient refs held by running code).
 */
import * as L from './layout.js';
import type { Ctx } from './step.js';
import type { StateView } from './view.js';
import { PincowError } from './errors.js';
import { freeSwapEntry } from './swap.js';

/** Allocate the lowest free frame as a new anon page with one reference (alloc_anon_folio). */
export function allocPage(v: StateView, content: number): number {
  // Small pages only: the frames from largeBase on are the large-folio area (layout.ts THP_NR),
  // those from shmemBase the page-cache frames of shared mappings (model/shmem.ts).
  for (let p = 1; p < v.lay.shmemBase; p++) {
    // A PGF_SWAPSLOT frame is reserved for its swap slot's content (model/swap.ts).
    if (!v.hasFlag(p, L.PGF_ALLOC) && !v.hasFlag(p, L.PGF_SWAPSLOT)) {
      v.setPage(p, L.PG_REFS, 1);
      v.setPage(p, L.PG_PINS, 0);
      v.setPage(p, L.PG_MAPCOUNT, 0);
      v.setPage(p, L.PG_FLAGS, L.PGF_ALLOC | L.PGF_ANON);
      v.setPage(p, L.PG_CONTENT, content);
      return p;
    }
  }
  throw new PincowError('invalid-scenario', `the scenario needs more than the ${v.lay.nFrames - 1} page frames pincow reserves for it; please report it with the scenario`);
}

/** Is pfn mapped by any PTE (present, protnone, swap or migration entry) or huge PMD? */
function stillReferenced(v: StateView, p: number): boolean {
  for (let m = 0; m < v.lay.nMm; m++) {
    for (let va = 0; va < v.lay.nVa; va++) {
      if (v.kind(m, va) !== L.PTE_NONE && v.pfn(m, va) === p) return true;
      if (v.lay.nThp > 0 && v.mappedPfn(m, va) === p) return true;
    }
  }
  return false;
}

/** A large folio whose last reference went: every subpage frame is freed (free_pages of the compound page). */
function freeFolio(v: StateView, h: number): void {
  for (let i = 0; i < L.THP_NR; i++) {
    if (stillReferenced(v, h + i) && v.b[L.G_BAD_FREE] === 0) v.b[L.G_BAD_FREE] = 1 + h + i;
  }
  for (let i = 0; i < L.THP_NR; i++) for (let f = 0; f < L.PG_SIZE; f++) v.setPage(h + i, f, 0);
}

function freeIfUnreferenced(v: StateView, p: number): void {
  if (p === L.ZERO_PFN || v.refcount(p) !== 0) return;
  if (v.isLarge(p)) return freeFolio(v, v.head(p));
  // Ghost check: a page may only be freed once nothing maps it (refcount-consistent).
  if (stillReferenced(v, p) && v.b[L.G_BAD_FREE] === 0) v.b[L.G_BAD_FREE] = 1 + p;
  v.setPage(p, L.PG_FLAGS, 0);
  v.setPage(p, L.PG_MAPCOUNT, 0);
  v.setPage(p, L.PG_CONTENT, 0);
}

/** put_page / folio_put: drop one plain reference of p's folio, free at zero. */
export function putPage(v: StateView, p: number): void {
  if (p === L.ZERO_PFN || p === L.NO_PFN) return;
  const h = v.head(p);
  v.setPage(h, L.PG_REFS, v.page(h, L.PG_REFS) - 1);
  freeIfUnreferenced(v, h);
}

/**
 * gup_put_folio(FOLL_PIN): refcount -= GUP_PIN_COUNTING_BIAS on a small
 * folio; _pincount -= 1 and refcount -= 1 on a large one (both are the
 * head's PG_PINS, layout.ts).
 */
export function unpinPage(v: StateView, p: number): void {
  const h = v.head(p);
  v.setPage(h, L.PG_PINS, v.page(h, L.PG_PINS) - 1);
  freeIfUnreferenced(v, h);
}

/**
 * try_grab_folio for the slot's kind: FOLL_PIN adds the bias, FOLL_GET one
 * reference.
 */
export function grab(v: StateView, c: Ctx, p: number): void {
  const pin = c.pin!;
  // The zeropage is never freed; its refcount (raised by pins until
  // c8070b787519) is not modelled: nothing in the model reads it.
  if (p === L.ZERO_PFN) return;
  // Large folio: +1 refcount and +1 _pincount, both the head's PG_PINS (layout.ts).
  const h = v.head(p);
  if (pin.foll_pin) v.setPage(h, L.PG_PINS, v.page(h, L.PG_PINS) + 1);
  else v.getRef(p);
}

/** Drop what grab() took (unpin_user_page / put_page). */
export function ungrab(v: StateView, c: Ctx, p: number): void {
  const pin = c.pin!;
  if (p === L.ZERO_PFN) return;
  if (pin.foll_pin) unpinPage(v, p);
  else putPage(v, p);
}

/** Map a freshly allocated exclusive anon page (folio_add_new_anon_rmap with RMAP_EXCLUSIVE). */
export function mapNewAnon(v: StateView, c: Ctx, m: number, va: number, p: number, ptef: number): void {
  v.addMap(p, 1);
  if (c.k.pae) v.setFlag(p, L.PGF_PAE, true);
  v.setPte(m, va, L.PTE_PRESENT, p, ptef);
  v.setVma(m, va, v.vma(m, va) | L.VMA_ANON_VMA);
}

/** PTE flags for a new writable anon mapping: writable+dirty if VM_WRITE (maybe_mkwrite). */
export function newPteFlags(v: StateView, m: number, va: number, write: boolean): number {
  return write && (v.vma(m, va) & L.VMA_WRITE) !== 0 ? L.PTEF_WRITE | L.PTEF_DIRTY : 0;
}

/**
 * zap_pte_range for one PTE: clear it, drop the rmap and the PTE's
 * reference (the kernel defers the put until after the TLB flush; nothing
 * in the model can observe the page between the two).
 */
export function zapPte(v: StateView, m: number, va: number): void {
  const kind = v.kind(m, va);
  const p = v.pfn(m, va);
  v.setPte(m, va, L.PTE_NONE, 0, 0);
  if (kind === L.PTE_SWAP) return freeSwapEntry(v, p); // free_swap_and_cache
  if (kind !== L.PTE_PRESENT && kind !== L.PTE_PROTNONE) return;
  if (p === L.ZERO_PFN) return; // special: no rmap, no refcount
  v.addMap(p, -1);
  putPage(v, p);
}

/**
 * Userspace itself unmapped (mm, va): the pins taken through it that are
 * live now are exempt from pin-coherent. A pin taken later is not (the
 * exemption is "since the pin", reference §E.2.1); a GUP-fast grab that is
 * dropped clears the bit with the slot (StateView.setPin).
 */
export function markUserUnmapped(v: StateView, c: Ctx, m: number, va: number | undefined): void {
  c.cfg.pins.forEach((pin, i) => {
    // The pin's VA as it is now: mremap may have moved it (layout.ts PIN_VA).
    if (pin.mm === m && (va === undefined || v.pinVa(i, pin.va) === va) && v.pinHolds(i)) v.setPinGhost(i, v.pinGhost(i) | L.PING_USER_UNMAPPED);
  });
}

/**
 * Ghost check for no-missed-cow: mm `m` writes page p; the write is a
 * missed COW if another process maps p or holds a GUP reference on it.
 */
export function noteWrite(v: StateView, c: Ctx, m: number, p: number): void {
  if (p === L.ZERO_PFN || v.b[L.G_MISSED_COW] !== 0) return;
  // A shmem page (MAP_SHARED, model/shmem.ts) is meant to be seen by every mapping and reference: no COW to miss.
  if (!v.isAnon(p)) return;
  let leak = false;
  for (let o = 0; o < v.lay.nMm && !leak; o++) {
    if (o === m) continue;
    for (let va = 0; va < v.lay.nVa; va++) {
      if (v.mappedPfn(o, va) === p) leak = true; // a PTE or a huge PMD of another process
    }
  }
  c.cfg.pins.forEach((pin, i) => {
    // Only references GUP has returned can see the write; an in-flight
    // GUP-fast grab is rechecked (and dropped) before anyone reads through it.
    if (pin.mm !== m && v.pinState(i) === L.PIN_HELD && v.pinPfn(i) === p) leak = true;
  });
  if (leak) {
    v.b[L.G_MISSED_COW] = 1 + m;
    v.b[L.G_MISSED_COW_PFN] = p;
  }
}
