/**
 * UFFDIO_MOVE (reference §B.17, seed 003): `uffd-move A B [to P]` moves the
 * page at the caller's A to B (of process P with the cross-mm proposal):
 * move_pages → move_pages_pte → move_present_pte.
 *
 * Steps, split where GUP-fast can slip in (§E.1):
 *  - `uffd.move_lock`: uffd_move_lock (mmap_lock(R) of both mms),
 *    validate_move_areas, the PTE checks (dst none, src present, the
 *    zeropage moved at once), PageAnonExclusive required (-EBUSY), the
 *    folio lock and reference, double_pt_lock, and move_present_pte's
 *    first folio_maybe_dma_pinned() check (-EBUSY);
 *  - `uffd.move_clear`: ptep_clear_flush of the source PTE (PTE_CLEARED,
 *    both PTLs held: MM_PTL);
 *  - `uffd.move_pte`: the recheck — "Folio got pinned from under us. Put it
 *    back and fail the move." — then folio_move_anon_rmap and the
 *    destination PTE (dirty, writable if VM_WRITE: maybe_mkwrite in
 *    adef440691ba; the later "preserve the source write state" fix is not
 *    modelled). The page keeps PageAnonExclusive; MMF_HAS_PINNED of the
 *    destination mm is untouched — seed 003's point.
 *
 * Switches: the ioctl exists with `uffdio-move` (6.8, adef440691ba) or with
 * the cross-mm proposal `uffd-move-cross-mm` (v3, Oct 2023, against 6.6);
 * the two pin checks are `uffd-move-pin-check` and `uffd-move-pin-recheck`
 * (both adef440691ba: as posted, v3 had neither — David Hildenbrand asked
 * for "an early check upfront" and a check "after unmapping" in seed 003).
 * Without PageAnonExclusive (before 5.19) every move fails -EBUSY. Large
 * folios (split_folio first, failing when pinned) are refused -EBUSY; swap
 * and migration entries too (move_swap_pte is not modelled).
 */
import * as L from '../layout.js';
import { markUserUnmapped, putPage } from '../pages.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, fp, fpBase, goto } from './common.js';

const dstMm = (c: Ctx): number => c.instr.target ?? c.mm;
const dstVa = (c: Ctx): number => c.instr.va2 ?? c.instr.va;

function lockBoth(v: StateView, c: Ctx): void {
  v.lockRead(c.mm);
  if (dstMm(c) !== c.mm) v.lockRead(dstMm(c));
}

function unlockBoth(v: StateView, c: Ctx): void {
  v.unlockRead(c.mm);
  if (dstMm(c) !== c.mm) v.unlockRead(dstMm(c));
}

/** Why the ioctl fails before taking the page ('' = it proceeds), move_pages / move_pages_pte order. */
function refusal(v: StateView, c: Ctx): string {
  const m = c.mm;
  const d = dstMm(c);
  const src = c.instr.va;
  const dst = dstVa(c);
  if (!c.k.uffdioMove && !c.k.uffdMoveCrossMm) return '-EINVAL: no UFFDIO_MOVE before 6.8 (adef440691ba)';
  if (d !== m && !c.k.uffdMoveCrossMm) return '-EINVAL: UFFDIO_MOVE moves within the uffd\'s mm only';
  if (!v.alive(d)) return '-ESRCH: the destination process is gone';
  const sv = v.vma(m, src);
  const dv = v.vma(d, dst);
  if ((sv & L.VMA_MAPPED) === 0 || (dv & L.VMA_MAPPED) === 0) return '-ENOENT: no VMA';
  if ((sv & L.VMA_WRITE) !== (dv & L.VMA_WRITE)) return '-EINVAL: validate_move_areas: different protections';
  if (v.region(src) >= 0 || v.region(dst) >= 0) return '-EINVAL: THP regions are not moved by the model';
  if (v.kind(d, dst) !== L.PTE_NONE) return '-EEXIST: destination PTE not none';
  const k = v.kind(m, src);
  if (k === L.PTE_NONE) return '-ENOENT: source hole';
  if (k !== L.PTE_PRESENT) return '-EBUSY: source is not a present PTE';
  const p = v.pfn(m, src);
  if (p === L.ZERO_PFN) return '';
  if (v.isLarge(p)) return '-EBUSY: large folio (split_folio refused)';
  if (!v.pae(p)) return '-EBUSY: !PageAnonExclusive';
  return '';
}

/** move_present_pte's first check, under the double PTL. */
const pinnedEarly = (v: StateView, c: Ctx, p: number): boolean => c.k.uffdMovePinCheck && v.maybePinned(p);

/** Release the locks and the reference taken by move_lock, and finish. */
function release(v: StateView, c: Ctx): void {
  const p = v.act(c.actor, L.A_HOLD);
  v.setPtl(c.mm, false);
  v.setPtl(dstMm(c), false);
  v.setFlag(p, L.PGF_LOCKED, false);
  putPage(v, p);
  unlockBoth(v, c);
  finish(v, c);
}

function fpMove(v: StateView, c: Ctx, out: number[]): void {
  fpBase(c, out);
  const d = dstMm(c);
  out.push(fp.mm(c.mm), fp.mm(d), fp.pte(v, c.mm, c.instr.va), fp.pte(v, d, dstVa(c)));
  if (v.kind(c.mm, c.instr.va) !== L.PTE_NONE) out.push(fp.page(v.pfn(c.mm, c.instr.va)));
  const h = v.act(c.actor, L.A_HOLD);
  if (h !== L.NO_PFN) out.push(fp.page(h));
  c.cfg.pins.forEach((pin, i) => { if (pin.mm === c.mm) out.push(fp.pin(i)); });
}

