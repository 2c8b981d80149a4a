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
/**
 * The page-table lock of the mm's PTE table, held across steps by a PTL
 * section the model splits for GUP-fast's sake (KSM write_protect_page,
 * UFFDIO_MOVE, the 6.16 uprobes write, reference §E.1): nonzero while held.
 * One lock per mm is faithful: a scenario's few VAs share one PTE table
 * (split PTE locks are per table). Steps that take the PTL wait on it
 * (ops/common.ts ptlFree); GUP-fast, being lockless, does not.
 */
export const MM_PTL = 5;
export const MM_SIZE = 6;

export const LIFE_NONE = 0;
export const LIFE_FORKING = 1; // being built by dup_mmap
export const LIFE_ALIVE = 2;
export const LIFE_EXITED = 3;

// ---- per (mm, va): the VMA flags and the PTE ------------------------------
export const PT_VMA = 0; // VMA_* flags; 0 = no VMA
export const PT_KIND = 1; // PTE_* kinds
export const PT_PFN = 2;
export const PT_FLAGS = 3; // PTEF_* bits
/**
 * The userfaultfd wait queue of this (mm, va) (model/ops/userfault.ts): low
 * nibble, faults asleep in handle_userfault whose message no read(uffd) has
 * taken (fault_pending_wqh); high nibble, wake_userfault count mod 16 (a
 * sleeping fault wakes when it moves on). Stays 0 without userfaultfd.
 */
export const PT_UFFD = 4;
export const PT_SIZE = 5;

export const VMA_MAPPED = 1;
export const VMA_WRITE = 2; // VM_WRITE (VM_MAYWRITE is implied: private anon)
export const VMA_DONTCOPY = 4; // MADV_DONTFORK
export const VMA_WIPEONFORK = 8; // MADV_WIPEONFORK
export const VMA_UFFD = 16; // userfaultfd-registered (missing)
export const VMA_ANON_VMA = 32; // anon_vma exists (a page was ever faulted in)
/**
 * VM_SHARED|VM_MAYSHARE: mmap(MAP_SHARED|MAP_ANONYMOUS), backed by a shmem
 * object (shmem_zero_setup) whose page cache holds one page per VA
 * (model/shmem.ts). Not a COW mapping (is_cow_mapping() is false): faults
 * map the page-cache page, fork copies no PTE, writes are seen by every
 * mapping. Never has an anon_vma.
 */
export const VMA_SHARED = 64;

export const PTE_NONE = 0;
export const PTE_PRESENT = 1;
/**
 * A swap entry (reference §B.9; model/swap.ts): PT_PFN names the swap slot
 * by a page frame — the folio in the swap cache (PGF_SWAPCACHE, the cache
 * holding one reference), or, once reclaim wrote it out and freed it, the
 * frame kept as PGF_SWAPSLOT holding only the content. No refcount or
 * mapcount; the slot's swap count is the number of swap PTEs naming it.
 * PTEF_SWP_EXCL is pte_swp_exclusive (5.19+, 1493a1913e34).
 */
export const PTE_SWAP = 2;
/**
 * A migration entry (reference §B.10): PT_PFN is the page under migration
 * (isolated, locked; the entry holds no reference or mapcount). PTEF_WRITE
 * = a writable entry, PTEF_SWP_EXCL = readable_exclusive (5.19+), neither =
 * readable; PTEF_DIRTY as the PTE had it. Faults and slow GUP wait on it
 * (migration_entry_wait); remove_migration_ptes turns it back into a PTE.
 */
export const PTE_MIGRATION = 3;
/**
 * A NUMA-hinting PROT_NONE PTE (reference §B.11): still mapped (rmap,
 * mapcount, reference as a present PTE), but every access faults into
 * do_numa_page and GUP-fast refuses it. PTEF_WRITE is the saved write bit
 * (pte_savedwrite, until 6a56ccbcf6c6 in 6.2); it never makes it writable.
 */
export const PTE_PROTNONE = 4;
/**
 * ptep_clear_flush'd inside a PTL section that is split for GUP-fast (KSM,
 * UFFDIO_MOVE, uprobes 6.16): GUP-fast and the MMU see no PTE, but the
 * rmap and the PTE's page reference are still held (the pfn and flags are
 * kept here) and the PTL holder (MM_PTL) restores or replaces it before it
 * drops the lock. It resolves to its page (pin-coherent), it is not present
 * (pin-stays-mapped).
 */
