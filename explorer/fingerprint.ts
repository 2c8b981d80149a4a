/**
 * 64-bit fingerprints of packed states and the visited set: an
 * open-addressing table of (hi, lo) pairs in one Uint32Array with linear
 * probing, grown at 75% load. ~16.8 bytes/state at typical load
 * (reference checker-anchors §5.4) and no per-state objects for the GC.
 */

// Two independent 32-bit lanes (murmur3-style mixing, fixed seeds) give the
// 64-bit fingerprint; Math.imul keeps everything in int32 arithmetic.
export function hashHi(w: Uint32Array, off: number, n: number): number {
  let h = 0x9747b28c;
  for (let i = 0; i < n; i++) {
    let k = Math.imul(w[off + i]!, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= n;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function hashLo(w: Uint32Array, off: number, n: number): number {
  let h = 0x2545f491;
  for (let i = 0; i < n; i++) {
    h = Math.imul(h ^ w[off + i]!, 0x01000193); // FNV-1a over words
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  // Never 0: (0, 0) marks an empty slot. The final >>> 0 keeps it unsigned, as
  // the table (a Uint32Array) stores it; a signed lo would never compare equal.
  return ((h ^ (h >>> 16)) | 1) >>> 0;
}

export class FingerprintSet {
  private table: Uint32Array;
  private mask: number; // slots - 1
  size = 0;

  constructor(initialSlots = 1 << 12) {
    this.table = new Uint32Array(initialSlots * 2);
    this.mask = initialSlots - 1;
  }

  get bytes(): number {
    return this.table.byteLength;
  }

  /** Insert; true if it was not there. */
  add(hi: number, lo: number): boolean {
    if ((this.size + 1) * 4 > (this.mask + 1) * 3) this.grow();
    return this.insert(hi, lo);
  }

  private insert(hi: number, lo: number): boolean {
    const t = this.table;
    // The slot comes from hi alone: it is already murmur-finalised.
    let i = hi & this.mask;
    for (;;) {
      const l = t[2 * i + 1]!;
      if (l === 0) {
        t[2 * i] = hi;
        t[2 * i + 1] = lo;
        this.size++;
        return true;
      }
      if (l === lo && t[2 * i] === hi) return false;
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.mask = old.length - 1; // new slots = old.length (pairs * 2)
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
