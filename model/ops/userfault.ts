/**
 * userfaultfd missing faults (reference §B.16, seed 001): a fault on a none
 * PTE of a VMA registered with UFFDIO_REGISTER_MODE_MISSING (`mmap A uffd`)
 * goes to handle_userfault, which queues a message, drops mmap_lock and
 * sleeps until the resolver's UFFDIO_COPY / UFFDIO_ZEROPAGE (or
 * UFFDIO_WAKE) wakes it; the fault then returns VM_FAULT_RETRY and its
 * caller — slow GUP's __get_user_pages_locked, or the arch fault handler —
 * retakes mmap_lock and retries with FAULT_FLAG_TRIED. While the lock is
 * dropped, anything that takes mmap_lock (MADV_DONTNEED, munmap, mprotect,
 * fork, mremap) can run inside the GUP.
 *
 * Read against the kernel (fs/userfaultfd.c, mm/gup.c): handle_userfault
 * returns VM_FAULT_SIGBUS when FAULT_FLAG_ALLOW_RETRY is missing (with a
 * CONFIG_DEBUG_VM "FAULT_FLAG_ALLOW_RETRY missing" dump_stack). Up to 5.6
 * the retry after VM_FAULT_RETRY dropped ALLOW_RETRY (mm/gup.c "Repeat on
 * the address that fired VM_FAULT_RETRY without FAULT_FLAG_ALLOW_RETRY but
 * with FAULT_FLAG_TRIED"; x86 "Retry at most once"), so a second userfault
 * on the retry — the page was resolved, then zapped by MADV_DONTNEED before
 * the retry — failed the GUP with -EFAULT: the race Andrea Arcangeli names
 * in seed 001. 4064b9827063 and 4426e945df58 (5.7) keep ALLOW_RETRY with
 * TRIED and loop (switch fault-retry-multiple).
 *
 * Abstractions: every GUP in the model is the unlockable kind (FOLL_UNLOCKABLE:
 * pin_user_pages_fast's fallback, get_user_pages_unlocked), which may drop
 * mmap_lock; handle_userfault's queue-then-must_wait recheck is one step
 * with the fault's PTE check (a UFFDIO_COPY between them only makes the
 * kernel skip the sleep and retry at once, which the model reaches by
 * waking the queued fault); the waiter is woken by the resolver only
 * (signals — so also exit_group's SIGKILL —, userfaultfd_release and
 * UFFDIO_UNREGISTER are not modelled); the wait queue is per (mm, va),
 * a nibble of sleepers with unread messages and a nibble of wakes, which
 * the compiler keeps from wrapping (scenario/compile.ts).
 */
import * as L from '../layout.js';
import { allocPage, mapNewAnon } from '../pages.js';
import { LOC_ALLOC, step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, fp, fpVa, goto } from './common.js';

/** handle_userfault without FAULT_FLAG_ALLOW_RETRY: CONFIG_DEBUG_VM printk + dump_stack, VM_FAULT_SIGBUS */
export const ASSERT_UFFD_NO_ALLOW_RETRY = 40;

/** Is the VA's VMA registered for missing faults (userfaultfd_missing)? */
export function uffdMissing(v: StateView, m: number, va: number): boolean {
  const vma = v.vma(m, va);
  return (vma & L.VMA_MAPPED) !== 0 && (vma & L.VMA_UFFD) !== 0;
}

// ---- the wait queue of (mm, va): layout.ts PT_UFFD -------------------------
// It lives in the PTE record (location LOC_PTE of the VA), not in the
// sleepers' frames, so that a resolver never writes another actor's state:
// every step of a sleeping fault, and every resolver step, touches that
// location (footprints, partial-order reduction).
const PENDING = 0x0f; // unread messages: faults asleep that no read(uffd) has taken
const WAKE = 0x10; // one wake_userfault, counted in the high nibble (mod 16)

function queueOff(v: StateView, m: number, va: number): number {
  return v.lay.ptBase + (m * v.lay.nVa + va) * L.PT_SIZE + L.PT_UFFD;
}

/** How many faults on (m, va) sleep with their message unread. */
export function pendingFaults(v: StateView, m: number, va: number): number {
  return v.b[queueOff(v, m, va)]! & PENDING;
}

/** The wake count of (m, va), mod 16. */
function wakes(v: StateView, m: number, va: number): number {
  return v.b[queueOff(v, m, va)]! >> 4;
}

/**
 * wake_userfault for (mm, va): every fault of that mm sleeping on va may go
 * on (it returns VM_FAULT_RETRY), and the woken faults' messages are gone
 * from the queue. Exported for other resolving ioctls (UFFDIO_MOVE wakes
 * the destination range the same way, fs/userfaultfd.c).
 */
