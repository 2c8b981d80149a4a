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

/** A shared buffer for `slots` slots (a power of two). */
export function tableBuffer(slots: number): SharedArrayBuffer {
  return new SharedArrayBuffer(slots * SLOT_WORDS * 4);
}

/** One thread's view of the shared table. */
export class SharedTable {
  readonly w: Uint32Array;
  readonly mask: number;
  /** after visit() returned CLAIMED: the tag the slot had (its previous owner chunk) */
  claimedFrom = 0;
  constructor(readonly buf: SharedArrayBuffer) {
    this.w = new Uint32Array(buf);
    this.mask = this.w.length / SLOT_WORDS - 1;
  }

  get slots(): number {
    return this.mask + 1;
  }

  /**
   * Insert the fingerprint with `tag`, or lower the tag of the slot holding
   * it to `tag` when that slot was inserted in this level (tag >= base) by
   * a later chunk. Returns OLD, OLD_THIS_LEVEL, INSERTED or CLAIMED.
   */
  visit(hi: number, lo: number, tag: number, base: number): number {
    const w = this.w;
    let i = hi & this.mask;
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
      i = (i + 1) & this.mask;
    }
  }

  /** The tag of a fingerprint, 0 if absent (single-threaded or between phases). */
  tagOf(hi: number, lo: number): number {
    const w = this.w;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const b = i * SLOT_WORDS;
      const l = w[b + 1]!;
      if (l === 0) return 0;
      if (l === lo && w[b] === hi) return w[b + 2]!;
    }
  }

  /** Plain insert for a table nobody else touches (the initial state, a rehash). */
  insertAlone(hi: number, lo: number, tag: number): void {
    const w = this.w;
    let i = hi & this.mask;
    while (w[i * SLOT_WORDS + 1] !== 0) i = (i + 1) & this.mask;
    w[i * SLOT_WORDS] = hi;
    w[i * SLOT_WORDS + 1] = lo;
    w[i * SLOT_WORDS + 2] = tag;
  }

  /** A table `factor` times as large holding the same entries (built while every worker is parked). */
  grown(factor: number): SharedTable {
    const t = new SharedTable(tableBuffer(this.slots * factor));
    const w = this.w;
    for (let b = 0; b < w.length; b += SLOT_WORDS) {
      if (w[b + 1] !== 0) t.insertAlone(w[b]!, w[b + 1]!, w[b + 2]!);
    }
    return t;
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
