/**
 * What reclaim (try_to_unmap) and migration (try_to_migrate) share: the
 * daemon's target, the rmap walk over every PTE that maps a folio, and the
 * split PTL section of try_to_unmap_one / try_to_migrate_one that reference
 * §E.1 asks for: `clear` (ptep_clear_flush, the PTL kept: layout.ts
 * PTE_CLEARED, MM_PTL) | `set` (5.19+ page_try_share_anon_rmap, then restore
 * the PTE or install the swap / migration entry, PTL dropped).
 *
 * Why two steps and not three (§E.1 lists clear | try_share | set entry):
 * between try_share and set_pte_at only lockless walkers can look, and to
 * them the cleared PTE and the swap or migration entry are the same thing,
 * not present (GUP-fast refuses both; its recheck fails on both), so
 * splitting them would add states without adding behaviour.
 *
 * The walk needs no cursor: a converted PTE is no longer a mapping of the
 * folio, a restored one ends the walk, and under the folio lock (held by
 * the daemon) no other clear-then-check section can be on the same folio,
 * so "the first PTE mapping the folio" is always the next one and "the
 * PTE_CLEARED naming the folio" is always the daemon's own.
 */
import * as L from '../layout.js';
import { putPage } from '../pages.js';
import { step } from '../step.js';
import type { Ctx, StepDef } from '../step.js';
import type { StateView } from '../view.js';
import { fp, fpBase, goto } from './common.js';

/** The process and VA a daemon instruction names (`pageout P0 A`, `migrate P0 A`, `scan P0 A`). */
export function targetOf(c: Ctx): [number, number] {
  return [c.instr.target ?? 0, c.instr.va];
}

/** Does the PTE map its page (present or NUMA-protnone: rmap, mapcount and a reference)? */
export function mapsPage(v: StateView, m: number, va: number): boolean {
  const k = v.kind(m, va);
  return k === L.PTE_PRESENT || k === L.PTE_PROTNONE;
}

/** The small, normal, non-KSM anon page mapped at (m, va), or -1 (zeropage, THP, KSM: not modelled here). */
export function anonPageAt(v: StateView, m: number, va: number): number {
  if (m >= v.lay.nMm || !mapsPage(v, m, va) || v.huge(m, va)) return -1;
  const p = v.pfn(m, va);
  if (p === L.ZERO_PFN || !v.isAnon(p) || v.isLarge(p) || v.hasFlag(p, L.PGF_KSM)) return -1;
  return p;
}

/** The first PTE (as m * nVa + va) that maps p, or -1 when the walk is over. */
export function nextMapping(v: StateView, p: number): number {
  for (let m = 0; m < v.lay.nMm; m++) {
    for (let va = 0; va < v.lay.nVa; va++) if (mapsPage(v, m, va) && v.pfn(m, va) === p) return m * v.lay.nVa + va;
  }
  return -1;
}

/** The PTE this daemon cleared (PTE_CLEARED naming p), as m * nVa + va, or -1. */
export function clearedMapping(v: StateView, p: number): number {
  for (let m = 0; m < v.lay.nMm; m++) {
    for (let va = 0; va < v.lay.nVa; va++) if (v.kind(m, va) === L.PTE_CLEARED && v.pfn(m, va) === p) return m * v.lay.nVa + va;
  }
  return -1;
}

export const slotMm = (v: StateView, s: number): number => Math.floor(s / v.lay.nVa);
export const slotVa = (v: StateView, s: number): number => s % v.lay.nVa;

/**
 * anon_exclusive = PageAnonExclusive (5.19+) read before the clear, then
 * ptep_clear_flush under the PTL, which stays held; the old kind is kept in
 * A_ORIG_PTE for a restore, anon_exclusive in A_ANON_EXCL for the set step.
 */
export function clearPte(v: StateView, c: Ctx, s: number): void {
  const m = slotMm(v, s);
  const va = slotVa(v, s);
  v.setAct(c.actor, L.A_ANON_EXCL, c.k.pae && v.pae(v.pfn(m, va)) ? 1 : 0);
  v.setAct(c.actor, L.A_ORIG_PTE, v.kind(m, va));
  v.setPte(m, va, L.PTE_CLEARED, v.pfn(m, va), v.pteFlags(m, va));
  v.setPtl(m, true);
}

/** set_pte_at(pteval): put the cleared PTE back as it was; the PTL goes. */
export function restorePte(v: StateView, c: Ctx, s: number): void {
  const m = slotMm(v, s);
  const va = slotVa(v, s);
  v.setPte(m, va, v.act(c.actor, L.A_ORIG_PTE), v.pfn(m, va), v.pteFlags(m, va));
  v.setAct(c.actor, L.A_ORIG_PTE, 0);
  v.setAct(c.actor, L.A_ANON_EXCL, 0);
  v.setPtl(m, false);
}

