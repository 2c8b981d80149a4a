/**
 * GUP-fast: gup_fast_fallback → gup_fast_pte_range (reference §B.5), for
 * `pin VA fast` / `get VA fast`. Lockless, so every read and every atomic
 * is its own step (§E.1): entry (set MMF_HAS_PINNED, read
 * write_protect_seq: odd → slow path), read the PTE, grab, recheck the PTE,
 * the 5.19+ unshare check, and finish (seqcount retry, sanity check).
 * Anything refused drops what was grabbed and falls back to slow GUP.
 */
import * as L from '../layout.js';
import { grab, ungrab } from '../pages.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, fp, fpVa, goto, pteSame, rememberPte } from './common.js';
import { follWrite, gupEntry, mustUnshare } from './gup.js';
import { hugeSubpage, mmuPfn, mmuWritable, pmdSame, rememberPmd } from '../thp.js';

export const ASSERT_SANITY_CHECK_PINNED = 2; // sanity_check_pinned_pages: pinned anon page not PAE

function fallback(v: StateView, c: Ctx): void {
  v.setAct(c.actor, L.A_ORIG_PFN, 0);
  v.setAct(c.actor, L.A_ORIG_PTE, 0);
  v.setAct(c.actor, L.A_SEQ, 0);
  v.setAct(c.actor, L.A_ORIG_PMD, 0);
  goto(v, c, gupEntry);
}

function drop(v: StateView, c: Ctx): void {
  ungrab(v, c, v.pinPfn(c.instr.pin));
  v.setPin(c.instr.pin, L.PIN_UNUSED, 0);
  fallback(v, c);
}

function fpFast(v: StateView, c: Ctx, out: number[]): void {
  fpVa(v, c, out);
  const p = v.act(c.actor, L.A_ORIG_PFN);
  out.push(fp.pin(c.instr.pin), fp.page(p), fp.page(v.head(p))); // a THP subpage's counts are its head's
}

export const gupFastEntry = step({
  name: 'gupfast.entry',
  fn: 'gup_fast_fallback',
  cite: 'reference §B.5 steps 0-1: mm_set_has_pinned_flag; raw_read_seqcount(write_protect_seq) (57efa1fe5957)',
  guard: () => true,
  effect(v, c) {
    const pin = c.pin!;
    if (pin.foll_pin && c.k.hasPinned) v.setMm(c.mm, L.MM_HAS_PINNED, 1);
    if (pin.foll_pin && c.k.wpSeq) {
      const seq = v.mm(c.mm, L.MM_WPSEQ);
      if ((seq & 1) !== 0) return fallback(v, c);
      v.setAct(c.actor, L.A_SEQ, seq);
    }
    goto(v, c, gupFastRead);
  },
  footprint(v, c, out) {
    fpVa(v, c, out);
    out.push(fp.mm(c.mm));
  },
  explain: (b, _a, c) => (c.pin!.foll_pin && c.k.wpSeq ? `write_protect_seq = ${b.mm(c.mm, L.MM_WPSEQ)}${(b.mm(c.mm, L.MM_WPSEQ) & 1) !== 0 ? ' (odd) -> slow path' : ''}` : undefined),
});

/**
 * Why gup_fast_pmd_range / gup_fast_pte_range refuse this VA, or '' if
 * they take it. In a THP region the PMD is read first (pmdp_get_lockless):
 * none (or cleared by khugepaged) stops the walk; a huge PMD goes to
 * gup_fast_pmd_leaf with pmd_access_permitted (model/thp.ts).
 */
function refusal(v: StateView, c: Ctx): string {
  const m = c.mm;
  const va = c.instr.va;
  const r = v.region(va);
  if (r >= 0 && v.pmdKind(m, r) === L.PMD_DETACHED) return 'PMD none (khugepaged cleared it)';
  if (r >= 0 && v.pmdKind(m, r) === L.PMD_HUGE) {
    return follWrite(c) && (v.pmdFlags(m, r) & L.PTEF_WRITE) === 0 ? 'PMD R/O, write needed' : '';
  }
  if (!v.present(m, va)) return 'PTE not present';
  if ((v.pteFlags(m, va) & L.PTEF_SPECIAL) !== 0) return 'pte_special (zeropage)';
  if (follWrite(c) && !v.writable(m, va)) return 'PTE R/O, write needed';
  return '';
}

export const gupFastRead = step({
  name: 'gupfast.read_pte',
  fn: 'gup_fast_pte_range',
  cite: 'reference §B.5 step 3.1-3.2: ptep_get_lockless; refuse protnone/special/R/O-for-write (5.8: always FOLL_WRITE)',
  guard: () => true,
  effect(v, c) {
    if (refusal(v, c) !== '') return fallback(v, c);
    rememberWalk(v, c);
    goto(v, c, gupFastGrab);
  },
  footprint: fpFast,
  explain(b, _a, c) {
    const r = refusal(b, c);
    const va = c.instr.va;
    return r !== '' ? `${r} -> slow path` : `${b.huge(c.mm, va) ? 'PMD' : 'PTE'} ${mmuWritable(b, c.mm, va) ? 'RW' : 'R/O'} page#${mmuPfn(b, c.mm, va)}`;
  },
});

