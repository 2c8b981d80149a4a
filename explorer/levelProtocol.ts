/**
 * The protocol between the parallel BFS's coordinating thread
 * (explorer/parallel.ts) and its level workers (explorer/levelWorker.ts):
 * the shared control words, the phases, the messages, and how chunks are
 * shared out. Kept apart from the worker's own expand/place logic.
 */

/** Indices of the control words (an Int32Array over a SharedArrayBuffer) the coordinator and the workers share. */
export const C = {
  /** phase generation: the coordinator bumps it to start a phase */
  GEN: 0,
  PHASE: 1,
  /** workers that finished the current phase */
  DONE: 2,
  /** bumped (and notified) by a worker whenever the coordinator should look: done, parked, ready, failed */
  EVENT: 3,
  /** unused */
  SPARE: 4,
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
  /** successors a chunk may insert at most (chunk size x action count): the headroom kept free */
  RESERVE: 15,
  /** a worker met a state where symmetry is unsafe (Model.symmetrySafe) */
  UNSAFE: 16,
  /** POR statistics summed over the workers */
  AMPLE: 17,
  FULL: 18,
  /** NEXT + i: the next chunk of participant i's range (participants: the coordinator 0, the workers 1..) */
  NEXT: 32,
  SIZE: 32 + 64,
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

/** A level to expand (posted to the workers; SharedArrayBuffers are shared, not copied). */
export interface LevelMsg {
  readonly kind: 'level';
  readonly level: number;
  /** tag of the level's chunk 0 */
  readonly base: number;
  readonly count: number;
  readonly chunkSize: number;
  readonly nChunks: number;
  /** the depth bound's level: only learn whether new states lie beyond */
  readonly probe: boolean;
  /** threads expanding this level (the coordinator and, for big levels, the workers) */
  readonly participants: number;
  readonly frontier: SharedArrayBuffer;
  /** per frontier state, the successors it generated (its transitions; with POR, the ample set and any proviso extras) */
  readonly succ: SharedArrayBuffer;
  /** per chunk: written by EXPAND, its records; rewritten by the coordinator before PLACE, its offset */
  readonly counts: SharedArrayBuffer;
  /** per chunk, its records that a smaller chunk claimed since (atomic adds) */
  readonly dropped: SharedArrayBuffer;
}

export interface TableMsg {
  readonly kind: 'table';
  readonly buf: SharedArrayBuffer;
}

/** Where PLACE writes the next level. */
export interface NextMsg {
  readonly kind: 'next';
  readonly states: SharedArrayBuffer;
  readonly parent: SharedArrayBuffer;
  readonly action: SharedArrayBuffer;
}

export type HostMsg = LevelMsg | TableMsg | NextMsg;

/** Atomic min on an Int32Array cell. */
export function atomicMin(a: Int32Array, i: number, x: number): void {
  let cur = Atomics.load(a, i);
  while (x < cur) {
    const prev = Atomics.compareExchange(a, i, cur, x);
    if (prev === cur) return;
    cur = prev;
  }
}

/**
 * A frontier record: the state's words, then its two raw fingerprint sums
 * (successor.ts outA, outB), so that expanding it needs no full hash.
 */
export function recordWords(stateBytes: number): number {
  return (stateBytes >>> 2) + 2;
}

