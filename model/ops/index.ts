/**
 * The ordered registry of steps (ids are indices: part of the trace
 * contract) and, per instruction kind, the step it starts with; plus the
 * operation table behind `pincow list ops` and the scenario compiler.
 */
import type { InstrConfig, ModelConfig, OpKind } from '../config.js';
import type { StepDef } from '../step.js';
import { userRead, userWrite } from './access.js';
import { anonAlloc, anonInstall } from './anonFault.js';
import { dmaRead, dmaWrite } from './dma.js';
import { signal, wait } from './events.js';
import { faultEntry } from './fault.js';
import { forkBegin, forkCopy, forkDup, forkEnd } from './fork.js';
import { gupEntry, gupFollow } from './gup.js';
import { gupFastEntry, gupFastFinish, gupFastGrab, gupFastRead, gupFastRecheck, gupFastUnshare } from './gupFast.js';
import { mprotect } from './mprotect.js';
import { unpin } from './unpin.js';
import { dofork, dontfork, mmap, wipeonfork } from './vmaOps.js';
import { wpAlloc, wpInstall } from './wpFault.js';
import { dontneed, exit, munmap } from './zap.js';

/** Index = step id; id 0 is reserved for "instruction not started". */
export const STEPS: readonly StepDef[] = [
  userRead, userWrite, faultEntry, anonAlloc, anonInstall, wpAlloc, wpInstall,
  forkBegin, forkCopy, forkDup, forkEnd, gupEntry, gupFollow,
  gupFastEntry, gupFastRead, gupFastGrab, gupFastRecheck, gupFastUnshare, gupFastFinish,
  unpin, dmaRead, dmaWrite, dontneed, munmap, exit, mmap, dontfork, dofork, wipeonfork,
  mprotect, signal, wait,
];
STEPS.forEach((s, i) => { s.id = i + 1; });

export function stepById(id: number): StepDef {
  const s = STEPS[id - 1];
  if (!s) throw new Error(`pincow internal error: no step ${id}`);
  return s;
}

const ENTRY: Record<Exclude<OpKind, 'pin'>, StepDef> = {
  mmap, read: userRead, write: userWrite, fork: forkBegin, exit, munmap, dontneed, dontfork, dofork, wipeonfork,
  mprotect, unpin, 'dma-read': dmaRead, 'dma-write': dmaWrite, signal, wait,
};

/** The first step of an instruction. */
export function entryOf(instr: InstrConfig, cfg: ModelConfig): StepDef {
  if (instr.kind === 'pin') return cfg.pins[instr.pin]!.fast ? gupFastEntry : gupEntry;
  return ENTRY[instr.kind];
}

/** One row of `pincow list ops`: the scenario syntax and the kernel functions behind it. */
export interface OpInfo {
  readonly syntax: string;
  readonly who: 'thread' | 'device' | 'any';
  readonly functions: string;
  readonly ref: string;
}

export const OPS: readonly OpInfo[] = [
  { syntax: 'mmap VA [ro|rw] [dontfork] [wipeonfork]', who: 'thread', functions: 'do_mmap', ref: '§A.2' },
  { syntax: 'read VA', who: 'thread', functions: 'handle_mm_fault, do_anonymous_page (zeropage)', ref: '§B.1' },
  { syntax: 'write VA', who: 'thread', functions: 'handle_mm_fault, do_anonymous_page, do_wp_page, wp_page_copy', ref: '§B.1, §B.2' },
  { syntax: 'fork CHILD', who: 'thread', functions: 'dup_mmap, copy_page_range, copy_present_pte, copy_present_page, write_protect_seq', ref: '§B.3' },
  { syntax: 'exit', who: 'thread', functions: 'exit_mmap, zap_pte_range', ref: '§B.7' },
  { syntax: 'munmap VA', who: 'thread', functions: 'do_vmi_munmap, zap_pte_range', ref: '§B.7' },
  { syntax: 'madvise VA dontneed', who: 'thread', functions: 'madvise_dontneed_single_vma, zap_pte_range', ref: '§B.7' },
  { syntax: 'madvise VA dontfork|dofork|wipeonfork', who: 'thread', functions: 'madvise_vma_behavior (VM_DONTCOPY, VM_WIPEONFORK)', ref: '§A.2' },
  { syntax: 'mprotect VA ro|rw', who: 'thread', functions: 'change_pte_range, can_change_pte_writable', ref: '§B.12' },
  { syntax: 'pin VA ro|rw [longterm] [as NAME]', who: 'thread', functions: 'pin_user_pages: __get_user_pages, follow_page_pte, faultin_page, gup_must_unshare', ref: '§B.4' },
  { syntax: 'pin VA ro|rw fast [longterm] [as NAME]', who: 'thread', functions: 'pin_user_pages_fast: gup_fast_pte_range, try_grab_folio_fast, write_protect_seq', ref: '§B.5' },
  { syntax: 'get VA ro|rw [fast] [as NAME]', who: 'thread', functions: 'get_user_pages(_fast) FOLL_GET (vmsplice, O_DIRECT)', ref: '§B.4, §B.5' },
  { syntax: 'unpin PIN', who: 'any', functions: 'unpin_user_page, sanity_check_pinned_pages', ref: '§B.6' },
  { syntax: 'put PIN', who: 'any', functions: 'put_page of a FOLL_GET reference', ref: '§B.6' },
  { syntax: 'dma-read PIN', who: 'device', functions: 'device DMA read of the pinned frame', ref: '§E.2.1' },
  { syntax: 'dma-write PIN', who: 'device', functions: 'device DMA write of the pinned frame', ref: '§E.2.1' },
  { syntax: 'signal EVENT / wait EVENT', who: 'any', functions: 'test-harness ordering (one-shot events)', ref: '-' },
  { syntax: 'join ACTOR', who: 'any', functions: 'test-harness ordering (waits until ACTOR has run its program)', ref: '-' },
];
