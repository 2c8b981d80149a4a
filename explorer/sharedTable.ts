/**
 * The visited set the parallel BFS workers share (explorer/parallel.ts):
 * an open-addressing table of 64-bit fingerprints in a SharedArrayBuffer,
 * three 32-bit words per slot — hi, lo, tag — inserted lock-free with
 * Atomics, so that every worker thread inserts at once (reference
 * checker-anchors §5.4: a shared CAS table scaled 1.94x on 2 workers).
 *
 * The tag makes the parallel search deterministic. Every state discovered
 * while expanding BFS level L gets the tag `base(L) + c`, c the chunk of
 * level L whose expansion found it; tags grow with the level, so
 * `tag < base(L)` means "visited at depth <= L". When several chunks find
 * the same new state, the slot keeps the smallest tag (an atomic min), so
 * the state belongs to the first chunk in frontier order that reaches it
 * — the same discoverer a one-thread BFS keeps — whatever the timing.
 *
 * Insertion protocol: an empty slot has lo == 0 (hashLo is never 0). A
 * writer claims it with compareExchange(lo, 0 -> lo), then stores hi and
 * finally the tag, which is never 0: a reader that sees a matching lo
 * waits for the tag (a few instructions away) before it compares hi.
 *
 * Size: any number of slots, not only powers of two, as in
 * fingerprint.ts FingerprintSet: a fingerprint's home slot is hi scaled
 * to the size (floor(hi * slots / 2^32), hi being already finalised), and
 * linear probing wraps at `slots`. The coordinator grows the table by
 * half (explorer/parallel.ts), so it is 50-75% full, 16-24 bytes per
 * state, where doubling (a power-of-two mask) left it 37.5-75% full, up to
 * 32 bytes (and the old growth by four, up to 64). A side effect of the
 * scaled index: the slots are nearly sorted by hi, so a rehash writes the
 * new table almost sequentially, and splits into parts (rehashPart) that
 * threads place at once, each in its own range of slots.
 */

export const SLOT_WORDS = 3;

/** visit(): the state was visited at a depth <= the level being expanded (the POR proviso's test) */
export const OLD = 0;
/** visit(): the state was first reached while expanding this level, and this chunk or a smaller one owns it */
export const OLD_THIS_LEVEL = 3;
/** visit(): a new state, inserted now */
export const INSERTED = 1;
/** visit(): discovered earlier in this level by a later chunk; this chunk now owns it */
export const CLAIMED = 2;

/** A shared buffer for `slots` slots (any number; at least 2). */
export function tableBuffer(slots: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(2, slots) * SLOT_WORDS * 4);
}

/**
 * The coordinator's growth policy (explorer/parallel.ts): a table's first
 * size, growth factor and load bound are those of the one-thread visited
 * set (fingerprint.ts FingerprintSet), so it ends 50-75% full. Growing
 * stops the search while the table is rehashed (shared among the parked
 * workers: parallelHosts.ts), but bytes are what the table costs most.
 */
export const INITIAL_SLOTS = 1 << 12;
export const MAX_LOAD = 0.75;
const GROWTH = 1.5;

/**
 * A table grown by half (as often as needed) to hold `need` entries at
 * MAX_LOAD, filled with `old`'s entries: by `rehash` (shared among
 * threads) if given, else by this thread alone.
 */
export function grownTable(old: SharedTable, need: number, rehash?: (old: SharedTable, into: SharedTable) => void): SharedTable {
  let slots = old.slots;
  do slots = Math.ceil(slots * GROWTH); while (slots * MAX_LOAD < need);
  const into = new SharedTable(tableBuffer(slots));
  if (rehash) rehash(old, into);
  else into.rehashAlone(old);
  return into;
}

