/**
 * What an atomic step is: guard, effect, label and footprint (DESIGN.md §4).
 *
 * An instruction of an actor's program (config.ts) runs as a short program
 * of steps; the actor's A_STEP field names the next one. Each step is one
 * critical section of the kernel (one PTL section, one lockless read, one
 * atomic RMW), split exactly where reference §E.1 says races live.
 */
import type { ActorConfig, InstrConfig, ModelConfig, PinConfig } from './config.js';
import type { Kernel, SwitchName } from './kernels.js';
import type { StateView } from './view.js';

/** The era's behaviour switches as booleans, precomputed once per run. */
export interface KernelFlags extends ThpFlags, SwapFlags {
  readonly forceCowBreak: boolean;
  readonly reuseRefcount: boolean;
  readonly forkCopyPinned: boolean;
  readonly hasPinned: boolean;
  readonly wpSeq: boolean;
  readonly wpFreeSwapcache: boolean;
  readonly pae: boolean;
  readonly unshare: boolean;
  readonly mprotectPaeWritable: boolean;
  readonly longtermUnshareNonanon: boolean;
  /** 4064b9827063/4426e945df58 (5.7): a retry after VM_FAULT_RETRY keeps FAULT_FLAG_ALLOW_RETRY */
  readonly faultRetryMultiple: boolean;
  /** adef440691ba (6.8): the UFFDIO_MOVE ioctl exists (single mm) */
  readonly uffdioMove: boolean;
  /** adef440691ba: folio_maybe_dma_pinned() -> -EBUSY before ptep_clear_flush */
  readonly uffdMovePinCheck: boolean;
  /** adef440691ba: the same check again after ptep_clear_flush (restore, -EBUSY) */
  readonly uffdMovePinRecheck: boolean;
  /** proposal (seed 003, v3): UFFDIO_MOVE across two mms */
  readonly uffdMoveCrossMm: boolean;
  /** 6.16 rewrite of uprobe_write_opcode (no __replace_page) */
  readonly uprobeWriteRewrite: boolean;
  /**
   * proposal (seed 002 RFC): migrate_pages fails early and change_prot_numa
   * skips page_maybe_dma_pinned() pages. Read by migration and NUMA
   * balancing; the RFC touches nothing else (vmscan "already fails
   * eviction", KSM and uprobes were not in its audit).
   */
  readonly avoidUnmapPinned: boolean;
}

/** THP switches (model/thp.ts), kept apart so the list above stays as others extend it. */
export interface ThpFlags {
  /** 3bff7e3f1f16 (5.18): do_huge_pmd_wp_page reuses only if page_count()==1, else splits and falls back */
  readonly thpReuseRefcount: boolean;
  /** d042035eaf5f (5.9): copy_huge_pmd splits a maybe-pinned THP so the PTE copy gives the child its own pages */
  readonly forkSplitPinnedThp: boolean;
  /** 70cbc3cc78a9 (6.0): GUP-fast rechecks the PMD after grabbing */
  readonly gupFastPmdRecheck: boolean;
  /** 2ba99c5e0881: khugepaged's tlb_remove_table_sync_one() after pmdp_collapse_flush */
  readonly collapseIpiSync: boolean;
  /** architecture: the TLB flush IPIs every CPU using the mm, so it waits for IRQ-off GUP-fast (x86) */
  readonly tlbFlushIpi: boolean;
  /** 7d8faaf15545 (6.1): madvise(MADV_COLLAPSE) runs khugepaged's collapse synchronously */
  readonly madvCollapse: boolean;
}

export function flagsOf(k: Kernel): KernelFlags {
  const on = (n: Parameters<typeof k.switches.has>[0]): boolean => k.switches.has(n);
  return {
    forceCowBreak: on('gup-force-cow-break'),
    reuseRefcount: on('wp-reuse-refcount'),
    forkCopyPinned: on('fork-copy-pinned'),
    hasPinned: on('has-pinned'),
    wpSeq: on('write-protect-seq'),
    wpFreeSwapcache: on('wp-free-swapcache'),
    pae: on('anon-exclusive'),
    unshare: on('unshare-fault'),
    mprotectPaeWritable: on('mprotect-pae-writable'),
    longtermUnshareNonanon: on('longterm-unshare-nonanon'),
    faultRetryMultiple: on('fault-retry-multiple'),
    uffdioMove: on('uffdio-move'),
    uffdMovePinCheck: on('uffd-move-pin-check'),
    uffdMovePinRecheck: on('uffd-move-pin-recheck'),
    uffdMoveCrossMm: on('uffd-move-cross-mm'),
    uprobeWriteRewrite: on('uprobe-write-rewrite'),
    avoidUnmapPinned: on('avoid-unmap-pinned'),
    ...thpFlagsOf(on),
    ...swapFlagsOf(on),
  };
}

