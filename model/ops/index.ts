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
import { faultEntry, faultPte } from './fault.js';
import { thpAlloc, thpInstall } from './thpFault.js';
import { collapseFlush, collapseInstall, collapseIsolate, collapseScan, collapseSync } from './khugepaged.js';
import { forkBegin, forkCopy, forkDup, forkEnd } from './fork.js';
import { gupEntry, gupFollow } from './gup.js';
import { gupFastEntry, gupFastFinish, gupFastGrab, gupFastRead, gupFastRecheck, gupFastUnshare } from './gupFast.js';
import { mprotect } from './mprotect.js';
import { unpin } from './unpin.js';
import { dofork, dontfork, mmap, wipeonfork } from './vmaOps.js';
import { wpAlloc, wpInstall, wpLockWait } from './wpFault.js';
import { dontneed, exit, munmap } from './zap.js';
import { ksmReplace, ksmWpCheck, ksmWpClear } from './ksm.js';
import { mremap } from './mremap.js';
import { uffdMoveClear, uffdMoveLock, uffdMovePte } from './uffdMove.js';
import { uprobeClear, uprobeRemap, uprobeReplacePage, uprobeWriteOpcode } from './uprobes.js';
import { uffdCopy, uffdRead, uffdWait, uffdWake, uffdZeropage } from './userfault.js';
import { reclaimAddToSwap, reclaimPageout, reclaimUnmapClear, reclaimUnmapSet } from './reclaim.js';
import { swapinLookup, swapinMap, swapinWp } from './swapin.js';
import { migrateIsolate, migrateMove, migrateUnmapClear, migrateUnmapSet } from './migrate.js';
import { numaModifyProt, numaScan } from './numa.js';

/** Index = step id; id 0 is reserved for "instruction not started". */
export const STEPS: readonly StepDef[] = [
  userRead, userWrite, faultEntry, anonAlloc, anonInstall, wpAlloc, wpInstall,
  forkBegin, forkCopy, forkDup, forkEnd, gupEntry, gupFollow,
  gupFastEntry, gupFastRead, gupFastGrab, gupFastRecheck, gupFastUnshare, gupFastFinish,
  unpin, dmaRead, dmaWrite, dontneed, munmap, exit, mmap, dontfork, dofork, wipeonfork,
  mprotect, signal, wait,
  uffdWait, uffdCopy, uffdZeropage, uffdWake, uffdRead,
  ksmWpClear, ksmWpCheck, ksmReplace, uprobeWriteOpcode, uprobeReplacePage, uprobeClear, uprobeRemap,
  mremap, uffdMoveLock, uffdMoveClear, uffdMovePte,
  faultPte, thpAlloc, thpInstall, collapseScan, collapseFlush, collapseSync, collapseIsolate, collapseInstall,
  reclaimAddToSwap, reclaimUnmapClear, reclaimUnmapSet, reclaimPageout, swapinLookup, swapinMap, swapinWp,
  migrateIsolate, migrateUnmapClear, migrateUnmapSet, migrateMove, numaScan, wpLockWait,
  numaModifyProt,
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
  'uffd-copy': uffdCopy, 'uffd-zeropage': uffdZeropage, 'uffd-wake': uffdWake, 'uffd-read': uffdRead,
  'ksm-merge': ksmWpClear, 'uprobe-register': uprobeWriteOpcode, 'uprobe-unregister': uprobeWriteOpcode,
  mremap, 'uffd-move': uffdMoveLock,
  collapse: collapseScan,
  pageout: reclaimAddToSwap, migrate: migrateIsolate, 'numa-scan': numaScan,
};

/** The first step of an instruction. */
export function entryOf(instr: InstrConfig, cfg: ModelConfig): StepDef {
  if (instr.kind === 'pin') return cfg.pins[instr.pin]!.fast ? gupFastEntry : gupEntry;
  return ENTRY[instr.kind];
}

/** One row of `pincow list ops`: the scenario syntax and the kernel functions behind it. */
export interface OpInfo {
  readonly syntax: string;
  readonly who: 'thread' | 'device' | 'any' | 'ksmd' | 'uprobes' | 'khugepaged' | 'reclaim' | 'migration' | 'numa';
  readonly functions: string;
  readonly ref: string;
}

