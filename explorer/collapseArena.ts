/**
 * A memory-compact BFS level store: SPIN's COLLAPSE compression
 * (checker-anchors §5.2). Same role as growable.ts `Arena` (fixed-width
 * records appended one at a time, read back by index, cleared between
 * levels), but each record is cut into K fixed segments and each segment's
 * bytes are interned in a table of its own position; a record is then K
 * segment ids. States of one level differ in a few fields, so each
 * position holds few distinct segments: on the open-mode benchmark (184-byte
 * states, 24-byte segments, K = 8, reduced run) the largest level's 194,954
 * states take 18.4 bytes each (16 of ids, the rest tables and the last
 * chunk's slack), against 184 bytes whole; at most 7,228 distinct segments
 * at any position over the whole run, so ids stay 16-bit.
 *
 * Cost: push ~130-190 ns (compare with the previous record, then hash and
 * probe the ~2.9 segments of 8 that differ), at() ~40 ns, on the 2-vCPU
 * test machine under load, where a JS loop copying 46 words takes ~40 ns.
 *
 * Everything lives in typed arrays; there is no per-record or per-segment
 * object, so the GC never walks the frontier. The interning itself is in
 * explorer/segmentTables.ts.
 */
import { finishHash, SegmentTables } from './segmentTables.js';

/** Options of a CollapseArena; every field has a default. */
export interface CollapseOptions {
  /**
   * Segment boundaries in bytes: 0 < b1 < b2 < ... < width, each a multiple
   * of 4 (e.g. the model's record boundaries, rounded to words). Default:
   * equal slices of `segmentBytes`.
   */
  readonly boundaries?: readonly number[];
  /** size of the default equal slices (a multiple of 4); default 24, the best measured on the benchmark */
  readonly segmentBytes?: number;
  /**
   * What clear() does with the segment tables: 'keep' (segments repeat
   * between levels, so keeping them saves re-interning them), 'drop', or
   * 'auto' (default): keep them unless ids went 32-bit or the tables
   * outweigh the records being cleared.
   */
  readonly keepSegments?: 'keep' | 'drop' | 'auto';
  /** records per id chunk, a power of two (default 16384: 256 KiB chunks at K = 8, so a level's last chunk wastes little) */
  readonly chunkRecords?: number;
}

export class CollapseArena {
  /** number of records stored */
  count = 0;
  /** the most bytes allocated at any time since construction */
  peakBytes = 0;
  /** segments per record (K) */
  readonly segments: number;

  // ---- segmentation: segment k covers words [segStart[k], segStart[k] + segLen[k])
  private readonly segStart: Int32Array;
  private readonly segLen: Int32Array;
  private readonly words: number;

  /** per segment position: the interned segments (segmentTables.ts) */
  private readonly seg: SegmentTables;

  // ---- the records: K ids each, in chunks of 2^chunkShift records so that a
  // large level never needs one huge contiguous buffer (nor old + new copies
  // of it while doubling). Ids are 16-bit while every position has fewer
  // than 65536 distinct segments (halves the records), then all chunks are
  // widened to 32-bit once. Two typed fields instead of one union-typed
  // array keep each access site monomorphic.
  private narrow: Uint16Array[] = [];
  private wide: Uint32Array[] = [];
  private isWide = false;

  // ---- memos (see push and at): the previous record pushed, as words, and
  // its ids; the ids of the record at() decoded last (-1 = none).
  private readonly last32: Uint32Array;
  private readonly lastIds: Int32Array;
  /** per word of a record: the bit (1 << k) of the segment holding it */
  private readonly segBit: Int32Array;
  /** segments whose lastIds entry is not valid (all, until the first push and after the tables are dropped) */
  private memoMissing: number;
  private readonly atIds: Int32Array;
  private readonly chunkShift: number;
  private readonly chunkMask: number;
  private readonly keepPolicy: 'keep' | 'drop' | 'auto';

  /** bytes of the id chunks now, kept as a field (push is on the hot path); the segment tables count their own */
  private allocated = 0;

