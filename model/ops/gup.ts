/**
 * Slow GUP: __get_user_pages → follow_page_pte / faultin_page (reference
 * §B.4), for `pin VA` (FOLL_PIN) and `get VA` (FOLL_GET), and as the
 * fallback of GUP-fast.
 *
 * `entry` takes mmap_lock(R) and sets has_pinned/MMF_HAS_PINNED; `follow`
 * is one PTL section that either grabs the page or asks for a fault (write
 * fault for FOLL_WRITE on a R/O PTE, unshare fault for a R/O pin of a
 * non-exclusive anon page on 5.19+), after which it runs again.
 */
import * as L from '../layout.js';
import { grab } from '../pages.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { callFault, finish, fp, fpVa, goto } from './common.js';
import { faultEntry } from './fault.js';
import { mmuPfn, mmuPresent, mmuWritable } from '../thp.js';
import { isSharedVma } from '../shmem.js';

export const ASSERT_FOLLOW_PAGE_PTE = 1; // follow_page_pte: VM_BUG_ON_PAGE(FOLL_PIN && anon && !PAE)
/** follow_trans_huge_pmd: the same VM_BUG_ON_PAGE for a huge PMD (a7f226604170, 5.19) */
export const ASSERT_FOLLOW_TRANS_HUGE_PMD = 30;
/** faultin_page: VM_BUG_ON(FAULT_FLAG_WRITE && FAULT_FLAG_UNSHARE) (c89357e27f20, 5.19) */
export const ASSERT_FAULTIN_WRITE_UNSHARE = 52;
/** try_grab_folio (try_grab_page, try_get_page before it): WARN_ON_ONCE(refcount <= 0) -> -ENOMEM */
export const ASSERT_TRY_GRAB_REFCOUNT = 57;

/** FOLL_WRITE, including 5.8's should_force_cow_break (every private anon VMA is a COW mapping). */
export function follWrite(c: Ctx): boolean {
  return c.pin!.write || c.k.forceCowBreak;
}

/**
 * should_force_cow_break (5.8, 17839856fd58) applies to COW mappings only
 * (is_cow_mapping): slow GUP on a shared mapping (model/shmem.ts) keeps a
 * R/O request R/O. GUP-fast, which knows no VMA, forces FOLL_WRITE
 * everywhere (gupFast.ts uses follWrite).
 */
export function follWriteSlow(v: StateView, c: Ctx): boolean {
  return c.pin!.write || (c.k.forceCowBreak && !isSharedVma(v, c.mm, c.instr.va));
}

/**
 * gup_must_unshare (5.19+; c89357e27f20, a7f226604170; non-anon long-term
 * since 84209e87c696): only R/O FOLL_PIN, only pages not known exclusive.
 * A non-anon page is unshared only in a COW mapping: `if (!vma) return
 * true; return is_cow_mapping(vma->vm_flags)` (6.12 mm/internal.h), so
 * GUP-fast (`fast`, no VMA) falls back on any long-term R/O pin of one,
 * and slow GUP pins a shared mapping's page-cache page as it is.
 */
export function mustUnshare(v: StateView, c: Ctx, p: number, fast = false): boolean {
  const pin = c.pin!;
  if (!c.k.unshare || !pin.foll_pin || follWrite(c)) return false;
  if (p === L.ZERO_PFN || !v.isAnon(p)) return pin.longterm && c.k.longtermUnshareNonanon && (fast || !isSharedVma(v, c.mm, c.instr.va));
  return !v.pae(p);
}

export const gupEntry = step({
  name: 'gup.entry',
  fn: '__get_user_pages_locked',
  cite: 'reference §B.4 step 1: mmap_read_lock; mm_set_has_pinned_flag (008cfe4418b3/a458b76a4171)',
  guard: (v, c) => v.canRead(c.mm),
  effect(v, c) {
    v.lockRead(c.mm);
    if (c.pin!.foll_pin && c.k.hasPinned) v.setMm(c.mm, L.MM_HAS_PINNED, 1);
    if (follWriteSlow(v, c)) v.setActFlag(c.actor, L.AF_FOLL_WRITE, true);
    goto(v, c, gupFollow);
  },
  footprint(v, c, out) {
    fpVa(v, c, out);
    out.push(fp.pin(c.instr.pin));
  },
  explain: (b, _a, c) =>
    follWriteSlow(b, c) && !c.pin!.write ? 'should_force_cow_break: FOLL_WRITE added' : c.pin!.foll_pin && c.k.hasPinned && !b.mm(c.mm, L.MM_HAS_PINNED) ? `set ${c.k.wpSeq ? 'MMF_HAS_PINNED' : 'mm->has_pinned'}` : undefined,
});