export function wakeWaiters(v: StateView, m: number, va: number): void {
  const o = queueOff(v, m, va);
  v.b[o] = (v.b[o]! + WAKE) & ~PENDING & 0xff;
}

/**
 * May this fault drop mmap_lock (FAULT_FLAG_ALLOW_RETRY)? The first try
 * always may (arch fault handlers; GUP with FOLL_UNLOCKABLE); the retry
 * (FAULT_FLAG_TRIED) only since 4064b9827063/4426e945df58.
 */
function allowRetry(v: StateView, c: Ctx): boolean {
  return !v.actFlag(c.actor, L.AF_TRIED) || c.k.faultRetryMultiple;
}

/**
 * handle_userfault(vmf, VM_UFFD_MISSING), called from handle_mm_fault's
 * step (do_anonymous_page under mmap_lock(R), the PTE none). Either
 * VM_FAULT_SIGBUS at once, or queue the message, mmap_read_unlock and
 * sleep, remembering the wake count (A_SEQ) to notice the next wake.
 */
export function handleUserfault(v: StateView, c: Ctx): void {
  if (!allowRetry(v, c)) {
    v.fireAssert(ASSERT_UFFD_NO_ALLOW_RETRY);
    // VM_FAULT_SIGBUS: faultin_page -> -EFAULT for GUP, SIGBUS for a user access.
    v.setActFlag(c.actor, L.AF_SEGV, true);
    uffdFaultReturn(v, c, !v.actFlag(c.actor, L.AF_FROM_GUP));
    return;
  }
  const o = queueOff(v, c.mm, c.instr.va);
  v.b[o] = v.b[o]! + 1; // the compiler bounds the sleepers per VA below 16
  v.setAct(c.actor, L.A_SEQ, wakes(v, c.mm, c.instr.va));
  v.unlockRead(c.mm);
  goto(v, c, uffdWait);
}

export function explainUserfault(b: StateView, c: Ctx): string {
  if (!allowRetry(b, c)) return 'handle_userfault: retry without FAULT_FLAG_ALLOW_RETRY -> VM_FAULT_SIGBUS';
  return 'handle_userfault: queue the fault, drop mmap_lock, sleep';
}

/** Back to the step that raised the fault, fault flags cleared; `unlock` drops the mmap_lock this fault took. */
function uffdFaultReturn(v: StateView, c: Ctx, unlock: boolean): void {
  const a = c.actor;
  if (unlock) v.unlockRead(c.mm);
  v.setAct(a, L.A_FLAGS, v.act(a, L.A_FLAGS) & ~(L.AF_WRITE | L.AF_UNSHARE | L.AF_FROM_GUP));
  v.setAct(a, L.A_STEP, v.act(a, L.A_RET));
  v.setAct(a, L.A_RET, 0);
  v.setAct(a, L.A_ORIG_PFN, 0);
  v.setAct(a, L.A_ORIG_PTE, 0);
  v.setAct(a, L.A_SEQ, 0);
}

/** Has a wake_userfault on the fault's VA happened since it went to sleep? */
function woken(v: StateView, c: Ctx): boolean {
  return wakes(v, c.mm, c.instr.va) !== v.act(c.actor, L.A_SEQ);
}

export const uffdWait = step({
  name: 'uffd.wait',
  fn: 'handle_userfault',
  cite: 'reference §B.16: schedule() until wake_userfault (UFFDIO_COPY/ZEROPAGE/WAKE), return VM_FAULT_RETRY; the caller retries with FAULT_FLAG_TRIED: GUP retakes mmap_lock (faultin_page -> -EBUSY, *locked = 0; __get_user_pages_locked, 4426e945df58), a user access re-executes (the arch fault handler\'s retry, 4064b9827063)',
  // Asleep until woken; slow GUP then also needs mmap_lock for read.
  guard: (v, c) => woken(v, c) && (!v.actFlag(c.actor, L.AF_FROM_GUP) || v.canRead(c.mm)),
  effect(v, c) {
    if (v.actFlag(c.actor, L.AF_FROM_GUP)) v.lockRead(c.mm);
    v.setActFlag(c.actor, L.AF_TRIED, true);
    uffdFaultReturn(v, c, false);
  },
  footprint: fpVa,
  explain: (b, _a, c) =>
    b.actFlag(c.actor, L.AF_FROM_GUP)
      ? 'woken: VM_FAULT_RETRY; __get_user_pages_locked retakes mmap_lock, re-walks with FOLL_TRIED'
      : 'woken: VM_FAULT_RETRY; the access retries with FAULT_FLAG_TRIED',
});

