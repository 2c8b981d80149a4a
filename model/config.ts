/**
 * The compiled form of a scenario that the model runs: sizes of the
 * instance and each actor's program as a list of instructions with resolved
 * indices. Built by scenario/compile.ts (or by tests directly); static for a
 * whole exploration, so none of it is stored in the packed state.
 */

/** Instruction kinds an actor can execute (one file each under model/ops/). */
export type OpKind =
  | 'mmap'
  | 'read'
  | 'write'
  | 'fork'
  | 'exit'
  | 'munmap'
  | 'dontneed'
  | 'dontfork'
  | 'dofork'
  | 'wipeonfork'
  | 'mprotect'
  | 'pin'
  | 'unpin'
  | 'dma-read'
  | 'dma-write'
  | 'signal'
  | 'wait'
  | 'uffd-copy'
  | 'uffd-zeropage'
  | 'uffd-wake'
  | 'uffd-read'
  | 'collapse'
  | 'ksm-merge'
  | 'uprobe-register'
  | 'uprobe-unregister'
  | 'mremap'
  | 'uffd-move'
  | 'pageout'
  | 'migrate'
  | 'numa-scan';

export interface InstrConfig {
  readonly kind: OpKind;
  /** the virtual page, an index into the scenario's VA names */
  readonly va: number;
  /** `fork`: the child process index */
  readonly child: number;
  /** `pin`/`unpin`/`dma-*`: the pin slot */
  readonly pin: number;
  /** `signal`/`wait`: the event index */
  readonly event: number;
  /**
   * THP regions (model/thp.ts): how many consecutive VAs from `va` a
   * region-level mmap/munmap/madvise/mprotect covers (THP_NR when the
   * instruction names the whole region `A`, 1 for one subpage `A.1`);
   * absent = 1.
   */
  readonly span?: number;
  /** `collapse P A`: the process whose region khugepaged collapses */
  readonly target?: number;
  /**
   * A second location: `merge P A Q B` (ksmd: the page at Q's B is merged
   * into the one at `target`'s `va`), `mremap A B` and `uffd-move A B`
   * (the destination VA). `target` is also the process a daemon's
   * `register P A` (uprobes) acts on, and `uffd-move ... to P`'s
   * destination process.
   */
  readonly target2?: number;
  readonly va2?: number;
  /** `mremap A B dontunmap`: MREMAP_DONTUNMAP */
  readonly dontunmap?: boolean;
  /** `mprotect`: make writable; `mmap`: VM_WRITE */
  readonly writable: boolean;
  /** `mmap`: VMA flags to set (VMA_* of layout.ts) */
  readonly vmaFlags: number;
  /** setup instructions run strictly in this global order before anything else; -1 = main phase */
  readonly setupSeq: number;
  /** where it came from, for traces ("3:2") */
  readonly source: string;
  /** the instruction as written, for traces */
  readonly text: string;
  /**
   * A nondeterministic choice: the actor runs exactly one of these
   * alternatives, picked when the instruction starts (each enabled
   * alternative is one action: actor + nActors * index, model/mmModel.ts).
   * The choice instruction's own kind and operands are then unused; its
   * `text` names the choice. Alternatives are plain instructions (no
   * nested `alts`). Used by open mode (scenario/open.ts) and by `any`
   * targets (scenario/compile.ts anyTargets).
   */
  readonly alts?: readonly InstrConfig[];
  /** As an alternative: offered only when this holds (AltNeed). Never depends on page-frame numbers. */
  readonly needs?: AltNeed;
}

/**
 * Preconditions of a choice alternative, checked only when the choice is
 * made: `pin-free` its pin slot holds nothing (unused, released or failed:
 * a slot is reused after release), `pin-held` its pin slot is held (GUP
 * returned a page), `next-child` its fork child is the lowest process slot
 * not yet created (so children are created in order, one program each).
 */
export type AltNeed = 'pin-free' | 'pin-held' | 'next-child';

export interface PinConfig {
  readonly name: string;
  /** the mm whose VA is pinned (the GUP caller's mm) */
  readonly mm: number;
  readonly va: number;
  /** FOLL_PIN (true) or FOLL_GET (false) */
  readonly foll_pin: boolean;
  /** FOLL_WRITE */
  readonly write: boolean;
  /** GUP-fast first (pin_user_pages_fast), else the slow path */
  readonly fast: boolean;
  /** FOLL_LONGTERM */
  readonly longterm: boolean;
}

export interface ActorConfig {
  /** `P0`, `P0.T1`, `device` */
  readonly name: string;
  /** the process (mm) this thread belongs to; -1 for the device */
  readonly mm: number;
  readonly program: readonly InstrConfig[];
  /**
   * Open mode: the program is *up to* its length — the actor may stop
   * before any choice instruction, so it counts as done there (isFinal,
   * no-deadlock) while it may still go on.
   */
  readonly mayStop?: boolean;
}

export interface ModelConfig {
  /** process names, index = mm id; P0 exists at the start, others are created by fork */
  readonly processes: readonly string[];
  /** VA names (A, B, ...), index = virtual page */
  readonly vas: readonly string[];
  readonly pins: readonly PinConfig[];
  readonly events: readonly string[];
  readonly actors: readonly ActorConfig[];
  /** page frames including frame 0, the shared zeropage */
  readonly frames: number;
  /** number of setup instructions (they run first, in order) */
  readonly setupLength: number;
  /**
   * The scenario's `with` / `without` directives: kernel switches toggled
   * on every era the scenario runs on (MmModel applies them; a switch the
   * command line toggles itself wins). Absent = none.
   */
  readonly kernelWith?: readonly string[];
  readonly kernelWithout?: readonly string[];
  /**
   * THP mappings (`mmap A thp`, model/thp.ts): each region is THP_NR
   * consecutive VAs from `va` (its subpages, named `A.0`, `A.1`, ...).
   * Absent = none, and then nothing of the THP model is in the state.
   */
  readonly thps?: readonly ThpConfig[];
  /** large-folio slots (THP_NR frames each) after the `frames` small frames; absent = 0 */
  readonly largeFolios?: number;
  /**
   * Shared mappings (`mmap A shared`, model/shmem.ts): the VAs some
   * instruction maps MAP_SHARED. Each is one shmem object's page at that
   * offset, with its own page-cache frame after the `frames` small frames
   * (layout.ts shmemBase). Absent = none, and nothing of it is in the state.
   */
  readonly shared?: readonly number[];
}

export interface ThpConfig {
  /** the region's name as written (`A`) */
  readonly name: string;
  /** its first VA (subpage 0) */
  readonly va: number;
}