export const PTE_CLEARED = 5;

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
/**
 * Not a page: a swap slot whose folio reclaim freed (model/swap.ts). Only
 * PG_CONTENT is kept (what the swap device holds); the frame is reserved
 * until the last swap PTE naming it goes, and a swap-in makes it a page again.
 * Symmetry (model/symmetry.ts) would see a slot as a referenced frame without
 * PGF_ALLOC; configurations with a reclaim daemon are not in porSupport.ts
 * KNOWN, so neither POR nor symmetry runs where a slot can exist.
 */
export const PGF_SWAPSLOT = 64;
/**
 * A shmem page in the page cache of a shared mapping (model/shmem.ts):
 * not PGF_ANON, and the page cache holds one reference on it (as the swap
 * cache does for PGF_SWAPCACHE). Cleared when the shmem object dies (its
 * last VMA goes: shmem_truncate_range); a page a pin still holds then lives
 * on outside the cache until unpinned.
 */
export const PGF_SHMEM = 128;

// ---- THP (model/thp.ts): large folios and PMD entries ----------------------
/**
 * Subpages of a THP: a "folio of a few subpages" standing for HPAGE_PMD_NR
 * (reference §E.4). Large folios live in frames [largeBase, nFrames), each
 * folio THP_NR consecutive frames starting at an even offset there (the
 * buddy allocator's alignment), so "is this frame part of a large folio"
 * and "its head" are arithmetic on the pfn: no flag bit, no byte per frame,
 * and configurations without THP have no such frames at all.
 *
 * Folio-wide fields live on the head frame: PG_REFS is the folio refcount
 * minus its pins, PG_PINS is folio->_pincount (a FOLL_PIN adds 1 to both
 * pincount and refcount for a large folio: try_grab_folio, reference §A.1).
 * PG_MAPCOUNT stays per subpage (PTE mappings); the entire mapcount (PMD
 * mappings) is PG_REFS of the first tail frame, where the kernel keeps
 * _entire_mapcount (page[1]). PGF_PAE is per subpage; while the folio is
 * PMD-mapped the model keeps every subpage's bit equal to the head's (the
 * kernel reads the head for PMD mappings and copies it to each subpage on
 * __split_huge_pmd, so the copies are observably the same).
 */
export const THP_NR = 2;
/** the entire mapcount, on the first tail frame */
export const PG_ENTIRE_MAPCOUNT = PG_REFS;

/** per (mm, THP region): the PMD entry covering the region's THP_NR VAs */
export const PMD_KIND = 0; // PMD_* kinds
export const PMD_PFN = 1; // PMD_HUGE: the head frame
export const PMD_FLAGS = 2; // PTEF_WRITE | PTEF_DIRTY of a huge PMD
export const PMD_SIZE = 3;

export const PMD_NONE = 0; // pmd_none: no page table, no huge page (a THP fault may allocate one)
export const PMD_TABLE = 1; // points to a PTE table (the region's PTEs in the PT section)
export const PMD_HUGE = 2; // maps the whole folio (pmd_trans_huge)
/** cleared by khugepaged's pmdp_collapse_flush: pmd_none to walkers, the detached PTE table kept intact */
export const PMD_DETACHED = 3;

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
/**
 * ghost: where the pinned VA went: 0 = the pin's own VA (config), else
 * 1 + the VA mremap moved it to (the pin follows move_ptes, reference §B.8)
 */
export const PIN_VA = 3;
export const PIN_SIZE = 4;

export const PIN_UNUSED = 0; // not taken yet
export const PIN_HELD = 1;
export const PIN_RELEASED = 2;
export const PIN_FAILED = 3; // GUP returned an error (e.g. -EFAULT)
/** GUP-fast has grabbed but not yet returned: held, but the caller may still drop it */
export const PIN_GRABBED = 4;

/** ghost: userspace itself unmapped/zapped/moved the VA or exited since the pin */
export const PING_USER_UNMAPPED = 1;
/** ghost: KSM's replace_page replaced the page while this pin held it (ksm-not-exclusive) */
export const PING_KSM_REPLACED = 4;

