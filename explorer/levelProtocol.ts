/**
 * The protocol between the parallel BFS's coordinating thread
 * (explorer/parallel.ts) and its level workers (explorer/levelWorker.ts):
 * the shared control words, the phases, the messages, how chunks are
 * shared out, and how a growth's rehash is. Kept apart from the worker's
 * own expand/place logic.
 */
import { SLOT_WORDS } from './sharedTable.js';
import type { SharedTable } from './sharedTable.js';

/** Indices of the control words (an Int32Array over a SharedArrayBuffer) the coordinator and the workers share. */
export const C = {
  /** phase generation: the coordinator bumps it to start a phase */
  GEN: 0,
  PHASE: 1,
  /** workers that finished the current phase */
  DONE: 2,
  /** bumped (and notified) by a worker whenever the coordinator should look: done, parked, ready, failed */
  EVENT: 3,
  /** entries written to the level's claims log (LevelMsg.claims), possibly more than it holds */
  CLAIMS: 4,
  /** set by the coordinator: take no more chunks */
  STOP: 5,
  /** entries in the table */
  TSIZE: 6,
  /** a worker asks for a bigger table */
  GROW: 7,
  PARKED: 8,
  /** bumped when a grown table is ready */
  GROWGEN: 9,
  ERROR: 10,
  READY: 11,
  /** smallest frontier position of a deadlocked state this level */
  DEADLOCK: 12,
  /** new states seen beyond the depth bound (last level) */
  BEYOND: 13,
  /** grow once TSIZE + the reserve passes this */
  GROWAT: 14,
  /** successors the participants' chunks in progress may insert at most (participants x the largest chunk's states x action count): the headroom kept free */
  RESERVE: 15,
  /** a worker met a state where symmetry is unsafe (Model.symmetrySafe) */
  UNSAFE: 16,
  /** POR statistics summed over the workers */
  AMPLE: 17,
  FULL: 18,
  /** a growth's rehash is shared (rehashShare): set while the parked workers take parts */
  REHASH: 19,
  REHASH_PARTS: 20,
  /** the next part to take */
  REHASH_NEXT: 21,
  /** workers done with their parts */
  REHASHED: 22,
  /** NEXT + i: the next chunk of participant i's range (participants: the coordinator 0, the workers 1..) */
  NEXT: 32,
  /** PRIV + i: the bytes participant i holds (its arenas and columns), in KiB (stored after each phase, for bytes/state) */
  PRIV: 32 + 64,
  SIZE: 32 + 64 + 64,
} as const;

/**
 * The chunks of participant i of P: a contiguous range. Each takes its
 * own range in order and then helps the others, taking their next chunks.
 * Contiguous ranges matter: when two threads expand neighbouring chunks
 * at once, the later one often reaches a shared successor first and the
 * earlier one must claim it back (sharedTable.ts), and a chunk with a
 * claimed record has to look its records up in the table again in PLACE.
 */
export function rangeStart(i: number, participants: number, nChunks: number): number {
  return Math.floor((i * nChunks) / participants);
}

export const PHASE_EXPAND = 1;
export const PHASE_PLACE = 2;
export const PHASE_QUIT = 3;

export const NONE = 0x7fffffff;
/** viol[p] for a property already violated in an earlier level: not checked any more */
export const FOUND_EARLIER = -1;

/**
 * A level to expand (posted to the workers; SharedArrayBuffers are shared,
 * not copied). Its states are blocks of delta-encoded records
 * (explorer/levelBlocks.ts) in the arenas of the participants that wrote
 * them (read in place: no copy), in chunk order of the level before; a
 * chunk of this level is a run of whole blocks.
 */