function thpFlagsOf(on: (n: SwitchName) => boolean): ThpFlags {
  return {
    thpReuseRefcount: on('thp-reuse-refcount'),
    forkSplitPinnedThp: on('fork-split-pinned-thp'),
    gupFastPmdRecheck: on('gup-fast-pmd-recheck'),
    collapseIpiSync: on('khugepaged-ipi-sync'),
    tlbFlushIpi: on('tlb-flush-ipi'),
    madvCollapse: on('madv-collapse'),
  };
}

/** Reclaim/swap, migration and NUMA switches (ops/reclaim.ts, swapin.ts, migrate.ts, numa.ts), kept apart like ThpFlags. */
export interface SwapFlags {
  /** feb889fb40fa (5.11): shrink_page_list keeps maybe-pinned pages out of the swap cache */
  readonly swapSkipPinned: boolean;
  /** c145e0b47c77 (5.18): do_swap_page reuses only if page_count()==1 (before: reuse_swap_page, mapcount + swapcount) */
  readonly swapinReuseRefcount: boolean;
  /** 6c287605fd56 (5.19): try_to_unmap_one/try_to_migrate_one try_share after the clear (restore on a pin); exclusive migration entries */
  readonly unmapTryShare: boolean;
  /** 1493a1913e34 (5.19): the swap PTE exclusive bit, set by try_to_unmap, read by do_swap_page */
  readonly swapPteExclusive: boolean;
  /** 80d47f5de5e3 (5.17): change_prot_numa skips COW pages with page_count()!=1 (before: page_mapcount()!=1) */
  readonly numaSkipRefcount: boolean;
  /** 6.10: ... skips folio_maybe_dma_pinned() || folio_likely_mapped_shared() instead */
  readonly numaSkipPinned: boolean;
  /** 6a56ccbcf6c6 (6.2): do_numa_page restores write by can_change_pte_writable (PAE), not the saved write bit */
  readonly numaRestorePae: boolean;
}

function swapFlagsOf(on: (n: SwitchName) => boolean): SwapFlags {
  return {
    swapSkipPinned: on('swap-skip-pinned'),
    swapinReuseRefcount: on('swapin-reuse-refcount'),
    unmapTryShare: on('unmap-try-share'),
    swapPteExclusive: on('swap-pte-exclusive'),
    numaSkipRefcount: on('numa-skip-refcount'),
    numaSkipPinned: on('numa-skip-pinned'),
    numaRestorePae: on('numa-restore-pae'),
  };
}

/** Everything static a step needs besides the state. Reused across steps (fields reassigned). */
export interface Ctx {
  readonly cfg: ModelConfig;
  readonly k: KernelFlags;
  actor: number;
  ac: ActorConfig;
  instr: InstrConfig;
  /** the actor's mm (-1 for the device) */
  mm: number;
  /** the instruction's pin slot config, when it has one */
  pin: PinConfig | undefined;
}

/** Footprint location kinds, for partial-order reduction and trace slicing. */
export const LOC_MM = 1 << 12; // + mm: mmap_lock, flags, write_protect_seq, life
export const LOC_PTE = 2 << 12; // + mm*nVa+va: the VMA and PTE
export const LOC_PAGE = 3 << 12; // + pfn
export const LOC_PIN = 4 << 12; // + pin slot
export const LOC_EVENTS = 5 << 12;
export const LOC_PHASE = 6 << 12;
export const LOC_ALLOC = 7 << 12; // the free-frame pool

export interface StepDef {
  /** assigned by the registry (ops/index.ts); stored in A_STEP */
  id: number;
  /** stable name, e.g. `wp.decide` */
  readonly name: string;
  /** the kernel function this step models */
  readonly fn: string;
  /** where the behaviour comes from: reference section and commits */
  readonly cite: string;
  /** may the step run now? (locks, conditions) — must not modify v */
  guard(v: StateView, c: Ctx): boolean;
  /** the step's effect on a copy of the state */
  effect(v: StateView, c: Ctx): void;
  /** locations read or written (conservatively: both), as LOC_* codes */
  footprint(v: StateView, c: Ctx, out: number[]): void;
  /** for traces: what the step decided and why, from the state before and after */
  explain?(before: StateView, after: StateView, c: Ctx): string | undefined;
}

/** A step definition before the registry gives it an id. */
export type StepSpec = Omit<StepDef, 'id'>;

export function step(spec: StepSpec): StepDef {
  return { ...spec, id: -1 };
}

export const always = (): boolean => true;
