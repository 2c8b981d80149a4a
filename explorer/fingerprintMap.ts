/**
 * A map from 64-bit fingerprints (hi, lo) to a small non-negative number,
 * keeping the smallest number given for each: open addressing over
 * (hi, lo, value) triples in one Uint32Array, linear probing, grown at 75%
 * load; lo is never 0 (fingerprint.ts finishLo), so lo == 0 marks an
 * empty slot. Used for the DFS's visited depths (explorer/dfs.ts).
 */
export class FingerprintMap {
  private t = new Uint32Array(3 << 12);
  private mask = (1 << 12) - 1;
  size = 0;

  get bytes(): number {
    return this.t.byteLength;
  }

  /** The stored number, or -1 if absent. */
  get(hi: number, lo: number): number {
    const t = this.t;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const l = t[3 * i + 1]!;
      if (l === 0) return -1;
      if (l === lo && t[3 * i] === hi) return t[3 * i + 2]!;
    }
  }

  /** Insert, or lower the stored number to x (a larger x changes nothing). */
  lower(hi: number, lo: number, x: number): void {
    if ((this.size + 1) * 4 > (this.mask + 1) * 3) this.grow();
    const t = this.t;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const l = t[3 * i + 1]!;
      if (l === 0) {
        t[3 * i] = hi;
        t[3 * i + 1] = lo;
        t[3 * i + 2] = x;
        this.size++;
        return;
      }
      if (l === lo && t[3 * i] === hi) {
        if (x < t[3 * i + 2]!) t[3 * i + 2] = x;
        return;
      }
    }
  }

  clear(): void {
    if (this.size > 0) this.t.fill(0);
    this.size = 0;
  }

  private grow(): void {
    const old = this.t;
    const slots = (this.mask + 1) * 2;
    this.t = new Uint32Array(3 * slots);
    this.mask = slots - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 3) if (old[i + 1] !== 0) this.lower(old[i]!, old[i + 1]!, old[i + 2]!);
  }
}