export interface LevelMsg {
  readonly kind: 'level';
  readonly level: number;
  /** tag of the level's chunk 0 */
  readonly base: number;
  readonly count: number;
  readonly nChunks: number;
  /** the depth bound's level: only learn whether new states lie beyond */
  readonly probe: boolean;
  /** threads expanding this level (the coordinator and, for big levels, the workers) */
  readonly participants: number;
  /** a chunk's successors are encoded in blocks of this many records (the last may hold fewer): the next level's chunks are runs of them */
  readonly blockRecords: number;
  /** the buffers holding the blocks */
  readonly arenas: readonly SharedArrayBuffer[];
  /** per block: its arena, first byte and end (64-bit floats: an arena may pass 2 GiB) */
  readonly blockArena: Int32Array;
  readonly blockStart: Float64Array;
  readonly blockEnd: Float64Array;
  /** first block of chunk c (nChunks + 1 entries) */
  readonly chunkBlock: Int32Array;
  /** position of chunk c's first state in the level (nChunks + 1 entries) */
  readonly chunkPos: Int32Array;
  /** per frontier state, the successors it generated (its transitions; with POR, the ample set and any proviso extras): succView */
  readonly succ: SharedArrayBuffer;
  /** per chunk: written by EXPAND, its records; rewritten by the coordinator before PLACE, its first position in the next level */
  readonly counts: SharedArrayBuffer;
  /** per chunk, its records that a smaller chunk claimed since (atomic adds) */
  readonly dropped: SharedArrayBuffer;
  /**
   * The claims log: per claim (sharedTable.ts CLAIMED), the state's hi
   * fingerprint and the chunk it was claimed from, CLAIM_WORDS words at
   * the index an atomic add on C.CLAIMS gave; entries past its end are
   * not written (NextMsg.claims says whether it holds them all). PLACE
   * finds a chunk's dead records by it instead of looking every record
   * of the chunk up in the table (levelRecords.ts).
   */
  readonly claims: SharedArrayBuffer;
}

/** Words per claims-log entry: hi, chunk. */
export const CLAIM_WORDS = 2;
/** the claims log's room: entries per frontier state, and at least */
const CLAIMS_PER_STATE = 0.25;
const CLAIMS_MIN = 256;

/**
 * A level's claims log (LevelMsg.claims) for a frontier of `count` states,
 * with room for `capacity` entries if given (a test hook). Claims are ~5%
 * of a level's new states in open mode: room for a quarter of the
 * frontier's count is ample, and an overflow only costs PLACE its table
 * look-ups.
 */
export function claimsLog(count: number, capacity?: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CLAIM_WORDS * 4 * (capacity ?? Math.max(CLAIMS_MIN, Math.ceil(count * CLAIMS_PER_STATE))));
}

/** The entries of a level's claims log after EXPAND (C.CLAIMS), or -1 if more claims were made than it holds. */
export function claimsHeld(ctl: Int32Array, log: SharedArrayBuffer): number {
  const n = Atomics.load(ctl, C.CLAIMS);
  return n * CLAIM_WORDS * 4 <= log.byteLength ? n : -1;
}

export interface TableMsg {
  readonly kind: 'table';
  readonly buf: SharedArrayBuffer;
}

/** Where PLACE writes the next level's paths and block table. */
export interface NextMsg {
  readonly kind: 'next';
  /** per state: its parent's position (Int32) */
  readonly parent: SharedArrayBuffer;
  /** per state: the action into it (actionView) */
  readonly action: SharedArrayBuffer;
  /** chunk c's first block in the next level (nChunks + 1 entries): it has ceil(records / blockRecords) */
  readonly firstBlock: Int32Array;
  /** per block of the next level, written by PLACE: its kept records (Int32), its arena (the writer's participant number, Int32), first byte and end (Float64) */
  readonly blockKept: SharedArrayBuffer;
  readonly blockArena: SharedArrayBuffer;
  readonly blockStart: SharedArrayBuffer;
  readonly blockEnd: SharedArrayBuffer;
  /** entries in the level's claims log (LevelMsg.claims), or -1 if it overflowed (PLACE then looks records up in the table) */
  readonly claims: number;
}

/** A growth rehashed in parts by the coordinator and the parked workers (rehashShare): the new table, and where each part leaves its spilled entries. */
export interface RehashMsg {
  readonly kind: 'rehash';
  readonly buf: SharedArrayBuffer;
  readonly spill: SharedArrayBuffer;
}