  // ---- word views of the caller's buffers. A record arrives as bytes; we
  // hash and compare it as 32-bit words. The BFS pushes the same scratch
  // buffer every time and reads into the same buffer every time, so the
  // Uint32Array view of the last Uint8Array seen is cached, keyed by the
  // object's identity (a typed array's buffer and offset never change; one
  // compare, where a new view is an allocation and even reading `.buffer`
  // costs a builtin call); unaligned records go through a private copy.
  private inRec: Uint8Array | undefined;
  private inView: Uint32Array;
  private outRec: Uint8Array | undefined;
  private outView: Uint32Array;
  private readonly tmp8: Uint8Array;
  private readonly tmp32: Uint32Array;
  /** private record for at() */
  private readonly atBuf: Uint8Array;
  private readonly atView: Uint32Array;

  constructor(readonly width: number, opts: CollapseOptions = {}) {
    if (width <= 0 || width % 4 !== 0) throw new Error(`CollapseArena: width ${width} is not a positive multiple of 4`);
    this.words = width >>> 2;
    // Default slices: 24 bytes (measured best on the benchmark), wider for records over 768 bytes so K <= 32.
    const bounds = opts.boundaries ?? equalSlices(width, opts.segmentBytes ?? Math.max(24, 4 * Math.ceil(width / 128)));
    const cuts = [0, ...bounds.filter((b) => b !== 0 && b !== width), width];
    for (let i = 1; i < cuts.length; i++) {
      const b = cuts[i]!;
      if (b % 4 !== 0 || b <= cuts[i - 1]! || b > width) {
        throw new Error(`CollapseArena: segment boundaries [${bounds.join(', ')}] must be increasing multiples of 4 inside (0, ${width})`);
      }
    }
    const k = cuts.length - 1;
    if (k > 32) throw new Error(`CollapseArena: ${k} segments, at most 32 (push tracks them in a 32-bit mask)`);
    this.segments = k;
    this.segStart = new Int32Array(k);
    this.segLen = new Int32Array(k);
    for (let i = 0; i < k; i++) {
      this.segStart[i] = cuts[i]! >>> 2;
      this.segLen[i] = (cuts[i + 1]! - cuts[i]!) >>> 2;
    }
    this.seg = new SegmentTables(this.segStart, this.segLen);
    const chunkRecords = opts.chunkRecords ?? 16384;
    if (!(chunkRecords >= 1 && (chunkRecords & (chunkRecords - 1)) === 0)) {
      throw new Error(`CollapseArena: chunkRecords ${chunkRecords} is not a power of two`);
    }
    this.chunkShift = Math.log2(chunkRecords);
    this.chunkMask = chunkRecords - 1;
    this.keepPolicy = opts.keepSegments ?? 'auto';
    this.tmp8 = new Uint8Array(width);
    this.tmp32 = new Uint32Array(this.tmp8.buffer);
    this.atBuf = new Uint8Array(width);
    this.atView = new Uint32Array(this.atBuf.buffer);
    this.last32 = new Uint32Array(this.words);
    this.lastIds = new Int32Array(k);
    this.memoMissing = allSegments(k);
    this.segBit = new Int32Array(this.words);
    for (let i = 0; i < k; i++) this.segBit.fill(1 << i, this.segStart[i]!, this.segStart[i]! + this.segLen[i]!);
    this.atIds = new Int32Array(k).fill(-1);
    this.inView = this.tmp32;
    this.outView = this.tmp32;
    this.peakBytes = this.seg.bytes;
  }

  /** bytes allocated now: id chunks, segment stores and hash tables */
  get bytes(): number {
    return this.allocated + this.seg.bytes;
  }

  /** distinct segments interned at position k (for measurements and tests) */
  distinctAt(k: number): number {
    return this.seg.distinctAt(k);
  }

  /** whether ids are stored as 32-bit (some position passed 65535 distinct segments) */
  get wideIds(): boolean {
    return this.isWide;
  }