export const OPS: readonly OpInfo[] = [
  { syntax: 'mmap VA [ro|rw] [dontfork] [wipeonfork]', who: 'thread', functions: 'do_mmap', ref: '§A.2' },
  { syntax: 'mmap VA shared [ro|rw] [dontfork]', who: 'thread', functions: 'do_mmap MAP_SHARED|MAP_ANONYMOUS: shmem_zero_setup; faults: do_read_fault / do_shared_fault, shmem_fault, finish_fault, wp_page_shared; fork: copy_page_range skips it (no anon_vma)', ref: '§A.2, §B.3' },
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
  { syntax: 'mmap VA uffd', who: 'thread', functions: 'userfaultfd_register (UFFDIO_REGISTER_MODE_MISSING); a fault on a none PTE: handle_userfault (drop mmap_lock, sleep, VM_FAULT_RETRY; SIGBUS without FAULT_FLAG_ALLOW_RETRY), retried with FOLL_TRIED / FAULT_FLAG_TRIED', ref: '§B.16' },
  { syntax: 'uffd-copy VA', who: 'thread', functions: 'userfaultfd_copy: mfill_atomic_pte_copy (mcopy_atomic_pte), wake_userfault', ref: '§B.16' },
  { syntax: 'uffd-zeropage VA', who: 'thread', functions: 'userfaultfd_zeropage: mfill_atomic_pte_zeropage, wake_userfault', ref: '§B.16' },
  { syntax: 'uffd-read VA', who: 'thread', functions: 'userfaultfd_read: userfaultfd_ctx_read (block until a fault on VA is pending, refile it)', ref: '§B.16' },
  { syntax: 'uffd-wake VA', who: 'thread', functions: 'userfaultfd_wake: wake_userfault', ref: '§B.16' },
  { syntax: 'join ACTOR', who: 'any', functions: 'test-harness ordering (waits until ACTOR has run its program)', ref: '-' },
  { syntax: 'merge P VA Q VB', who: 'ksmd', functions: 'try_to_merge_two_pages: write_protect_page (ptep_clear_flush, count check, page_try_share_anon_rmap 5.19+), replace_page (pte_same only)', ref: '§B.13' },
  { syntax: 'register P VA|any / unregister P VA|any', who: 'uprobes', functions: 'uprobe_write_opcode, __replace_page (<=6.15); with uprobe-write-rewrite: __uprobe_write_opcode (ptep_clear_flush, write in place)', ref: '§B.15' },
  { syntax: 'mremap VA NEWVA [dontunmap]', who: 'thread', functions: 'mremap: move_vma, move_page_tables, move_ptes (MREMAP_FIXED, MREMAP_DONTUNMAP)', ref: '§B.8' },
  { syntax: 'uffd-move VA DSTVA [to P]', who: 'thread', functions: 'UFFDIO_MOVE: move_pages, move_pages_pte, move_present_pte (folio_maybe_dma_pinned before and after ptep_clear_flush); "to P": the cross-mm proposal', ref: '§B.17' },
  { syntax: 'mmap A thp', who: 'thread', functions: 'a THP-eligible anon VMA of THP_NR subpages A.0, A.1 (region ops: mmap/munmap/madvise/mprotect A; accesses name a subpage)', ref: '§E.4' },
  { syntax: 'write A.i (THP)', who: 'thread', functions: 'do_huge_pmd_anonymous_page, __do_huge_pmd_anonymous_page, do_huge_pmd_wp_page, __split_huge_pmd, handle_pte_fault (VM_FAULT_FALLBACK)', ref: '§B.1, §B.2' },
  { syntax: 'pin/get A.i (THP)', who: 'thread', functions: 'follow_trans_huge_pmd, gup_fast_pmd_leaf (gup_huge_pmd), try_grab_folio (large folio _pincount), PMD recheck in gup_fast_pte_range', ref: '§B.4, §B.5' },
  { syntax: 'fork CHILD (THP)', who: 'thread', functions: 'copy_huge_pmd, page_try_dup_anon_rmap(compound), __split_huge_pmd of maybe-pinned THP', ref: '§B.3' },
  { syntax: 'munmap/madvise/mprotect A or A.i (THP)', who: 'thread', functions: 'zap_huge_pmd, __split_huge_pmd (vma_adjust_trans_huge), change_huge_pmd', ref: '§B.7, §B.12' },
  { syntax: 'pageout P VA', who: 'reclaim', functions: 'shrink_folio_list: add_to_swap (5.11+ skips maybe-pinned), try_to_unmap / try_to_unmap_one (ptep_clear_flush; 5.19+ page_try_share_anon_rmap, swap PTE exclusive bit), pageout, __remove_mapping (refcount freeze)', ref: '§B.9' },
  { syntax: 'read|write VA (swap PTE)', who: 'thread', functions: 'do_swap_page: swap_cache_get_folio / swapin_readahead, reuse_swap_page (<=5.17), page_count()==1 (5.18), pte_swp_exclusive (5.19+), then do_wp_page', ref: '§B.9' },
  { syntax: 'migrate P VA', who: 'migration', functions: 'migrate_pages: migrate_folio_unmap, try_to_migrate / try_to_migrate_one (5.19+ page_try_share_anon_rmap), folio_migrate_mapping (refcount freeze), remove_migration_ptes; faults and slow GUP: migration_entry_wait', ref: '§B.10' },
  { syntax: 'scan P VA', who: 'numa', functions: 'task_numa_work: change_prot_numa, change_pte_range(MM_CP_PROT_NUMA) (skip checks, then ptep_modify_prot_start/commit, not rechecked); the hint fault: do_numa_page; GUP-fast refuses PROT_NONE, slow GUP faults it in', ref: '§B.11' },
  { syntax: 'madvise A collapse', who: 'thread', functions: 'madvise_collapse (MADV_COLLAPSE, 6.1): the same collapse_huge_page on its own mm, without max_ptes_shared', ref: '§B.14' },
  { syntax: 'collapse P A', who: 'khugepaged', functions: 'collapse_huge_page: hpage_collapse_scan_pmd, pmdp_collapse_flush, tlb_remove_table_sync_one, __collapse_huge_page_isolate (is_refcount_suitable), __collapse_huge_page_copy, set_pmd_at', ref: '§B.14' },
];
