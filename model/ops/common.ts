/**
 * Control flow shared by every operation: moving an actor to its next step,
 * finishing an instruction, and calling into / returning from the fault
 * handler (which slow GUP and user accesses share).
 */
import * as L from '../layout.js';
import type { Ctx, StepDef } from '../step.js';
import { LOC_MM, LOC_PHASE, LOC_PTE, LOC_PAGE, LOC_PIN } from '../step.js';
import type { StateView } from '../view.js';

export function goto(v: StateView, c: Ctx, s: StepDef): void {
  v.setAct(c.actor, L.A_STEP, s.id);
}

/** The instruction is done: next pc, a clean frame (so equal states hash equal). */
export function finish(v: StateView, c: Ctx): void {
  const a = c.actor;
  v.setAct(a, L.A_PC, v.act(a, L.A_PC) + 1);
  v.setAct(a, L.A_STEP, 0);
  v.setAct(a, L.A_RET, 0);
  v.setAct(a, L.A_FLAGS, 0);
  v.setAct(a, L.A_ORIG_PFN, 0);
  v.setAct(a, L.A_ORIG_PTE, 0);
  v.setAct(a, L.A_NEW, L.NO_PFN);
  v.setAct(a, L.A_HOLD, L.NO_PFN);
  v.setAct(a, L.A_SEQ, 0);
  v.setAct(a, L.A_CUR, 0);
  v.setAct(a, L.A_CHOICE, 0);
  if (c.instr.setupSeq >= 0) v.phase = v.phase + 1;
}

/** Enter handle_mm_fault; it returns to `ret` with the fault flags cleared. */
export function callFault(v: StateView, c: Ctx, entry: StepDef, ret: StepDef, write: boolean, unshare: boolean, fromGup: boolean): void {
  const a = c.actor;
  let f = v.act(a, L.A_FLAGS) & ~(L.AF_WRITE | L.AF_UNSHARE | L.AF_FROM_GUP);
  if (write) f |= L.AF_WRITE;
  if (unshare) f |= L.AF_UNSHARE;
  if (fromGup) f |= L.AF_FROM_GUP;
  v.setAct(a, L.A_FLAGS, f);
  v.setAct(a, L.A_RET, ret.id);
  goto(v, c, entry);
}

/** Footprint helpers: LOC_* codes for the common locations. */
export const fp = {
  mm: (m: number): number => LOC_MM + m,
  pte: (v: StateView, m: number, va: number): number => LOC_PTE + m * v.lay.nVa + va,
  page: (p: number): number => LOC_PAGE + p,
  pin: (i: number): number => LOC_PIN + i,
  phase: LOC_PHASE,
};

/** Every step of an instruction may complete a setup instruction: it then touches the phase. */
export function fpBase(c: Ctx, out: number[]): void {
  if (c.instr.setupSeq >= 0) out.push(fp.phase);
}

/** Return from handle_mm_fault to the caller's step (drops mmap_lock if the fault took it). */
export function faultReturn(v: StateView, c: Ctx): void {
  const a = c.actor;
  const f = v.act(a, L.A_FLAGS);
  if ((f & L.AF_FROM_GUP) === 0) v.unlockRead(c.mm);
  v.setAct(a, L.A_FLAGS, f & ~(L.AF_WRITE | L.AF_UNSHARE | L.AF_FROM_GUP));
  v.setAct(a, L.A_STEP, v.act(a, L.A_RET));
  v.setAct(a, L.A_RET, 0);
  v.setAct(a, L.A_ORIG_PFN, 0);
  v.setAct(a, L.A_ORIG_PTE, 0);
}

/** Footprint of a step on the actor's own VA: its PTE, the page it maps, its mm. */
export function fpVa(v: StateView, c: Ctx, out: number[]): void {
  fpBase(c, out);
  const va = c.instr.va;
  out.push(fp.mm(c.mm), fp.pte(v, c.mm, va));
  if (v.kind(c.mm, va) !== L.PTE_NONE) out.push(fp.page(v.pfn(c.mm, va)));
  const hold = v.act(c.actor, L.A_HOLD);
  if (hold !== L.NO_PFN) out.push(fp.page(hold));
  if (v.region(va) >= 0) fpRegion(v, c.mm, va, out);
  // A shared mapping's page-cache page (model/shmem.ts), which a fault on a none PTE maps (layout.ts vaShmem).
  const cached = v.lay.vaShmem[va]!;
  if (cached >= 0) out.push(fp.page(cached));
}

/**
 * A VA in a THP region (model/thp.ts) shares its PMD with the region's
 * other VAs, and a THP subpage's counts live on its folio's head: the
 * footprint names every VA of the region (the PMD is part of each VA's
 * location) and every page those map, with their heads.
 */
export function fpRegion(v: StateView, m: number, va: number, out: number[]): void {
  const r = v.region(va);
  const va0 = v.lay.thpVa[r]!;
  for (let i = 0; i < L.THP_NR; i++) {
    out.push(fp.pte(v, m, va0 + i));
    const p = v.mappedPfn(m, va0 + i);
    if (p >= 0) out.push(fp.page(p), fp.page(v.head(p)));
  }
}

export { LOC_PAGE, LOC_PIN };

/** Snapshot the PTE of the actor's VA (what a fault or GUP-fast saw), for a later pte_same(). */
export function rememberPte(v: StateView, c: Ctx): void {
  v.setAct(c.actor, L.A_ORIG_PFN, v.pfn(c.mm, c.instr.va));
  v.setAct(c.actor, L.A_ORIG_PTE, v.pteWord(c.mm, c.instr.va));
}

/** pte_same(): is the PTE still the one rememberPte() saw? */
export function pteSame(v: StateView, c: Ctx): boolean {
  const m = c.mm;
  const va = c.instr.va;
  return v.pfn(m, va) === v.act(c.actor, L.A_ORIG_PFN) && v.pteWord(m, va) === v.act(c.actor, L.A_ORIG_PTE);
}
