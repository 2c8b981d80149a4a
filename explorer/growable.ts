/**
 * Growable typed arrays for the explorer's per-state columns (parent index,
 * action id) and the BFS level arenas: amortised doubling, no per-state
 * objects.
 */
export class Column32 {
  data = new Int32Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = x;
  }
}

/** Fixed-size records of `width` bytes, appended one at a time. */
export class Arena {
  bytes: Uint8Array;
  count = 0;
  peakBytes = 0;
  constructor(readonly width: number, initial = 256) {
    this.bytes = new Uint8Array(width * initial);
  }
  push(rec: Uint8Array): void {
    const end = (this.count + 1) * this.width;
    if (end > this.bytes.length) {
      const b = new Uint8Array(Math.max(end, this.bytes.length * 2));
      b.set(this.bytes.subarray(0, this.count * this.width));
      this.bytes = b;
    }
    this.bytes.set(rec, this.count * this.width);
    this.count++;
    this.peakBytes = Math.max(this.peakBytes, this.bytes.length);
  }
  at(i: number): Uint8Array {
    return this.bytes.subarray(i * this.width, (i + 1) * this.width);
  }
  clear(): void {
    this.count = 0;
  }
}
