/**
 * 64-bit fingerprints of packed states (incremental, see below) and the visited set: an
 * open-addressing table of (hi, lo) pairs in one Uint32Array with linear
 * probing, grown by half at 75% load: 10.7-16 bytes/state and no
 * per-state objects for the GC.
 */

// The 64-bit fingerprint is two 32-bit lanes, each a SUM over the state's
// words of a strong mix of (word, position): raw = sum_i mix(i, w[i]) mod
// 2^32, then a finaliser. Why a sum: it is incremental. A successor differs
// from its parent in a few words, so its raw sums are the parent's plus
// mix(i, new) - mix(i, old) over the changed words (explorer/successor.ts),
// instead of a pass over every word per transition (143 ns for a 184-byte
// state on this machine; a diff plus a few mixes is ~50 ns). A position
// seed per word keeps permutations of the same words apart; mix is
// murmur3's fmix32 (lane A) and a different 32-bit finaliser (lane B), so
// the lanes are independent. Everything is int32 arithmetic (Math.imul).

/** Per-position seeds (xorshift stream, prefix-stable: seed i never depends on how many were made). */
let seedA = new Int32Array(0);
let seedB = new Int32Array(0);

/** Make sure seeds exist for positions 0..n-1. */
export function ensureSeeds(n: number): void {
  if (seedA.length >= n) return;
  const len = Math.max(n, 2 * seedA.length, 64);
  const a = new Int32Array(len);
  const b = new Int32Array(len);
  let x = 0x2545f491;
  for (let i = 0; i < len; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    a[i] = x;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x;
  }
  seedA = a;
  seedB = b;
}

/**
 * The seed arrays for positions 0..n-1 (ensureSeeds first), for loops that
 * inline the mixes (explorer/successor.ts): a local array, unlike the
 * module's `let`, lets the JIT hoist the load. Valid for good: a regrown
 * array keeps every seed it had.
 */
export function seedArrays(n: number): { readonly a: Int32Array; readonly b: Int32Array } {
  ensureSeeds(n);
  return { a: seedA, b: seedB };
}

/** Lane A's finaliser (murmur3 fmix32) of a seeded word (x ^ seed): exported for loops that inline the mix. */
export function fmixA(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Lane B's finaliser (a different 32-bit mixer) of a seeded word. */
export function fmixB(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return h ^ (h >>> 16);
}

/** Lane A's term for word value x at position i (ensureSeeds(i + 1) first). */
export function mixA(i: number, x: number): number {
  return fmixA(x ^ seedA[i]!);
}

/** Lane B's term (ensureSeeds(i + 1) first). */
export function mixB(i: number, x: number): number {
  return fmixB(x ^ seedB[i]!);
}

/** Lane A's raw sum over w[off..off+n). */
export function rawA(w: Uint32Array, off: number, n: number): number {
  ensureSeeds(n);
  let h = 0;
  for (let i = 0; i < n; i++) h = (h + mixA(i, w[off + i]!)) | 0;
  return h;
}

/** Lane B's raw sum over w[off..off+n). */
export function rawB(w: Uint32Array, off: number, n: number): number {
  ensureSeeds(n);
  let h = 0;
  for (let i = 0; i < n; i++) h = (h + mixB(i, w[off + i]!)) | 0;
  return h;
}

/** The high fingerprint word from lane A's raw sum (a bijective finaliser: the table's slot comes from it). */
export function finishHi(raw: number): number {
  let h = raw;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * The low fingerprint word from lane B's raw sum. Never 0: (0, 0) marks an
 * empty slot. The final >>> 0 keeps it unsigned, as the table (a
 * Uint32Array) stores it; a signed lo would never compare equal.
 */
export function finishLo(raw: number): number {
  return ((raw | 1) >>> 0);
}

export function hashHi(w: Uint32Array, off: number, n: number): number {
  return finishHi(rawA(w, off, n));
}

export function hashLo(w: Uint32Array, off: number, n: number): number {
  return finishLo(rawB(w, off, n));
}

/**
 * The visited set. Memory trick: the table grows by 1.5x, not 2x, and its
 * size need not be a power of two (the home slot is hi scaled to the
 * size, a multiply instead of a mask). Grown at 75% load, it is between
 * 50% and 75% full, 10.7-16 bytes per state (doubling: 37.5-75%, up to
 * 21 bytes), and a state count just past a power of two no longer costs
 * twice the memory it needs.
 */
export class FingerprintSet {
  private table: Uint32Array;
  private slots: number;
  /** slots / 2^32: hi * scale is the home slot */
  private scale: number;
  size = 0;

  constructor(initialSlots = 1 << 12) {
    this.slots = Math.max(2, initialSlots);
    this.table = new Uint32Array(this.slots * 2);
    this.scale = this.slots / 4294967296;
  }

  get bytes(): number {
    return this.table.byteLength;
  }

  /** Insert; true if it was not there. */
  add(hi: number, lo: number): boolean {
    if ((this.size + 1) * 4 > this.slots * 3) this.grow();
    return this.insert(hi, lo);
  }

  /** Is it there? */
  has(hi: number, lo: number): boolean {
    const t = this.table;
    const n = this.slots;
    for (let i = Math.floor(hi * this.scale); ; ) {
      const l = t[2 * i + 1]!;
      if (l === 0) return false;
      if (l === lo && t[2 * i] === hi) return true;
      if (++i === n) i = 0;
    }
  }

  private insert(hi: number, lo: number): boolean {
    const t = this.table;
    const n = this.slots;
    // The slot comes from hi alone: it is already finalised (finishHi).
    let i = Math.floor(hi * this.scale);
    for (;;) {
      const l = t[2 * i + 1]!;
      if (l === 0) {
        t[2 * i] = hi;
        t[2 * i + 1] = lo;
        this.size++;
        return true;
      }
      if (l === lo && t[2 * i] === hi) return false;
      if (++i === n) i = 0;
    }
  }

  private grow(): void {
    const old = this.table;
    this.slots = Math.ceil(this.slots * 1.5);
    this.table = new Uint32Array(this.slots * 2);
    this.scale = this.slots / 4294967296;
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] !== 0) this.insert(old[i]!, old[i + 1]!);
    }
  }
}

/** Probability that some pair among n distinct states shares a 64-bit fingerprint. */
export function collisionProbability(n: number): number {
  return Math.min(1, (n * (n - 1)) / 2 / 2 ** 64);
}