function fail(v: StateView, c: Ctx): void {
  v.setPin(c.instr.pin, L.PIN_FAILED, 0);
  v.unlockRead(c.mm);
  finish(v, c);
}

/** What follow_page_pte does with the current PTE: a code for effect and explain alike. */
const F_FAIL = 0;
const F_FAULT_WRITE = 1;
const F_FAULT_READ = 2;
const F_UNSHARE = 3;
const F_GRAB = 4;

function followDecision(v: StateView, c: Ctx): number {
  const m = c.mm;
  const va = c.instr.va;
  if (v.actFlag(c.actor, L.AF_SEGV) || (v.vma(m, va) & L.VMA_MAPPED) === 0) return F_FAIL;
  // A huge PMD is followed by follow_trans_huge_pmd with the same rules (can_follow_write_pmd,
  // gup_must_unshare on the head, try_grab_folio on the folio): model/thp.ts mmu*.
  if (!mmuPresent(v, m, va)) return v.actFlag(c.actor, L.AF_FOLL_WRITE) ? F_FAULT_WRITE : F_FAULT_READ;
  if (v.actFlag(c.actor, L.AF_FOLL_WRITE) && !mmuWritable(v, m, va)) return F_FAULT_WRITE; // can_follow_write_pte
  if (!mmuWritable(v, m, va) && mustUnshare(v, c, mmuPfn(v, m, va))) return F_UNSHARE; // -EMLINK
  return F_GRAB;
}

export const gupFollow = step({
  name: 'gup.follow',
  fn: 'follow_page_pte',
  cite: 'reference §B.4 step 3 (under PTL): can_follow_write_pte, gup_must_unshare -> -EMLINK, try_grab_folio',
  guard: (v, c) => !v.ptlHeld(c.mm), // follow_page_pte runs under the PTL (layout.ts MM_PTL)
  effect(v, c) {
    const d = followDecision(v, c);
    if (d === F_FAIL) return fail(v, c);
    if (d !== F_GRAB) {
      // faultin_page: FAULT_FLAG_WRITE comes from FOLL_WRITE, FAULT_FLAG_UNSHARE from follow_page_pte's -EMLINK.
      if (c.k.unshare && d === F_UNSHARE && v.actFlag(c.actor, L.AF_FOLL_WRITE)) v.fireAssert(ASSERT_FAULTIN_WRITE_UNSHARE);
      return callFault(v, c, faultEntry, gupFollow, d === F_FAULT_WRITE, d === F_UNSHARE, true);
    }
    const p = mmuPfn(v, c.mm, c.instr.va);
    if (p !== L.ZERO_PFN && v.refcount(p) <= 0) {
      v.fireAssert(ASSERT_TRY_GRAB_REFCOUNT);
      return fail(v, c); // -ENOMEM
    }
    if (c.k.pae && c.pin!.foll_pin && p !== L.ZERO_PFN && v.isAnon(p) && !v.pae(p)) {
      v.fireAssert(v.huge(c.mm, c.instr.va) ? ASSERT_FOLLOW_TRANS_HUGE_PMD : ASSERT_FOLLOW_PAGE_PTE);
    }
    grab(v, c, p);
    v.setPin(c.instr.pin, L.PIN_HELD, p);
    v.unlockRead(c.mm);
    finish(v, c);
  },
  footprint(v, c, out) {
    fpVa(v, c, out);
    out.push(fp.pin(c.instr.pin));
  },
  explain(b, _a, c) {
    const d = followDecision(b, c);
    const p = mmuPfn(b, c.mm, c.instr.va);
    switch (d) {
      case F_FAIL: return '-EFAULT';
      case F_FAULT_WRITE: return mmuPresent(b, c.mm, c.instr.va) ? `${b.huge(c.mm, c.instr.va) ? 'PMD' : 'PTE'} R/O, FOLL_WRITE -> write fault` : 'no PTE -> write fault';
      case F_FAULT_READ: return 'no PTE -> fault';
      case F_UNSHARE: return `R/O pin, page#${p} not exclusive -> unshare fault`;
      default: return `${c.pin!.foll_pin ? 'pin' : 'get'} page#${p}${b.huge(c.mm, c.instr.va) ? ' (follow_trans_huge_pmd: THP)' : ''}`;
    }
  },
});