export const uffdMoveLock = step({
  name: 'uffd.move_lock',
  fn: 'move_pages_pte',
  cite: 'reference §B.17 steps 1-3, 6.1-6.2 (mm/userfaultfd.c 6.8 adef440691ba, 6.12): uffd_move_lock, validate_move_areas, dst none (-EEXIST), src present (-ENOENT), zeropage -> move_zeropage_pte, PageAnonExclusive else -EBUSY, folio_lock + folio_get, double_pt_lock, folio_maybe_dma_pinned -> -EBUSY',
  guard(v, c) {
    const d = dstMm(c);
    if (!v.canRead(c.mm) || !v.canRead(d) || v.ptlHeld(c.mm) || v.ptlHeld(d)) return false;
    // folio_lock() of a small source folio sleeps while someone else holds it.
    return !(v.present(c.mm, c.instr.va) && v.hasFlag(v.pfn(c.mm, c.instr.va), L.PGF_LOCKED));
  },
  effect(v, c) {
    if (refusal(v, c) !== '') return finish(v, c);
    const m = c.mm;
    const src = c.instr.va;
    const d = dstMm(c);
    const dst = dstVa(c);
    const p = v.pfn(m, src);
    if (p === L.ZERO_PFN) {
      // move_zeropage_pte: one PTL section, nothing to pin.
      v.setPte(d, dst, L.PTE_PRESENT, L.ZERO_PFN, L.PTEF_SPECIAL);
      v.setPte(m, src, L.PTE_NONE, 0, 0);
      markUserUnmapped(v, c, m, src);
      return finish(v, c);
    }
    if (pinnedEarly(v, c, p)) return finish(v, c);
    lockBoth(v, c);
    v.setFlag(p, L.PGF_LOCKED, true);
    v.getRef(p);
    v.setAct(c.actor, L.A_HOLD, p);
    v.setPtl(m, true);
    v.setPtl(d, true);
    goto(v, c, uffdMoveClear);
  },
  footprint: fpMove,
  explain(b, _a, c) {
    const r = refusal(b, c);
    if (r !== '') return r;
    const p = b.pfn(c.mm, c.instr.va);
    if (p === L.ZERO_PFN) return 'move_zeropage_pte';
    if (pinnedEarly(b, c, p)) return `page#${p} maybe pinned (refcount ${b.refcount(p)}) -> -EBUSY`;
    return `lock page#${p}, double_pt_lock${c.k.uffdMovePinCheck ? '; not pinned' : ' (no pin check)'}`;
  },
});

export const uffdMoveClear = step({
  name: 'uffd.move_clear',
  fn: 'move_present_pte',
  cite: 'reference §B.17 step 6.3: orig_src_pte = ptep_clear_flush(src) (makes the PTE invisible to GUP-fast)',
  guard: () => true,
  effect(v, c) {
    const m = c.mm;
    const src = c.instr.va;
    v.setPte(m, src, L.PTE_CLEARED, v.pfn(m, src), v.pteFlags(m, src));
    goto(v, c, uffdMovePte);
  },
  footprint: fpMove,
  explain: (b, _a, c) => `ptep_clear_flush ${c.cfg.vas[c.instr.va]} (page#${b.pfn(c.mm, c.instr.va)})`,
});

/** The recheck after the clear (the GUP-fast protocol): pinned from under us? */
const pinnedLate = (v: StateView, c: Ctx): boolean => c.k.uffdMovePinRecheck && v.maybePinned(v.act(c.actor, L.A_HOLD));

export const uffdMovePte = step({
  name: 'uffd.move_pte',
  fn: 'move_present_pte',
  cite: 'reference §B.17 steps 6.4-6.7: folio_maybe_dma_pinned after the clear -> set_pte_at(src, orig), -EBUSY; folio_move_anon_rmap, folio->index, dst PTE dirty + maybe_mkwrite (adef440691ba); PageAnonExclusive kept',
  guard: () => true,
  effect(v, c) {
    const m = c.mm;
    const src = c.instr.va;
    const p = v.act(c.actor, L.A_HOLD);
    const f = v.pteFlags(m, src);
    if (pinnedLate(v, c)) {
      v.setPte(m, src, L.PTE_PRESENT, p, f); // put it back and fail the move
      return release(v, c);
    }
    const d = dstMm(c);
    const dst = dstVa(c);
    const w = (v.vma(d, dst) & L.VMA_WRITE) !== 0 ? L.PTEF_WRITE : 0;
    v.setPte(d, dst, L.PTE_PRESENT, p, L.PTEF_DIRTY | w);
    v.setVma(d, dst, v.vma(d, dst) | L.VMA_ANON_VMA);
    v.setPte(m, src, L.PTE_NONE, 0, 0);
    // Userspace moved the page away from src: pins through it are exempt, as after munmap.
    markUserUnmapped(v, c, m, src);
    release(v, c);
  },
  footprint: fpMove,
  explain(b, _a, c) {
    const p = b.act(c.actor, L.A_HOLD);
    if (pinnedLate(b, c)) return `page#${p} pinned from under us (refcount ${b.refcount(p)}): restore, -EBUSY`;
    const d = dstMm(c);
    const where = d === c.mm ? c.cfg.vas[dstVa(c)] : `${c.cfg.processes[d]}:${c.cfg.vas[dstVa(c)]}`;
    return `${c.k.uffdMovePinRecheck ? 'not pinned; ' : ''}page#${p} -> ${where}, PageAnonExclusive kept`;
  },
});