/**
 * Replace the cleared PTE by a swap or migration entry and drop its rmap
 * and reference (folio_remove_rmap_pte, folio_put); the PTL goes. The folio
 * survives: the daemon's isolation reference (and the swap cache's) hold it.
 */
export function installEntry(v: StateView, c: Ctx, s: number, kind: number, flags: number): void {
  const m = slotMm(v, s);
  const va = slotVa(v, s);
  const p = v.pfn(m, va);
  v.setPte(m, va, kind, p, flags);
  v.addMap(p, -1);
  putPage(v, p);
  v.setAct(c.actor, L.A_ORIG_PTE, 0);
  v.setAct(c.actor, L.A_ANON_EXCL, 0);
  v.setPtl(m, false);
}

/**
 * anon_exclusive as clearPte read it before the clear (5.19+). PAE cannot
 * change in between: it changes only under the folio lock (held) or by
 * fork and wp-reuse of this very PTE (excluded by the PTL held across the
 * two steps); __folio_try_share_anon_rmap's VM_WARN_ON_FOLIO checks that.
 */
export function anonExclusive(v: StateView, c: Ctx): boolean {
  return v.act(c.actor, L.A_ANON_EXCL) !== 0;
}

/** __folio_try_share_anon_rmap: VM_WARN_ON_FOLIO(!PageAnonExclusive(page)) (reference §E.3, 5.19+) */
export const ASSERT_TRY_SHARE_NOT_PAE = 55;

/**
 * page_try_share_anon_rmap / folio_try_share_anon_rmap_pte (5.19+,
 * 6c287605fd56), called only when anon_exclusive (`excl`, read before the
 * clear): warn if the page lost PageAnonExclusive meanwhile; fail (-EBUSY)
 * if it may be pinned, else clear PageAnonExclusive. The smp_mb pairs with
 * GUP-fast's grab → recheck: sequential consistency over the two steps is
 * that. Shared with ops/ksm.ts write_protect_page.
 */
export function tryShareExclusive(v: StateView, p: number, excl: boolean): boolean {
  if (!excl) return true;
  if (!v.pae(p)) v.fireAssert(ASSERT_TRY_SHARE_NOT_PAE);
  if (v.maybePinned(p)) return false;
  v.setFlag(p, L.PGF_PAE, false);
  return true;
}

/** tryShareExclusive for try_to_unmap_one / try_to_migrate_one (switch unmap-try-share). */
export function tryShare(v: StateView, c: Ctx, p: number): boolean {
  if (!c.k.unmapTryShare) return true;
  return tryShareExclusive(v, p, anonExclusive(v, c));
}

/** Footprint of a daemon step: its target PTE, the folio it holds and the PTE the walk is at. */
export function fpDaemon(v: StateView, c: Ctx, out: number[], p: number, s: number): void {
  fpBase(c, out);
  const [m, va] = targetOf(c);
  if (m < v.lay.nMm) {
    out.push(fp.mm(m), fp.pte(v, m, va));
    if (v.kind(m, va) !== L.PTE_NONE) out.push(fp.page(v.pfn(m, va)));
  }
  if (p >= 0 && p !== L.NO_PFN) out.push(fp.page(p));
  if (s >= 0) out.push(fp.mm(slotMm(v, s)), fp.pte(v, slotMm(v, s), slotVa(v, s)));
}

/** `P0:A` for traces. */
export function where(c: Ctx, m: number, va: number): string {
  return `${c.cfg.processes[m] ?? '?'}:${c.cfg.vas[va] ?? '?'}`;
}

/**
 * The first half of try_to_unmap_one / try_to_migrate_one (reference §E.1:
 * the clear-then-check protocol): ptep_clear_flush of the next PTE mapping
 * the held page, under that mm's PTL, which stays held until `then` (the
 * check-and-install half) drops it. If a zap took the last mapping
 * meanwhile, go on with `whenNone`. Reclaim and migration differ only in
 * their names and where they go next.
 */
export function unmapClearStep(o: { name: string; fn: string; cite: string; then: () => StepDef; whenNone: () => StepDef }): StepDef {
  const held = (v: StateView, c: Ctx): number => v.act(c.actor, L.A_HOLD);
  return step({
    name: o.name,
    fn: o.fn,
    cite: o.cite,
    guard(v, c) {
      const s = nextMapping(v, held(v, c));
      return s < 0 || !v.ptlHeld(slotMm(v, s));
    },
    effect(v, c) {
      const s = nextMapping(v, held(v, c));
      if (s < 0) return goto(v, c, o.whenNone());
      clearPte(v, c, s);
      goto(v, c, o.then());
    },
    footprint: (v, c, out) => fpDaemon(v, c, out, held(v, c), nextMapping(v, held(v, c))),
    explain(b, _a, c) {
      const s = nextMapping(b, held(b, c));
      return s < 0 ? 'no mapping left' : `${where(c, slotMm(b, s), slotVa(b, s))}: ptep_clear_flush page#${held(b, c)}`;
    },
  });
}