export const uffdRead = step({
  name: 'uffd.read',
  fn: 'userfaultfd_ctx_read',
  cite: 'read(uffd): blocks until a fault is on fault_pending_wqh, returns its UFFD_EVENT_PAGEFAULT message and refiles it to fault_wqh (fs/userfaultfd.c)',
  guard: (v, c) => pendingFaults(v, c.mm, c.instr.va) > 0,
  effect(v, c) {
    const o = queueOff(v, c.mm, c.instr.va);
    v.b[o] = v.b[o]! - 1;
    finish(v, c);
  },
  footprint(v, c, out) {
    out.push(fp.pte(v, c.mm, c.instr.va));
    if (c.instr.setupSeq >= 0) out.push(fp.phase);
  },
  explain: (_b, _a, c) => `UFFD_EVENT_PAGEFAULT at ${c.cfg.vas[c.instr.va]}`,
});

/** Why UFFDIO_COPY/ZEROPAGE installs nothing, or '' if it installs. */
function mfillRefusal(v: StateView, c: Ctx): string {
  if (!uffdMissing(v, c.mm, c.instr.va)) return '-ENOENT (no registered VMA)';
  if (v.kind(c.mm, c.instr.va) !== L.PTE_NONE) return '-EEXIST (PTE not none)';
  return '';
}

function fpMfill(v: StateView, c: Ctx, out: number[]): void {
  fpVa(v, c, out);
  out.push(LOC_ALLOC);
}

function explainMfill(b: StateView, a: StateView, c: Ctx): string {
  const r = mfillRefusal(b, c);
  if (r !== '') return `${r}: nothing woken`;
  const va = c.instr.va;
  return `map ${a.pfn(c.mm, va) === L.ZERO_PFN ? 'the zeropage R/O' : `page#${a.pfn(c.mm, va)}${a.writable(c.mm, va) ? ' RW' : ' R/O'}`}, wake_userfault`;
}

export const uffdCopy = step({
  name: 'uffd.copy',
  fn: 'mfill_atomic_pte_copy',
  cite: 'UFFDIO_COPY: mfill_atomic_install_pte (mcopy_atomic_pte before 6.5) under mmap_lock(R) + PTL: -EEXIST unless pte_none; new exclusive anon page (RMAP_EXCLUSIVE: PAE 5.19+), dirty, writable if VM_WRITE; wake_userfault only on success (fs/userfaultfd.c userfaultfd_copy)',
  guard: (v, c) => v.canRead(c.mm) && !v.ptlHeld(c.mm), // the PTL: waits for a split PTL section (layout.ts MM_PTL)
  effect(v, c) {
    if (mfillRefusal(v, c) === '') {
      const m = c.mm;
      const va = c.instr.va;
      const p = allocPage(v, L.CONTENT_MM + m); // the resolver's data, copied from its buffer
      mapNewAnon(v, c, m, va, p, L.PTEF_DIRTY | ((v.vma(m, va) & L.VMA_WRITE) !== 0 ? L.PTEF_WRITE : 0));
      wakeWaiters(v, m, va);
    }
    finish(v, c);
  },
  footprint: fpMfill,
  explain: explainMfill,
});

export const uffdZeropage = step({
  name: 'uffd.zeropage',
  fn: 'mfill_atomic_pte_zeropage',
  cite: 'UFFDIO_ZEROPAGE: mfill_atomic_pte_zeropage (mfill_zeropage_pte before 6.5) under mmap_lock(R) + PTL: the special zeropage PTE R/O unless not pte_none; then wake_userfault',
  guard: (v, c) => v.canRead(c.mm) && !v.ptlHeld(c.mm), // the PTL: waits for a split PTL section (layout.ts MM_PTL)
  effect(v, c) {
    if (mfillRefusal(v, c) === '') {
      v.setPte(c.mm, c.instr.va, L.PTE_PRESENT, L.ZERO_PFN, L.PTEF_SPECIAL);
      wakeWaiters(v, c.mm, c.instr.va);
    }
    finish(v, c);
  },
  footprint: fpMfill,
  explain: explainMfill,
});

export const uffdWake = step({
  name: 'uffd.wake',
  fn: 'userfaultfd_wake',
  cite: 'UFFDIO_WAKE: wake_userfault on the range, no mmap_lock (fs/userfaultfd.c); what a resolver does after -EEXIST/-ENOENT',
  guard: () => true,
  effect(v, c) {
    wakeWaiters(v, c.mm, c.instr.va);
    finish(v, c);
  },
  footprint(v, c, out) {
    out.push(fp.pte(v, c.mm, c.instr.va));
    if (c.instr.setupSeq >= 0) out.push(fp.phase);
  },
  explain: () => 'wake_userfault',
});