  /** Append a copy of rec (width bytes). */
  push(rec: Uint8Array): void {
    const w = this.wordsOf(rec);
    const k = this.segments;
    const segStart = this.segStart;
    const segLen = this.segLen;
    const last = this.last32;
    const ids = this.lastIds;
    const words = this.words;
    // Memo of the previous record pushed: the BFS pushes a parent's
    // successors one after another, and siblings share most segments
    // (~5 of 8 on the benchmark). A segment equal word for word to the
    // previous record's keeps its id; comparing words is far cheaper than
    // hashing and probing them. The compare is one flat branch-free pass
    // over the record building a bitmask of the segments that differ (a
    // loop per segment measured twice as slow: its setup dominates 6-word
    // segments); (x | -x) >> 31 is -1 when x != 0, else 0.
    const segBit = this.segBit;
    let dirty = this.memoMissing;
    for (let j = 0; j < words; j++) {
      const x = last[j]! ^ w[j]!;
      dirty |= ((x | -x) >> 31) & segBit[j]!;
    }
    this.memoMissing = 0;
    // Visit the dirty segments, lowest first; on a miss one pass both
    // refreshes the memo and hashes.
    while (dirty !== 0) {
      const low = dirty & -dirty;
      dirty ^= low;
      const s = 31 - Math.clz32(low);
      const start = segStart[s]!;
      const end = start + segLen[s]!;
      let h = end - start;
      for (let j = start; j < end; j++) {
        const x = w[j]!;
        last[j] = x;
        h = Math.imul(h ^ x, 0x9e3779b1); // = HASH_MUL (segmentTables.ts), a literal: TurboFan folds it, a module const is a context load
      }
      ids[s] = this.seg.intern(s, w, finishHash(h));
      this.notePeak();
    }
    if (this.seg.overflow && !this.isWide) this.widen();
    const i = this.count;
    const c = i >>> this.chunkShift;
    const base = (i & this.chunkMask) * k;
    // Plain loops rather than TypedArray.set: K is ~8, and set() is a runtime call.
    // The chunk lookup is inline; only a missing or full chunk calls out.
    if (this.isWide) {
      let chunk = this.wide[c];
      if (chunk === undefined || base + k > chunk.length) chunk = this.wideChunk(c, base + k);
      for (let s = 0; s < k; s++) chunk[base + s] = ids[s]!;
    } else {
      let chunk = this.narrow[c];
      if (chunk === undefined || base + k > chunk.length) chunk = this.narrowChunk(c, base + k);
      for (let s = 0; s < k; s++) chunk[base + s] = ids[s]!;
    }
    this.count = i + 1;
  }

  /** Write record i (0 <= i < count) into `into` (at least width bytes). */
  read(i: number, into: Uint8Array): void {
    if (into === this.outRec) {
      this.decode(i, this.outView);
    } else if ((into.byteOffset & 3) === 0) {
      this.decode(i, this.outWords(into));
    } else {
      this.decode(i, this.tmp32);
      into.set(this.tmp8);
    }
  }

  /**
   * Record i decoded into a private buffer, valid until the next at() on
   * this arena (Arena.at's shape, for a drop-in swap: the BFS uses the
   * state it expands only until it asks for the next one).
   */
  at(i: number): Uint8Array {
    // Memo: the buffer still holds the record decoded last, so only the
    // segments whose id differs are copied (consecutive records are
    // siblings sharing most segments). Hence the caller must not write
    // into the returned bytes (as with Arena.at, whose view is the store).
    const out = this.atView;
    const ids = this.atIds;
    const k = this.segments;
    const c = i >>> this.chunkShift;
    const base = (i & this.chunkMask) * k;
    if (this.isWide) {
      const chunk = this.wide[c]!;
      for (let s = 0; s < k; s++) {
        const id = chunk[base + s]!;
        if (id !== ids[s]) { this.copySegment(s, id, out); ids[s] = id; }
      }
    } else {
      const chunk = this.narrow[c]!;
      for (let s = 0; s < k; s++) {
        const id = chunk[base + s]!;
        if (id !== ids[s]) { this.copySegment(s, id, out); ids[s] = id; }
      }
    }
    return this.atBuf;
  }

  /**
   * Forget the records. Id chunks beyond the first are released (a level's
   * size varies a lot). The segment tables are kept or dropped per the
   * `keepSegments` option: the next level reuses most segments of this one.
   */
  clear(): void {
    const recordBytes = this.chunkBytes();
    const tables = this.seg.bytes;
    const drop = this.keepPolicy === 'drop' || (this.keepPolicy === 'auto' && (this.isWide || tables > recordBytes));
    this.count = 0;
    if (drop) {
      this.seg.reset();
      if (this.isWide) {
        this.isWide = false;
        this.wide = [];
      }
      // Ids now name other segments: forget the memos.
      this.memoMissing = allSegments(this.segments);
      this.atIds.fill(-1);
    }
    this.narrow.length = Math.min(this.narrow.length, 1);
    this.wide.length = Math.min(this.wide.length, 1);
    this.allocated = this.chunkBytes();
  }

