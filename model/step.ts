/**
 * What an atomic step is: guard, effect, label and footprint (DESIGN.md §4).
 *
 * An instruction of an actor's program (config.ts) runs as a short program
 * of steps; the actor's A_STEP field names the next one. Each step is one
 * critical section of the kernel (one PTL section, one lockless read, one
 * atomic RMW), split exactly where reference §E.1 says races live.
 */
import type { ActorConfig, InstrConfig, ModelConfig, PinConfig } from './config.js';
import type { Kernel } from './kernels.js';
import type { StateView } from './view.js';

/** The era's behaviour switches as booleans, precomputed once per run. */
export interface KernelFlags {
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