/** One thread's view of the shared table. */
export class SharedTable {
  readonly w: Uint32Array;
  readonly slots: number;
  /** slots / 2^32: floor(hi * scale) is a fingerprint's home slot */
  private readonly scale: number;
  /** after visit() returned CLAIMED: the tag the slot had (its previous owner chunk) */
  claimedFrom = 0;
  constructor(readonly buf: SharedArrayBuffer) {
    this.w = new Uint32Array(buf);
    this.slots = this.w.length / SLOT_WORDS;
    this.scale = this.slots / 4294967296;
  }

  /** The home slot of a fingerprint whose high word is hi (unsigned). */
  private home(hi: number): number {
    return Math.floor(hi * this.scale);
  }

  /**
   * Insert the fingerprint with `tag`, or lower the tag of the slot holding
   * it to `tag` when that slot was inserted in this level (tag >= base) by
   * a later chunk. Returns OLD, OLD_THIS_LEVEL, INSERTED or CLAIMED.
   */
  visit(hi: number, lo: number, tag: number, base: number): number {
    const w = this.w;
    const n = this.slots;
    let i = this.home(hi);
    for (;;) {
      const b = i * SLOT_WORDS;
      // A plain read is enough here: lo goes from 0 to its final value
      // once, a stale 0 only sends us to the compareExchange, which sees
      // the truth; a match is confirmed through Atomics below.
      let l = w[b + 1]!;
      if (l === 0) {
        l = Atomics.compareExchange(w, b + 1, 0, lo);
        if (l === 0) {
          Atomics.store(w, b, hi);
          Atomics.store(w, b + 2, tag); // publishes the slot
          return INSERTED;
        }
      }
      if (l === lo) {
        let t = Atomics.load(w, b + 2);
        while (t === 0) t = Atomics.load(w, b + 2); // its inserter is between the two stores
        if (Atomics.load(w, b) === hi) return this.claim(b + 2, t, tag, base);
      }
      if (++i === n) i = 0;
    }
  }

  /** The tag of a fingerprint, 0 if absent (single-threaded or between phases). */
  tagOf(hi: number, lo: number): number {
    const w = this.w;
    const n = this.slots;
    for (let i = this.home(hi); ; ) {
      const b = i * SLOT_WORDS;
      const l = w[b + 1]!;
      if (l === 0) return 0;
      if (l === lo && w[b] === hi) return w[b + 2]!;
      if (++i === n) i = 0;
    }
  }

  /** Plain insert for a table nobody else touches (the initial state, a rehash). */
  insertAlone(hi: number, lo: number, tag: number): void {
    const w = this.w;
    const n = this.slots;
    let i = this.home(hi);
    while (w[i * SLOT_WORDS + 1] !== 0) if (++i === n) i = 0;
    w[i * SLOT_WORDS] = hi;
    w[i * SLOT_WORDS + 1] = lo;
    w[i * SLOT_WORDS + 2] = tag;
  }

  /** Touch every page of this (new, empty) table, so that the kernel maps them now (see parallelHosts.ts rehashTogether). */
  prefault(): void {
    const w = this.w;
    for (let i = 0; i < w.length; i += 1024) w[i] = 0; // 4 KiB pages
  }

  /** Fill this (new, empty) table with every entry of `old`, in this thread alone. */
  rehashAlone(old: SharedTable): void {
    const spill = new Uint32Array(SLOT_WORDS * 64);
    const n = this.rehashPart(old, 0, 1, spill, 0, 64);
    if (n < 0) this.rehashAll(old);
    else this.insertAll(spill, 0, n);
  }

