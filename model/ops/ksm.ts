/**
 * KSM (reference §B.13): ksmd's `merge P A Q B` = try_to_merge_two_pages:
 * the page at P's A becomes the KSM page (try_to_merge_one_page with no
 * kpage: write_protect_page, then PageKsm), then the page at Q's B is
 * write-protected and replaced by it (write_protect_page + replace_page).
 * Targets are named by process and VA, never by page frame.
 *
 * Steps, as §E.1 splits them (the page lock is held across each page's
 * steps, mmap_lock(R) of the scanned mm across each phase):
 *  - `ksm.wp_clear`: get_mergeable_page's reference, folio_trylock, and
 *    write_protect_page's PTL section up to ptep_clear_flush. The PTE stays
 *    PTE_CLEARED with the PTL held (MM_PTL): GUP-fast sees none, nothing
 *    else may take the PTL. Pre-5.19 an already R/O and clean PTE skips the
 *    whole block (no clear, no count check: the shortcut §C.2 row 9 names).
 *  - `ksm.wp_check`: `mapcount + 1 + swapcache != refcount` → restore,
 *    fail; 5.19+ page_try_share_anon_rmap (fails on maybe-pinned pages,
 *    else clears PageAnonExclusive); then the PTE clean and R/O, PTL dropped.
 *    Split from the clear for the Dekker pairing with GUP-fast's
 *    grab → recheck (reference §E.1, §E.2 comment in __folio_try_share_anon_rmap).
 *  - `ksm.replace`: replace_page, a second PTL section: pte_same() with what
 *    write_protect_page left (and pages_identical) — no refcount recheck —
 *    then the KSM page mapped R/O in place of the page. Between wp_check and
 *    replace is the GUP-fast window of §C.2 row 9.
 *
 * Frame: A_CUR phase (0: the KSM page at P's A; 1: the page at Q's B),
 * A_HOLD the page being processed (KSM's reference and page lock; mmap_lock
 * of the phase's mm is held while it is set), A_NEW the KSM page once
 * phase 0 is done (its reference), A_ORIG_PFN/A_ORIG_PTE the PTE
 * write_protect_page left (replace_page's orig_pte), A_ANON_EXCL the
 * anon_exclusive read before the clear (between wp_clear and wp_check).
 */
import * as L from '../layout.js';
import { putPage } from '../pages.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, fp, fpBase, goto } from './common.js';
import { tryShareExclusive } from './rmapWalk.js';

export const ASSERT_KSM_REPLACE_PAE = 20; // replace_page: VM_BUG_ON_PAGE(PageAnonExclusive(page))
export const ASSERT_KSM_KPAGE_PAE = 21; // replace_page: VM_BUG_ON_FOLIO(anon && PageAnonExclusive(kpage))
export const ASSERT_KSM_STABLE_PAE = 22; // try_to_merge_one_page: VM_WARN_ON_FOLIO(anon && PageAnonExclusive) of the new KSM folio

/** The (mm, va) the current phase works on. */
function where(v: StateView, c: Ctx): [number, number] {
  return v.act(c.actor, L.A_CUR) === 0 ? [c.instr.target ?? 0, c.instr.va] : [c.instr.target2 ?? 0, c.instr.va2 ?? 0];
}

/** Give up the merge: undo what is held (PTL, page lock, references, mmap_lock) and finish. */
function fail(v: StateView, c: Ctx): void {
  const [m] = where(v, c);
  const held = v.act(c.actor, L.A_HOLD);
  if (held !== L.NO_PFN) {
    v.setFlag(held, L.PGF_LOCKED, false);
    putPage(v, held);
    v.unlockRead(m);
  }
  const kpage = v.act(c.actor, L.A_NEW);
  if (kpage !== L.NO_PFN) putPage(v, kpage);
  finish(v, c);
}