// ---- per actor ------------------------------------------------------------
export const A_PC = 0; // instruction index; == program length when finished
export const A_STEP = 1; // step id within the instruction (0 = not started)
export const A_RET = 2; // step to return to after a fault
export const A_FLAGS = 3; // AF_* bits
export const A_ORIG_PFN = 4; // the PTE pfn a fault or GUP-fast saw
export const A_ORIG_PTE = 5; // (kind << 4) | flags of that PTE
export const A_NEW = 6; // page allocated by this actor, 0xff = none
export const A_HOLD = 7; // page this actor holds a transient reference on, 0xff = none
export const A_SEQ = 8; // write_protect_seq snapshot (GUP-fast); a sleeping userfault: the wake count it saw (ops/userfault.ts)
export const A_CUR = 9; // loop cursor (fork: next VA to copy)
/** GUP-fast only (it has no loop): (PMD kind << 4) | PMD flags as read with the PTE, for the PMD recheck (model/thp.ts) */
export const A_ORIG_PMD = A_CUR;
/**
 * Clear-then-check daemons only (ops/rmapWalk.ts try_to_unmap_one /
 * try_to_migrate_one, ops/ksm.ts write_protect_page; they take no GUP-fast
 * seq nor userfault): 1 if anon_exclusive (PageAnonExclusive, 5.19+) was
 * read before ptep_clear_flush, as the kernel reads it; 0 otherwise and
 * outside that window.
 */
export const A_ANON_EXCL = A_SEQ;
/**
 * The alternative chosen when a choice instruction (config.ts `alts`)
 * started, so its later steps run the same alternative; 0 otherwise (and
 * between instructions: finish() clears it, so plain scenarios never set it).
 */
export const A_CHOICE = 10;
export const A_SIZE = 11;

export const NO_PFN = 0xff;

export const AF_WRITE = 1; // the fault is a write fault (FAULT_FLAG_WRITE)
export const AF_UNSHARE = 2; // FAULT_FLAG_UNSHARE
export const AF_FROM_GUP = 4; // the fault was raised by slow GUP (mmap_lock already held)
export const AF_FOLL_WRITE = 8; // GUP with FOLL_WRITE (after the 5.8 forced COW break)
export const AF_SEGV = 16; // the access ended in SIGSEGV
export const AF_DECIDED_COPY = 32; // fork: the per-PTE check decided to copy (pre-5.11 split)
export const AF_DECIDED_SHARE = 64; // fork: the per-PTE check decided to share (pre-5.11 split)
/** FOLL_TRIED / FAULT_FLAG_TRIED: this GUP or fault is a retry after VM_FAULT_RETRY (model/ops/userfault.ts) */
export const AF_TRIED = 128;

// ---- fields that hold page-frame numbers (symmetry reduction) -------------
/**
 * One field that holds a page-frame number. Symmetry reduction
 * (model/symmetry.ts) renames page frames, so it must rewrite every such
 * field: the value is `pfn + offset`; NO_PFN, 0 (the shared zeropage, never
 * renamed) and values below `offset` are not renamed.
 */
export interface PfnField {
  readonly region: 'header' | 'mm' | 'pte' | 'page' | 'pin' | 'actor';
  readonly field: number;
  readonly offset: number;
  /** a pfn only while this field of the same record holds one of these values (e.g. a swap slot kept in PT_PFN) */
  readonly when?: { readonly field: number; readonly values: readonly number[] };
  /** written once and read by no step's guard or effect, only by invariants (== 0 or not) and traces */
  readonly ghost: boolean;
}

/**
 * EVERY FIELD THAT CAN HOLD A PFN, for symmetry reduction. Adding a field
 * anywhere in this file: if it can hold a pfn, list it here; either way,
 * set its region's count in PFN_FIELDS_REVIEWED to the new size once you
 * have looked. A region whose size differs from its reviewed count, or a
 * Layout member model/symmetry.ts does not know (a new per-frame region),
 * turns symmetry off for every configuration: safe, only slower. Steps
 * must treat pfns as names (compare them for equality, never order them or
 * compute with them); allocPage's lowest-free choice is the one exception,
 * and model/symmetry.ts accounts for it.
 */
