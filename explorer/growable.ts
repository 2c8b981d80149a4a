/**
 * Growable typed arrays for the explorer's per-state columns (parent index,
 * action id, arena offsets): amortised growth by half, no per-state
 * objects.
 */
export class Column32 {
  data = new Int32Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      // By half, not double: a column of 10^7 entries wastes 25% on average, not 50%.
      const d = new Int32Array(Math.ceil(this.data.length * 1.5));
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = x;
  }
}

/** Column32 for values 0..255 (action ids of models with at most 256 actions): a byte per state instead of four. */
export class Column8 {
  data = new Uint8Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const d = new Uint8Array(Math.ceil(this.data.length * 1.5));
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = x;
  }
}

/** Column32 for byte offsets into arenas (64-bit floats: an arena may pass 2 GiB). */
export class ColumnF64 {
  data = new Float64Array(256);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const d = new Float64Array(Math.ceil(this.data.length * 1.5));
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = x;
  }
}
