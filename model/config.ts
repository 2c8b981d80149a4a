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
  | 'wait';

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
}

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
}