export const PFN_FIELDS: readonly PfnField[] = [
  { region: 'header', field: G_MISSED_COW_PFN, offset: 0, ghost: true },
  { region: 'header', field: G_BAD_FREE, offset: 1, ghost: true },
  { region: 'pte', field: PT_PFN, offset: 0, ghost: false }, // 0 when PTE_NONE (setPte)
  { region: 'pin', field: PIN_PFN, offset: 0, ghost: false },
  { region: 'actor', field: A_ORIG_PFN, offset: 0, ghost: false },
  { region: 'actor', field: A_NEW, offset: 0, ghost: false },
  { region: 'actor', field: A_HOLD, offset: 0, ghost: false },
];

/*
 * THP is deliberately absent from PFN_FIELDS: the PMD section's PMD_PFN
 * holds a folio's head frame, and a large folio is THP_NR consecutive frames
 * from largeBase whose head is computed from the pfn (StateView.head), so
 * pfn renaming would have to move whole aligned folios and keep them in
 * the large-folio area. model/symmetry.ts (and model/porSupport.ts) turn
 * their reduction off for any configuration with THP regions (lay.nThp > 0
 * or largeBase !== nFrames): explored in full, safely.
 */

/** The region sizes PFN_FIELDS was last reviewed against (see above). */
export const PFN_FIELDS_REVIEWED = { header: 6, mm: 6, pte: 5, page: 5, pin: 4, actor: 11 } as const;

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
  /** THP regions (config.ts `thps`), 0 without THP */
  readonly nThp: number;
  /** first frame of the large-folio area (== nFrames without THP) */
  readonly largeBase: number;
  /** the PMD section: nMm * nThp entries of PMD_SIZE */
  readonly pmdBase: number;
  /** per VA: the THP region it belongs to, or -1 */
  readonly vaRegion: Int8Array;
  /** per THP region: its first VA (subpage 0) */
  readonly thpVa: readonly number[];
  /**
   * First page-cache frame of shared mappings (model/shmem.ts): small
   * anon pages are allocated from [1, shmemBase); == largeBase without
   * shared mappings, so other configurations are unchanged.
   */
  readonly shmemBase: number;
  /** per VA: its page-cache frame (config.ts `shared`), or -1 */
  readonly vaShmem: Int16Array;
}

export function layoutOf(cfg: ModelConfig): Layout {
  const nMm = cfg.processes.length;
  const nVa = cfg.vas.length;
  const thps = cfg.thps ?? [];
  const nThp = thps.length;
  // Shared mappings (config.ts `shared`): one page-cache frame per VA, between the small and the large frames.
  const shared = cfg.shared ?? [];
  const shmemBase = cfg.frames;
  const largeBase = cfg.frames + shared.length;
  const vaShmem = new Int16Array(cfg.vas.length).fill(-1);
  shared.forEach((va, i) => { vaShmem[va] = shmemBase + i; });
  const nFrames = largeBase + THP_NR * (cfg.largeFolios ?? 0);
  const nPins = cfg.pins.length;
  const nActors = cfg.actors.length;
  const mmBase = HEADER_SIZE;
  const ptBase = mmBase + nMm * MM_SIZE;
  const pgBase = ptBase + nMm * nVa * PT_SIZE;
  const pinBase = pgBase + nFrames * PG_SIZE;
  const actBase = pinBase + nPins * PIN_SIZE;
  // Rounded up to whole 32-bit words: the explorer hashes states as Uint32 words.
  // The PMD section comes last, empty without THP, so other layouts are unchanged.
  const pmdBase = actBase + nActors * A_SIZE;
  const size = (pmdBase + nMm * nThp * PMD_SIZE + 3) & ~3;
  const vaRegion = new Int8Array(nVa).fill(-1);
  thps.forEach((t, r) => { for (let i = 0; i < THP_NR; i++) vaRegion[t.va + i] = r; });
  return {
    nMm, nVa, nFrames, nPins, nActors, mmBase, ptBase, pgBase, pinBase, actBase, size,
    nThp, largeBase, pmdBase, vaRegion, thpVa: thps.map((t) => t.va), shmemBase, vaShmem,
  };
}