/** Why ksmd cannot even start on this phase's page (get_mergeable_page, trylock), or ''. */
function refusal(v: StateView, c: Ctx): string {
  const [m, va] = where(v, c);
  if (!v.alive(m)) return 'process gone';
  if ((v.vma(m, va) & L.VMA_MAPPED) === 0 || !v.present(m, va)) return 'no page mapped';
  const p = v.pfn(m, va);
  if (p === L.ZERO_PFN || !v.isAnon(p) || v.isLarge(p)) return 'not a small anon page';
  const phase = v.act(c.actor, L.A_CUR);
  if (phase === 1 && (p === v.act(c.actor, L.A_NEW) || v.hasFlag(p, L.PGF_KSM))) return 'already merged';
  if (v.hasFlag(p, L.PGF_LOCKED)) return 'trylock_page failed';
  return '';
}

/** write_protect_page's condition for entering the clear/check block. */
function mustCheck(v: StateView, c: Ctx, m: number, va: number, p: number): boolean {
  const f = v.pteFlags(m, va);
  if ((f & (L.PTEF_WRITE | L.PTEF_DIRTY)) !== 0) return true;
  // 5.19+ (6c287605fd56): anon_exclusive pages go through it even when R/O and clean.
  return c.k.pae && v.pae(p);
}

/** Remember the PTE write_protect_page left, for replace_page's pte_same(). */
function rememberAt(v: StateView, c: Ctx, m: number, va: number): void {
  v.setAct(c.actor, L.A_ORIG_PFN, v.pfn(m, va));
  v.setAct(c.actor, L.A_ORIG_PTE, v.pteWord(m, va));
}

/** write_protect_page succeeded: phase 0 makes the page the KSM page, phase 1 goes on to replace_page. */
function afterWriteProtect(v: StateView, c: Ctx): void {
  const [m] = where(v, c);
  const p = v.act(c.actor, L.A_HOLD);
  if (v.act(c.actor, L.A_CUR) === 1) return goto(v, c, ksmReplace);
  // try_to_merge_one_page(page, NULL): folio_set_stable_node; the page lock and mmap_lock go.
  if (c.k.pae && v.pae(p)) v.fireAssert(ASSERT_KSM_STABLE_PAE); // write_protect_page cleared it (reference §E.3)
  v.setFlag(p, L.PGF_KSM, true);
  v.setFlag(p, L.PGF_LOCKED, false);
  v.unlockRead(m);
  v.setAct(c.actor, L.A_NEW, p);
  v.setAct(c.actor, L.A_HOLD, L.NO_PFN);
  v.setAct(c.actor, L.A_CUR, 1);
  v.setAct(c.actor, L.A_ORIG_PFN, 0);
  v.setAct(c.actor, L.A_ORIG_PTE, 0);
  goto(v, c, ksmWpClear);
}

function fpKsm(v: StateView, c: Ctx, out: number[]): void {
  fpBase(c, out);
  const [m, va] = where(v, c);
  out.push(fp.mm(m), fp.pte(v, m, va));
  if (v.kind(m, va) !== L.PTE_NONE) out.push(fp.page(v.pfn(m, va)));
  for (const f of [L.A_HOLD, L.A_NEW]) {
    const p = v.act(c.actor, f);
    if (p !== L.NO_PFN) out.push(fp.page(p));
  }
}