  /**
   * Part p of `parts` of rehashing `old` into this (new, empty) table, so
   * that several threads can share a growth (explorer/parallelHosts.ts):
   * the entries whose home slot here lies in part p's range of slots
   * [floor(p * slots / parts), floor((p + 1) * slots / parts)), placed with
   * plain writes, as no other part writes in that range. An entry whose
   * probe would run past the range (a cluster across the boundary, or the
   * table's end) is left in `spill` at word `at` (hi, lo, tag) for
   * insertAll() once every part is done: inserted last, it still finds
   * every slot from its home to its place full, which is all linear
   * probing asks. Returns how many were spilled, or -1 if more than
   * `room` (then the caller rehashes everything alone: rehashAll).
   *
   * The part reads only its share of the old table: slots are in order of
   * hi there too (home = hi scaled), so part p's entries lie from its
   * range's start scaled to the old size, to the first empty slot after
   * its end scaled (an entry sits at or after its home, in one cluster),
   * plus the cluster that wraps from the old table's end to its start.
   */
  rehashPart(old: SharedTable, p: number, parts: number, spill: Uint32Array, at: number, room: number): number {
    const from = Math.floor((p * this.slots) / parts);
    const end = Math.floor(((p + 1) * this.slots) / parts);
    const ow = old.w;
    const oldSlots = old.slots;
    const ratio = oldSlots / this.slots;
    const start = Math.max(0, Math.floor(from * ratio) - 1); // (-1: rounding)
    let stop = Math.min(oldSlots, Math.floor(end * ratio) + 2);
    while (stop < oldSlots && ow[stop * SLOT_WORDS + 1] !== 0) stop++;
    let wrapped = 0; // the cluster at the old table's start, which may hold entries from its end
    while (wrapped < start && ow[wrapped * SLOT_WORDS + 1] !== 0) wrapped++;
    const n = this.place(old, 0, wrapped, from, end, spill, at, room, 0);
    return n < 0 ? n : this.place(old, start, stop, from, end, spill, at, room, n);
  }

  /**
   * rehashPart's loop over old slots [first, last): the entries whose home
   * here is in [from, end), placed in that range or spilled; returns the
   * spill count (`spilled` before), or -1 past `room`.
   */
  private place(old: SharedTable, first: number, last: number, from: number, end: number, spill: Uint32Array, at: number, room: number, spilled: number): number {
    const w = old.w;
    const to = this.w;
    const scale = this.scale;
    // insertAlone inlined: this loop runs for every entry at every growth, with the search stopped
    for (let b = first * SLOT_WORDS; b < last * SLOT_WORDS; b += SLOT_WORDS) {
      const lo = w[b + 1]!;
      if (lo === 0) continue;
      const hi = w[b]!;
      let i = Math.floor(hi * scale);
      if (i < from || i >= end) continue;
      while (i < end && to[i * SLOT_WORDS + 1] !== 0) i++;
      if (i === end) {
        if (spilled === room) return -1;
        const s = at + SLOT_WORDS * spilled++;
        spill[s] = hi;
        spill[s + 1] = lo;
        spill[s + 2] = w[b + 2]!;
        continue;
      }
      const d = i * SLOT_WORDS;
      to[d] = hi;
      to[d + 1] = lo;
      to[d + 2] = w[b + 2]!;
    }
    return spilled;
  }

  /** Insert the n entries (hi, lo, tag) at spill[at..] (one thread, once every part of a rehash is done). */
  insertAll(spill: Uint32Array, at: number, n: number): void {
    for (let k = 0; k < n; k++) this.insertAlone(spill[at + SLOT_WORDS * k]!, spill[at + SLOT_WORDS * k + 1]!, spill[at + SLOT_WORDS * k + 2]!);
  }

  /** Empty this table and insert every entry of `old` (one thread: the fallback when a part's spill overflowed). */
  rehashAll(old: SharedTable): void {
    this.w.fill(0);
    const w = old.w;
    for (let b = 0; b < w.length; b += SLOT_WORDS) if (w[b + 1] !== 0) this.insertAlone(w[b]!, w[b + 1]!, w[b + 2]!);
  }

  /** The atomic min on a slot's tag, for tags of this level only (>= base). */
  private claim(at: number, t: number, tag: number, base: number): number {
    const w = this.w;
    for (;;) {
      if (t < base) return OLD;
      if (t <= tag) return OLD_THIS_LEVEL;
      const prev = Atomics.compareExchange(w, at, t, tag);
      if (prev === t) {
        this.claimedFrom = t;
        return CLAIMED;
      }
      t = prev;
    }
  }
}
