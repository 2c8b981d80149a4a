/**
 * The packed state: one Uint8Array per state, with a fixed layout computed
 * from the instance sizes. The explorer stores and hashes these bytes; the
 * semantics (model/ops/) read and write them through StateView (view.ts);
 * decode.ts turns them into plain objects where people meet states.
 *
 * Why bytes: DESIGN.md §9 — an immer produce costs ~10 µs, a typed-array
 * copy plus a few writes ~0.07 µs. Every field here is a small integer; the
 * refcount of a small folio is kept as two fields (plain references and
 * FOLL_PIN pins) and recombined as refs + 1024·pins, exactly the kernel's
 * GUP_PIN_COUNTING_BIAS arithmetic, so a byte suffices for each.
 */
import type { ModelConfig } from './config.js';

// ---- global header -------------------------------------------------------
/** setup instructions completed; equals setupLength in the main phase */
export const G_PHASE = 0;
/** one-shot events signalled, a bitmask (up to 8 events) */
export const G_EVENTS = 1;
/** ghost: the first kernel assertion that fired (ASSERT_* codes), 0 = none */
export const G_ASSERT = 2;
/** ghost: a missed COW happened (a write visible to another mm), 1 + writer mm */
export const G_MISSED_COW = 3;
/** ghost: the page frame of that missed COW */
export const G_MISSED_COW_PFN = 4;
/** ghost: a page was freed while still mapped or pinned, 1 + pfn */
export const G_BAD_FREE = 5;
export const HEADER_SIZE = 6;

// ---- per mm (process) ----------------------------------------------------
export const MM_ALIVE = 0; // MM_* life states below
export const MM_HAS_PINNED = 1; // mm->has_pinned (5.9) / MMF_HAS_PINNED (5.14+)
export const MM_WPSEQ = 2; // mm->write_protect_seq, mod 256 (odd = fork copying)
export const MM_MMAP_READERS = 3; // mmap_lock readers
export const MM_MMAP_WRITER = 4; // mmap_lock held for write
export const MM_SIZE = 5;

export const LIFE_NONE = 0;
export const LIFE_FORKING = 1; // being built by dup_mmap
export const LIFE_ALIVE = 2;
export const LIFE_EXITED = 3;

// ---- per (mm, va): the VMA flags and the PTE ------------------------------
export const PT_VMA = 0; // VMA_* flags; 0 = no VMA
export const PT_KIND = 1; // PTE_* kinds
export const PT_PFN = 2;
export const PT_FLAGS = 3; // PTEF_* bits
export const PT_SIZE = 4;

export const VMA_MAPPED = 1;
export const VMA_WRITE = 2; // VM_WRITE (VM_MAYWRITE is implied: private anon)
export const VMA_DONTCOPY = 4; // MADV_DONTFORK
export const VMA_WIPEONFORK = 8; // MADV_WIPEONFORK
export const VMA_UFFD = 16; // userfaultfd-registered (missing)
export const VMA_ANON_VMA = 32; // anon_vma exists (a page was ever faulted in)

export const PTE_NONE = 0;
export const PTE_PRESENT = 1;
export const PTE_SWAP = 2;
export const PTE_MIGRATION = 3;
export const PTE_PROTNONE = 4;

export const PTEF_WRITE = 1;
export const PTEF_DIRTY = 2;
export const PTEF_SPECIAL = 4; // pte_special: the shared zeropage
export const PTEF_SWP_EXCL = 8; // swap PTE exclusive bit (5.19+)

// ---- per page frame ------------------------------------------------------
export const PG_REFS = 0; // refcount minus 1024·PG_PINS
export const PG_PINS = 1; // FOLL_PIN pins (each adds GUP_PIN_COUNTING_BIAS)
export const PG_MAPCOUNT = 2; // page_mapcount()
export const PG_FLAGS = 3; // PGF_* bits
export const PG_CONTENT = 4; // content token (CONTENT_* below)
export const PG_SIZE = 5;