export const ksmWpClear = step({
  name: 'ksm.wp_clear',
  fn: 'write_protect_page',
  cite: 'reference §B.13 steps 1-3.2 (mm/ksm.c 6.12, 6.1): get_mergeable_page ref, trylock_page, PTL, ptep_clear_flush if pte_write || pte_dirty || anon_exclusive (5.19+, 6c287605fd56); pre-5.19 a R/O clean PTE skips the block',
  guard(v, c) {
    const [m] = where(v, c);
    return v.canRead(m) && !v.ptlHeld(m);
  },
  effect(v, c) {
    const [m, va] = where(v, c);
    // Phase 0 on a page that is already KSM: the stable tree has it, go straight to phase 1.
    if (v.act(c.actor, L.A_CUR) === 0 && v.alive(m) && v.present(m, va) && v.hasFlag(v.pfn(m, va), L.PGF_KSM)) {
      const k = v.pfn(m, va);
      v.getRef(k);
      v.setAct(c.actor, L.A_NEW, k);
      v.setAct(c.actor, L.A_CUR, 1);
      return goto(v, c, ksmWpClear);
    }
    if (refusal(v, c) !== '') return fail(v, c);
    const p = v.pfn(m, va);
    v.lockRead(m);
    v.getRef(p);
    v.setAct(c.actor, L.A_HOLD, p);
    v.setFlag(p, L.PGF_LOCKED, true);
    if (!mustCheck(v, c, m, va, p)) {
      rememberAt(v, c, m, va); // nothing to do: *orig_pte = the R/O clean PTE
      return afterWriteProtect(v, c);
    }
    v.setAct(c.actor, L.A_ANON_EXCL, c.k.pae && v.pae(p) ? 1 : 0); // anon_exclusive, read before the clear
    v.setPte(m, va, L.PTE_CLEARED, p, v.pteFlags(m, va));
    v.setPtl(m, true);
    goto(v, c, ksmWpCheck);
  },
  footprint: fpKsm,
  explain(b, a, c) {
    const [m, va] = where(b, c);
    const name = `${c.cfg.processes[m]}:${c.cfg.vas[va]}`;
    if (b.act(c.actor, L.A_CUR) === 0 && b.alive(m) && b.present(m, va) && b.hasFlag(b.pfn(m, va), L.PGF_KSM)) {
      return `${name}: page#${b.pfn(m, va)} is already a KSM page`;
    }
    const r = refusal(b, c);
    if (r !== '') return `${name}: ${r} -> no merge`;
    const p = b.pfn(m, va);
    if (a.kind(m, va) === L.PTE_CLEARED) return `${name}: lock page#${p}, ptep_clear_flush`;
    return `${name}: lock page#${p}; PTE already R/O and clean -> no check${a.hasFlag(p, L.PGF_KSM) ? ', page#' + p + ' becomes the KSM page' : ''}`;
  },
});

/** The count check after the clear: '' if mapcount + 1 + swapcache == refcount. */
function countsDiffer(v: StateView, p: number): string {
  const swapped = v.hasFlag(p, L.PGF_SWAPCACHE) ? 1 : 0;
  // "+1": KSM's own reference (get_mergeable_page). GUP-fast grabs are in the refcount already.
  if (v.mapcount(p) + 1 + swapped !== v.refcount(p)) return `mapcount ${v.mapcount(p)} + 1 + swapcache ${swapped} != refcount ${v.refcount(p)}`;
  return '';
}

/** anon_exclusive as ksm.wp_clear read it before the clear (5.19+). */
const anonExcl = (v: StateView, c: Ctx): boolean => v.act(c.actor, L.A_ANON_EXCL) !== 0;

/** write_protect_page's verdict after the clear: '' = write-protect, else why it restores. */
function checkFails(v: StateView, c: Ctx, p: number): string {
  const counts = countsDiffer(v, p);
  if (counts !== '') return counts;
  if (anonExcl(v, c) && v.maybePinned(p)) return 'page_try_share_anon_rmap: maybe pinned -> -EBUSY';
  return '';
}

export const ksmWpCheck = step({
  name: 'ksm.wp_check',
  fn: 'write_protect_page',
  cite: 'reference §B.13 steps 3.3-3.5: mapcount + 1 + swapped != page_count -> set_pte_at(orig), fail; 5.19+ page_try_share_anon_rmap (6c287605fd56, fb3d824d1a46) -> restore on -EBUSY; else pte_mkclean(pte_wrprotect); PTL dropped',
  guard: () => true,
  effect(v, c) {
    const [m, va] = where(v, c);
    const p = v.pfn(m, va);
    const f = v.pteFlags(m, va);
    const excl = anonExcl(v, c);
    v.setAct(c.actor, L.A_ANON_EXCL, 0);
    v.setPtl(m, false);
    // The count check, then (anon_exclusive only) __folio_try_share_anon_rmap: clears PAE or fails on a pin.
    if (countsDiffer(v, p) !== '' || !tryShareExclusive(v, p, excl)) {
      v.setPte(m, va, L.PTE_PRESENT, p, f); // set_pte_at(mm, addr, ptep, entry): restore
      return fail(v, c);
    }
    v.setPte(m, va, L.PTE_PRESENT, p, f & ~(L.PTEF_WRITE | L.PTEF_DIRTY)); // the page is marked dirty instead
    rememberAt(v, c, m, va);
    afterWriteProtect(v, c);
  },
  footprint: fpKsm,
  explain(b, a, c) {
    const [m, va] = where(b, c);
    const p = b.pfn(m, va);
    const r = checkFails(b, c, p);
    if (r !== '') return `${r}: restore the PTE, no merge`;
    const share = anonExcl(b, c) ? 'clear PageAnonExclusive, ' : '';
    const ksm = a.hasFlag(p, L.PGF_KSM) && !b.hasFlag(p, L.PGF_KSM) ? `; page#${p} becomes the KSM page` : '';
    return `counts ok: ${share}PTE -> R/O clean${ksm}`;
  },
});