  // ---- internals -----------------------------------------------------------

  /** The record's words: a cached view of the caller's buffer, or a copy when unaligned. */
  private wordsOf(rec: Uint8Array): Uint32Array {
    if (rec === this.inRec) return this.inView;
    if ((rec.byteOffset & 3) !== 0) {
      this.tmp8.set(rec.subarray(0, this.width));
      return this.tmp32;
    }
    this.inRec = rec;
    this.inView = new Uint32Array(rec.buffer, rec.byteOffset, this.words);
    return this.inView;
  }

  private outWords(into: Uint8Array): Uint32Array {
    if (into === this.outRec) return this.outView;
    this.outRec = into;
    this.outView = new Uint32Array(into.buffer, into.byteOffset, this.words);
    return this.outView;
  }

  /** Copy record i's segments into out (words). */
  private decode(i: number, out: Uint32Array): void {
    const k = this.segments;
    const c = i >>> this.chunkShift;
    const base = (i & this.chunkMask) * k;
    if (this.isWide) {
      const chunk = this.wide[c]!;
      for (let s = 0; s < k; s++) this.copySegment(s, chunk[base + s]!, out);
    } else {
      const chunk = this.narrow[c]!;
      for (let s = 0; s < k; s++) this.copySegment(s, chunk[base + s]!, out);
    }
  }

  private copySegment(s: number, id: number, out: Uint32Array): void {
    this.seg.copy(s, id, out);
  }

  /** The chunk holding record ids up to `need` words (the first chunk grows by doubling, later ones are allocated full). */
  private narrowChunk(c: number, need: number): Uint16Array {
    let chunk = this.narrow[c];
    if (chunk && need <= chunk.length) return chunk;
    const full = (this.chunkMask + 1) * this.segments;
    const size = c === 0 ? Math.min(full, Math.max(need, INITIAL_RECORDS * this.segments, (chunk?.length ?? 0) * 2)) : full;
    const next = new Uint16Array(size);
    if (chunk) next.set(chunk);
    this.allocated += next.byteLength - (chunk?.byteLength ?? 0);
    this.narrow[c] = chunk = next;
    this.notePeak();
    return chunk;
  }

  private wideChunk(c: number, need: number): Uint32Array {
    let chunk = this.wide[c];
    if (chunk && need <= chunk.length) return chunk;
    const full = (this.chunkMask + 1) * this.segments;
    const size = c === 0 ? Math.min(full, Math.max(need, INITIAL_RECORDS * this.segments, (chunk?.length ?? 0) * 2)) : full;
    const next = new Uint32Array(size);
    if (chunk) next.set(chunk);
    this.allocated += next.byteLength - (chunk?.byteLength ?? 0);
    this.wide[c] = chunk = next;
    this.notePeak();
    return chunk;
  }

  /** Convert every 16-bit id chunk to 32 bits (once per arena, or per drop of the tables). */
  private widen(): void {
    this.wide = this.narrow.map((ch) => {
      const w = new Uint32Array(ch.length);
      w.set(ch);
      return w;
    });
    this.narrow = [];
    this.isWide = true;
    this.allocated = this.chunkBytes();
    this.notePeak();
  }

  private chunkBytes(): number {
    let b = 0;
    for (const ch of this.narrow) b += ch.byteLength;
    for (const ch of this.wide) b += ch.byteLength;
    return b;
  }

  private notePeak(): void {
    const b = this.allocated + this.seg.bytes;
    if (b > this.peakBytes) this.peakBytes = b;
  }
}

/** records the first id chunk starts with */
const INITIAL_RECORDS = 256;

/** The mask of segments 0..k-1 (k <= 32) as an int32. */
function allSegments(k: number): number {
  return k === 32 ? -1 : ((1 << k) - 1) | 0;
}

/** Boundaries cutting `width` bytes into slices of `bytes` (the last may be shorter). */
function equalSlices(width: number, bytes: number): number[] {
  if (bytes <= 0 || bytes % 4 !== 0) throw new Error(`CollapseArena: segmentBytes ${bytes} is not a positive multiple of 4`);
  const b: number[] = [];
  for (let x = bytes; x < width; x += bytes) b.push(x);
  return b;
}