export type HostMsg = LevelMsg | TableMsg | NextMsg | RehashMsg;

/**
 * A worker thread's arena for the levels of a parity (even or odd) was
 * replaced by a bigger one (or is new): posted to the coordinator, which
 * names it in the next level's message. Only its writer touches an arena
 * while the level it holds is written, so the coordinator learns of it
 * after the phase.
 */
export interface ArenaMsg {
  readonly kind: 'arena';
  readonly parity: number;
  readonly buf: SharedArrayBuffer;
}

/** entries a part of a rehash may spill (SharedTable.rehashPart); more, and the coordinator rehashes alone */
export const SPILL_ROOM = 1024;
/** words per part in a rehash's spill buffer: the count (0xffffffff: overflowed), then the entries */
export const SPILL_STRIDE = 1 + SLOT_WORDS * SPILL_ROOM;

/**
 * Take parts of the rehash in progress (the REHASH control words) until
 * none is left: each part's entries go to `into`, its spills to its place
 * in `spill`.
 */
export function rehashShare(ctl: Int32Array, old: SharedTable, into: SharedTable, spill: Uint32Array): void {
  const parts = Atomics.load(ctl, C.REHASH_PARTS);
  for (;;) {
    const p = Atomics.add(ctl, C.REHASH_NEXT, 1);
    if (p >= parts) return;
    const n = into.rehashPart(old, p, parts, spill, p * SPILL_STRIDE + 1, SPILL_ROOM);
    spill[p * SPILL_STRIDE] = n < 0 ? 0xffffffff : n;
  }
}

/** After every part of a rehash: insert the spilled entries, or (a part overflowed) rehash everything alone. */
export function finishRehash(old: SharedTable, into: SharedTable, spill: Uint32Array, parts: number): void {
  for (let p = 0; p < parts; p++) {
    if (spill[p * SPILL_STRIDE] === 0xffffffff) {
      into.rehashAll(old);
      return;
    }
  }
  for (let p = 0; p < parts; p++) into.insertAll(spill, p * SPILL_STRIDE + 1, spill[p * SPILL_STRIDE]!);
}

/** Atomic min on an Int32Array cell. */
export function atomicMin(a: Int32Array, i: number, x: number): void {
  let cur = Atomics.load(a, i);
  while (x < cur) {
    const prev = Atomics.compareExchange(a, i, cur, x);
    if (prev === cur) return;
    cur = prev;
  }
}

/** Bytes per action id in a level's action column: one when the model has at most 256 actions (as explorer/bfs.ts does). */
export function actionBytes(actionCount: number): number {
  return actionCount <= 256 ? 1 : 4;
}

export function actionView(buf: SharedArrayBuffer, actionCount: number, length?: number): Uint8Array | Int32Array {
  return actionCount <= 256 ? new Uint8Array(buf, 0, length) : new Int32Array(buf, 0, length);
}

/** A state's successors are at most its enabled actions: the succ column's entry is as narrow as that allows. */
export function succBytes(actionCount: number): number {
  return actionCount <= 0xff ? 1 : actionCount <= 0xffff ? 2 : 4;
}

export function succView(buf: SharedArrayBuffer, actionCount: number): Uint8Array | Uint16Array | Int32Array {
  const b = succBytes(actionCount);
  return b === 1 ? new Uint8Array(buf) : b === 2 ? new Uint16Array(buf) : new Int32Array(buf);
}

/** The transitions taken from the first `n` states of a level: the sum of their entries in the succ column. */
export function transitionsOf(succ: Uint8Array | Uint16Array | Int32Array, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += succ[i]!;
  return t;
}

/** The states of a level whose parent is at a position <= x: a binary search in its parent column, which is nondecreasing. */
export function childrenUpTo(parent: Int32Array, x: number): number {
  let lo = 0;
  let hi = parent.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (parent[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