/** replace_page's pte_same() and the pages_identical() before it: '' if it may replace. */
function replaceRefusal(v: StateView, c: Ctx): string {
  const [m, va] = where(v, c);
  if (v.pfn(m, va) !== v.act(c.actor, L.A_ORIG_PFN) || v.pteWord(m, va) !== v.act(c.actor, L.A_ORIG_PTE)) return '!pte_same';
  const p = v.act(c.actor, L.A_HOLD);
  const k = v.act(c.actor, L.A_NEW);
  if (v.page(p, L.PG_CONTENT) !== v.page(k, L.PG_CONTENT)) return '!pages_identical';
  return '';
}

export const ksmReplace = step({
  name: 'ksm.replace',
  fn: 'replace_page',
  cite: 'reference §B.13 replace_page (mm/ksm.c 6.12): PTL, pte_same(orig_pte) only (no refcount recheck), VM_BUG_ON PageAnonExclusive(page/kpage), map kpage R/O, ptep_clear_flush, remove the old rmap, put the old page',
  guard(v, c) {
    return !v.ptlHeld(where(v, c)[0]);
  },
  effect(v, c) {
    if (replaceRefusal(v, c) !== '') return fail(v, c);
    const [m, va] = where(v, c);
    const p = v.act(c.actor, L.A_HOLD);
    const k = v.act(c.actor, L.A_NEW);
    if (c.k.pae && v.pae(p)) v.fireAssert(ASSERT_KSM_REPLACE_PAE);
    if (c.k.pae && v.isAnon(k) && v.pae(k)) v.fireAssert(ASSERT_KSM_KPAGE_PAE);
    // Ghost: pins that still hold the page being replaced (ksm-not-exclusive).
    c.cfg.pins.forEach((pin, i) => {
      if (pin.foll_pin && v.pinHolds(i) && v.pinPfn(i) === p) v.setPinGhost(i, v.pinGhost(i) | L.PING_KSM_REPLACED);
    });
    v.getRef(k);
    v.addMap(k, 1);
    v.setPte(m, va, L.PTE_PRESENT, k, 0); // mk_pte(kpage, vma->vm_page_prot): R/O
    v.addMap(p, -1);
    putPage(v, p); // the old PTE's reference
    // try_to_merge_one_page / cmp_and_merge_page: unlock, drop KSM's references, mmap_read_unlock.
    v.setFlag(p, L.PGF_LOCKED, false);
    putPage(v, p);
    putPage(v, k);
    v.unlockRead(m);
    finish(v, c);
  },
  footprint(v, c, out) {
    fpKsm(v, c, out);
    c.cfg.pins.forEach((_p, i) => out.push(fp.pin(i)));
  },
  explain(b, _a, c) {
    const r = replaceRefusal(b, c);
    const [m, va] = where(b, c);
    if (r !== '') return `${r} -> no merge`;
    return `${c.cfg.processes[m]}:${c.cfg.vas[va]}: page#${b.act(c.actor, L.A_HOLD)} -> KSM page#${b.act(c.actor, L.A_NEW)} R/O`;
  },
});