export const PGF_ALLOC = 1; // allocated (refcount > 0 or the zeropage)
export const PGF_ANON = 2;
export const PGF_PAE = 4; // PageAnonExclusive
export const PGF_KSM = 8;
export const PGF_SWAPCACHE = 16;
export const PGF_LOCKED = 32; // page lock

/** The shared zeropage is frame 0. */
export const ZERO_PFN = 0;
export const GUP_PIN_COUNTING_BIAS = 1024;

/** content tokens: 0 zero-filled; CONTENT_MM + m written by mm m; CONTENT_DMA + p written through pin p */
export const CONTENT_ZERO = 0;
export const CONTENT_MM = 1;
export const CONTENT_DMA = 128;

// ---- per pin / reference slot ---------------------------------------------
export const PIN_STATE = 0; // PIN_* states
export const PIN_PFN = 1;
export const PIN_GHOST = 2; // PING_* ghost bits
export const PIN_SIZE = 3;

export const PIN_UNUSED = 0; // not taken yet
export const PIN_HELD = 1;
export const PIN_RELEASED = 2;
export const PIN_FAILED = 3; // GUP returned an error (e.g. -EFAULT)
/** GUP-fast has grabbed but not yet returned: held, but the caller may still drop it */
export const PIN_GRABBED = 4;

/** ghost: userspace itself unmapped/zapped/moved the VA or exited since the pin */
export const PING_USER_UNMAPPED = 1;

// ---- per actor ------------------------------------------------------------
export const A_PC = 0; // instruction index; == program length when finished
export const A_STEP = 1; // step id within the instruction (0 = not started)
export const A_RET = 2; // step to return to after a fault
export const A_FLAGS = 3; // AF_* bits
export const A_ORIG_PFN = 4; // the PTE pfn a fault or GUP-fast saw
export const A_ORIG_PTE = 5; // (kind << 4) | flags of that PTE
export const A_NEW = 6; // page allocated by this actor, 0xff = none
export const A_HOLD = 7; // page this actor holds a transient reference on, 0xff = none
export const A_SEQ = 8; // write_protect_seq snapshot (GUP-fast)
export const A_CUR = 9; // loop cursor (fork: next VA to copy)
export const A_SIZE = 10;

export const NO_PFN = 0xff;

export const AF_WRITE = 1; // the fault is a write fault (FAULT_FLAG_WRITE)
export const AF_UNSHARE = 2; // FAULT_FLAG_UNSHARE
export const AF_FROM_GUP = 4; // the fault was raised by slow GUP (mmap_lock already held)
export const AF_FOLL_WRITE = 8; // GUP with FOLL_WRITE (after the 5.8 forced COW break)
export const AF_SEGV = 16; // the access ended in SIGSEGV
export const AF_DECIDED_COPY = 32; // fork: the per-PTE check decided to copy (pre-5.11 split)
export const AF_DECIDED_SHARE = 64; // fork: the per-PTE check decided to share (pre-5.11 split)

export interface Layout {
  readonly nMm: number;
  readonly nVa: number;
  readonly nFrames: number;
  readonly nPins: number;
  readonly nActors: number;
  readonly mmBase: number;
  readonly ptBase: number;
  readonly pgBase: number;
  readonly pinBase: number;
  readonly actBase: number;
  readonly size: number;
}

export function layoutOf(cfg: ModelConfig): Layout {
  const nMm = cfg.processes.length;
  const nVa = cfg.vas.length;
  const nFrames = cfg.frames;
  const nPins = cfg.pins.length;
  const nActors = cfg.actors.length;
  const mmBase = HEADER_SIZE;
  const ptBase = mmBase + nMm * MM_SIZE;
  const pgBase = ptBase + nMm * nVa * PT_SIZE;
  const pinBase = pgBase + nFrames * PG_SIZE;
  const actBase = pinBase + nPins * PIN_SIZE;
  // Rounded up to whole 32-bit words: the explorer hashes states as Uint32 words.
  const size = (actBase + nActors * A_SIZE + 3) & ~3;
  return { nMm, nVa, nFrames, nPins, nActors, mmBase, ptBase, pgBase, pinBase, actBase, size };
}