export const gupFastGrab = step({
  name: 'gupfast.grab',
  fn: 'try_grab_folio_fast',
  cite: 'reference §B.5 step 3.3: get-unless-zero, +GUP_PIN_COUNTING_BIAS for FOLL_PIN, smp_mb__after_atomic',
  guard: () => true,
  effect(v, c) {
    const p = v.act(c.actor, L.A_ORIG_PFN);
    if (!v.hasFlag(p, L.PGF_ALLOC) || v.refcount(p) === 0) return fallback(v, c);
    grab(v, c, p);
    v.setPin(c.instr.pin, L.PIN_GRABBED, p);
    goto(v, c, gupFastRecheck);
  },
  footprint: fpFast,
  explain: (b, a, c) => {
    const p = b.act(c.actor, L.A_ORIG_PFN);
    return a.pinState(c.instr.pin) === L.PIN_GRABBED ? `grab page#${p}` : 'page freed -> slow path';
  },
});

export const gupFastRecheck = step({
  name: 'gupfast.recheck',
  fn: 'gup_fast_pte_range',
  cite: 'reference §B.5 step 3.4: pte_val(pte) != *ptep -> drop (2667f50e8b81); a huge PMD: pmd_val(orig) != *pmdp (gup_fast_pmd_leaf); 6.0+ also the PMD above a PTE (70cbc3cc78a9)',
  guard: () => true,
  effect(v, c) {
    if (!walkSame(v, c)) return drop(v, c);
    goto(v, c, c.k.unshare ? gupFastUnshare : gupFastFinish);
  },
  footprint: fpFast,
  explain(b, _a, c) {
    if (walkSame(b, c)) return `${walkedHuge(b, c) ? 'PMD' : 'PTE'} unchanged`;
    return `${walkedHuge(b, c) || pteSame(b, c) ? 'PMD' : 'PTE'} changed -> drop, slow path`;
  },
});

/**
 * What the walk read (gupfast.read_pte): the PTE (or, for a huge PMD, the
 * subpage and the PMD word, so the unshare check sees pmd_write) and the
 * PMD above it (model/thp.ts rememberPmd).
 */
function rememberWalk(v: StateView, c: Ctx): void {
  rememberPte(v, c);
  rememberPmd(v, c);
  const m = c.mm;
  const va = c.instr.va;
  if (v.huge(m, va)) {
    v.setAct(c.actor, L.A_ORIG_PFN, hugeSubpage(v, m, va));
    v.setAct(c.actor, L.A_ORIG_PTE, v.pmdWord(m, v.region(va)));
  }
}

/** Did the walk go through a huge PMD (gup_fast_pmd_leaf)? */
function walkedHuge(v: StateView, c: Ctx): boolean {
  return v.act(c.actor, L.A_ORIG_PMD) >> 4 === L.PMD_HUGE;
}

/**
 * The recheck after grabbing: a huge PMD is always rechecked; a PTE is,
 * and since 6.0 (gup-fast-pmd-recheck) the PMD above it too, which is
 * what catches khugepaged's pmdp_collapse_flush (reference §C.2 row 10).
 */
function walkSame(v: StateView, c: Ctx): boolean {
  if (walkedHuge(v, c)) return pmdSame(v, c);
  return pteSame(v, c) && (!c.k.gupFastPmdRecheck || pmdSame(v, c));
}

function unshareNeeded(v: StateView, c: Ctx): boolean {
  const w = (v.act(c.actor, L.A_ORIG_PTE) & L.PTEF_WRITE) !== 0;
  return !w && mustUnshare(v, c, v.act(c.actor, L.A_ORIG_PFN), true); // no VMA here: gup_must_unshare(NULL, ...)
}

export const gupFastUnshare = step({
  name: 'gupfast.unshare_check',
  fn: 'gup_fast_pte_range',
  cite: 'reference §B.5 step 3.6 (5.19+): !pte_write && gup_must_unshare -> drop (a7f226604170)',
  guard: () => true,
  effect(v, c) {
    if (unshareNeeded(v, c)) return drop(v, c);
    goto(v, c, gupFastFinish);
  },
  footprint: fpFast,
  explain: (b, _a, c) => (unshareNeeded(b, c) ? 'R/O pin of a non-exclusive page -> drop, slow path' : undefined),
});

function seqChanged(v: StateView, c: Ctx): boolean {
  return c.pin!.foll_pin && c.k.wpSeq && v.mm(c.mm, L.MM_WPSEQ) !== v.act(c.actor, L.A_SEQ);
}

export const gupFastFinish = step({
  name: 'gupfast.finish',
  fn: 'gup_fast',
  cite: 'reference §B.5 step 4: read_seqcount_retry -> unpin all; sanity_check_pinned_pages (5.19+)',
  guard: () => true,
  effect(v, c) {
    if (seqChanged(v, c)) return drop(v, c);
    const p = v.pinPfn(c.instr.pin);
    if (c.k.pae && c.pin!.foll_pin && v.isAnon(p) && !v.pae(p)) v.fireAssert(ASSERT_SANITY_CHECK_PINNED);
    v.setPin(c.instr.pin, L.PIN_HELD, p);
    finish(v, c);
  },
  footprint(v, c, out) {
    fpFast(v, c, out);
    out.push(fp.mm(c.mm));
  },
  explain: (b, _a, c) => (seqChanged(b, c) ? 'write_protect_seq changed -> unpin, slow path' : `returns page#${b.pinPfn(c.instr.pin)}`),
});
