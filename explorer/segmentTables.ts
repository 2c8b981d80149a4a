/**
 * The interning half of explorer/collapseArena.ts (SPIN's COLLAPSE
 * compression): per segment position, every distinct segment stored once,
 * found again through a hash table, named by a small id. The arena turns a
 * record into K such ids; this file knows nothing of records.
 *
 * Position k's store holds its distinct segments of len[k] words back to
 * back (segment id i at word i * len[k]); its table is open addressing
 * with linear probing over a power-of-two Int32Array, a slot holding
 * id + 1 (0 = empty), kept at most half full. Typed arrays only: no
 * per-segment object for the GC to walk.
 */

/** segments a store starts with room for */
const INITIAL_SEGMENTS = 16;
/** slots a table starts with (a power of two; a table doubles when half full) */
const INITIAL_SLOTS = 32;

export class SegmentTables {
  /** bytes of every store and table now, kept as a field (read on push, the hot path) */
  bytes = 0;
  /** some position has interned more than 65536 segments: its ids no longer fit 16 bits */
  overflow = false;
  private readonly stores: Uint32Array[] = [];
  private readonly tables: Int32Array[] = [];
  private readonly distinct: Int32Array;

  /**
   * @param start first word of each position's segment in a record
   * @param len words of each position's segment
   */
  constructor(private readonly start: Int32Array, private readonly len: Int32Array) {
    this.distinct = new Int32Array(len.length);
    this.reset();
  }

  /** distinct segments interned at position s */
  distinctAt(s: number): number {
    return this.distinct[s]!;
  }

  /** Forget every segment (ids then name other segments); back to the initial sizes. */
  reset(): void {
    this.distinct.fill(0);
    this.overflow = false;
    this.bytes = 0;
    for (let s = 0; s < this.len.length; s++) {
      // Initial sizes: a big table left from a big level would cost its fill on every reset.
      this.stores[s] = new Uint32Array(INITIAL_SEGMENTS * this.len[s]!);
      this.tables[s] = new Int32Array(INITIAL_SLOTS);
      this.bytes += this.stores[s]!.byteLength + this.tables[s]!.byteLength;
    }
  }

  /** The id of record w's segment at position s (whose hashWords is `hash`), interning it if new. */
  intern(s: number, w: Uint32Array, hash: number): number {
    const len = this.len[s]!;
    const start = this.start[s]!;
    const table = this.tables[s]!;
    const store = this.stores[s]!;
    const mask = table.length - 1;
    let slot = hash & mask;
    for (;;) {
      const v = table[slot]!;
      if (v === 0) break;
      // Compare the candidate word by word; with the table at most half
      // full and a mixing hash, a probe rarely meets a different segment.
      const id = v - 1;
      let a = id * len;
      let j = start;
      const end = start + len;
      while (j < end && store[a] === w[j]) { a++; j++; }
      if (j === end) return id;
      slot = (slot + 1) & mask;
    }
    // New segment: append to the store, then claim the empty slot (or rehash first).
    const id = this.distinct[s]!;
    if (id > 0xffff) this.overflow = true;
    this.append(s, w, start, len, id);
    this.distinct[s] = id + 1;
    if ((id + 1) * 2 > table.length) this.grow(s);
    else table[slot] = id + 1;
    return id;
  }

  /** Copy segment `id` of position s into out (a record's words). */
  copy(s: number, id: number, out: Uint32Array): void {
    const len = this.len[s]!;
    const store = this.stores[s]!;
    // A plain loop: segments are a few words, where subarray()+set() would allocate a view each.
    let src = id * len;
    let dst = this.start[s]!;
    const end = dst + len;
    while (dst < end) out[dst++] = store[src++]!;
  }

  private append(s: number, w: Uint32Array, start: number, len: number, id: number): void {
    let store = this.stores[s]!;
    const off = id * len;
    if (off + len > store.length) {
      const bigger = new Uint32Array(store.length * 2);
      bigger.set(store);
      this.bytes += bigger.byteLength - store.byteLength;
      this.stores[s] = store = bigger;
    }
    for (let j = 0; j < len; j++) store[off + j] = w[start + j]!;
  }

  /** Double table s and re-insert every interned segment (hashes recomputed from the store). */
  private grow(s: number): void {
    const old = this.tables[s]!;
    const table = new Int32Array(old.length * 2);
    const mask = table.length - 1;
    const len = this.len[s]!;
    const store = this.stores[s]!;
    const n = this.distinct[s]!;
    for (let id = 0; id < n; id++) {
      let slot = hashWords(store, id * len, len) & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id + 1;
    }
    this.bytes += table.byteLength - old.byteLength;
    this.tables[s] = table;
  }
}

/**
 * Hash of w[start..start+len). Cheap on purpose (it runs ~3 times per
 * push): one multiply per word, an odd-constant multiply being a bijection
 * that carries every bit of the word upwards, then murmur3's finaliser to
 * bring the high bits down into the low bits the table indexes by. A
 * collision costs only a longer probe (the words are compared in full).
 * CollapseArena.push computes the same while it copies (its literal
 * multiplier is HASH_MUL).
 */
export function hashWords(w: Uint32Array, start: number, len: number): number {
  let h = len;
  for (let j = start, end = start + len; j < end; j++) h = Math.imul(h ^ w[j]!, HASH_MUL);
  return finishHash(h);
}

/** the per-word multiplier of hashWords (2^32 / golden ratio, odd) */
export const HASH_MUL = 0x9e3779b1;

/** hashWords' finaliser (murmur3 fmix32), split out so push can hash while it copies */
export function finishHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
