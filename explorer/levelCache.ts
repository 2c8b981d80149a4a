/**
 * A parallel BFS worker's private memory of the level being built
 * (explorer/levelWorker.ts): for each fingerprint this worker met as a
 * state of that level (it inserted or claimed it, or found it there), the
 * smallest chunk it met it in. Most duplicate successors are states of
 * the level being built (86% in open mode), and this table (a few MB,
 * private, no atomics) answers them without a probe into the shared
 * visited table (tens of MB: a cache and TLB miss each).
 *
 * Why the answer is exact: a state met at chunk c' has a slot tag <= c's
 * tag from then on (tags only go down, sharedTable.ts), so met again at
 * chunk c >= c', the shared table would say OLD_THIS_LEVEL. Met again at a
 * smaller chunk (a worker helping another's range, or the reversed-order
 * test hook), the worker must ask the shared table: it may have to claim.
 *
 * Open addressing over (hi, lo, chunk + 1) triples; lo is never 0, so
 * lo == 0 marks an empty slot. Cleared per level.
 */
export class LevelCache {
  private t = new Uint32Array(3 << 12);
  private mask = (1 << 12) - 1;
  private size = 0;

  get bytes(): number {
    return this.t.byteLength;
  }

  /** The smallest chunk the fingerprint was met in this level, or -1. */
  chunkOf(hi: number, lo: number): number {
    const t = this.t;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const l = t[3 * i + 1]!;
      if (l === 0) return -1;
      if (l === lo && t[3 * i] === hi) return t[3 * i + 2]! - 1;
    }
  }

  /** Remember meeting the fingerprint at chunk c (keeping the smallest chunk). */
  note(hi: number, lo: number, c: number): void {
    if ((this.size + 1) * 4 > (this.mask + 1) * 3) this.grow();
    const t = this.t;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const l = t[3 * i + 1]!;
      if (l === 0) {
        t[3 * i] = hi;
        t[3 * i + 1] = lo;
        t[3 * i + 2] = c + 1;
        this.size++;
        return;
      }
      if (l === lo && t[3 * i] === hi) {
        if (c + 1 < t[3 * i + 2]!) t[3 * i + 2] = c + 1;
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
    for (let i = 0; i < old.length; i += 3) if (old[i + 1] !== 0) this.note(old[i]!, old[i + 1]!, old[i + 2]! - 1);
  }
}
