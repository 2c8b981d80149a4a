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

/**
 * Fixed-size records of `width` bytes, appended one at a time. Stored in
 * chunks of at most CHUNK_BYTES (whole records each, so a record never
 * straddles two chunks): one BFS level of a large open-mode run passes
 * V8's 4 GiB limit on a single typed array, and growing by doubling a
 * contiguous buffer would also need old + new at once. The first chunk
 * still starts small and doubles, so small runs stay small.
 */
export class Arena {
  private chunks: Uint8Array[];
  /** records per full chunk */
  private readonly perChunk: number;
  count = 0;
  peakBytes = 0;
  /** bytes allocated in `chunks` (kept as a field: push is on the hot path) */
  private capacity: number;
  constructor(readonly width: number, initial = 256, chunkBytes = CHUNK_BYTES) {
    this.perChunk = Math.max(1, Math.floor(chunkBytes / width));
    this.chunks = [new Uint8Array(width * Math.min(initial, this.perChunk))];
    this.capacity = this.chunks[0]!.length;
  }
  push(rec: Uint8Array): void {
    const c = Math.floor(this.count / this.perChunk);
    const off = (this.count - c * this.perChunk) * this.width;
    let chunk = this.chunks[c];
    if (!chunk) {
      chunk = new Uint8Array(this.perChunk * this.width);
      this.chunks.push(chunk);
      this.capacity += chunk.length;
    } else if (off + this.width > chunk.length) {
      // Only the first chunk grows (by doubling, up to a full chunk).
      const b = new Uint8Array(Math.min(this.perChunk * this.width, Math.max(off + this.width, chunk.length * 2)));
      b.set(chunk.subarray(0, off));
      this.capacity += b.length - chunk.length;
      this.chunks[c] = chunk = b;
    }
    chunk.set(rec, off);
    this.count++;
    if (this.capacity > this.peakBytes) this.peakBytes = this.capacity;
  }
  at(i: number): Uint8Array {
    const c = Math.floor(i / this.perChunk);
    const off = (i - c * this.perChunk) * this.width;
    return this.chunks[c]!.subarray(off, off + this.width);
  }
  /** Forget the records; chunks beyond the first are released (a level's size varies a lot). */
  clear(): void {
    this.count = 0;
    this.chunks.length = 1;
    this.capacity = this.chunks[0]!.length;
  }
}

/** 256 MiB: far below V8's typed-array limit, large enough that chunk switches are rare. */
const CHUNK_BYTES = 256 * 1024 * 1024;
