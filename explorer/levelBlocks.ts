/**
 * The BFS engines' compressed levels: the one-thread BFS writes a level
 * as one block (explorer/bfs.ts), the parallel BFS a chunk's successors
 * as blocks (explorer/parallel.ts, explorer/levelWorker.ts); each record
 * is delta-encoded against the record before it in the block (the
 * block's first, against an all-zero record). Records are read back in
 * order, which is how a BFS level is expanded.
 *
 * A record: a header byte, then one entry per changed word.
 * - header: bit 7 `dead` (set in PLACE on a record a smaller chunk
 *   claimed: it stays in the block, as the next record is encoded against
 *   it, but is no state of the level), bits 0-6 the number of changed
 *   words, 127 meaning 127 + a LEB128 number that follows.
 * - entry: a byte `delta << 4 | mask`, delta (0..15) the word's index
 *   minus the previous changed word's, minus 1 (the first from -1), mask
 *   (1..15) which of its 4 bytes changed, then those bytes, lowest first.
 *   A byte with mask 0 is no entry but a skip: `s << 4` (s = 1..15) moves
 *   the previous index on by 16 s, for deltas over 15.
 * The raw fingerprint sums (successor.ts outA/outB) are not stored: the
 * decoder gets them from the previous record's sums plus the changed
 * words' terms (fingerprint.ts: the lanes are sums over words), a few
 * mixes per record.
 *
 * Sizes on the open-mode benchmark (184-byte states): 13.6 bytes a
 * record, against 192 whole (the state and its two sums). Measured
 * alternatives: (gap, byte) pairs per changed byte, 15.1; a word mask
 * then whole words, 29; encoding against the closest of the 4 records
 * before (a successor of a parent two or three back is sometimes
 * closer), 10.9 with this format, but finding it made the two-worker run
 * ~4% slower (its memory saving is ~1 byte per state).
 *
 * Speed: the encoder runs once per new state, the decoder once per
 * expanded state, both in the hottest loop of the search. Neither copies
 * a record: the encoder keeps its own copy of the previous record and
 * updates the words that changed, the decoder applies a record's entries
 * to the previous one in place. An entry's bytes are written and read
 * without branching on which bytes changed (data, as unpredictable as it
 * gets): all four are stored (loaded) and the position moves on by 1 for
 * each changed one, so a buffer of blocks keeps ENTRY_SLACK bytes of room
 * past its last record.
 *
 * A block is decoded from its start: the unit a worker expands is a run
 * of whole blocks.
 */
import { fmixA, fmixB, rawA, rawB, seedArrays } from './fingerprint.js';

const DEAD = 0x80;
const COUNT_ESCAPE = 0x7f;

/**
 * Bytes a buffer of blocks keeps free past its last record: an entry's
 * four bytes are written whether they changed or not (encoder), and read
 * likewise (decoder).
 */
export const ENTRY_SLACK = 4;

/** The worst encoded size of one record of `stateBytes` bytes: header and count, an entry per word, skip bytes. */
export function maxRecordBytes(stateBytes: number): number {
  const words = Math.ceil(stateBytes / 4);
  return 6 + 5 * words + Math.ceil(words / 16) + ENTRY_SLACK;
}

/**
 * Appends records to blocks in a growable byte arena (explorer/levelWorker.ts
 * gives each worker two, over SharedArrayBuffers: the levels it writes are
 * read in place by every worker). beginBlock() before each block's records.
 */
export class BlockEncoder {
  /** the arena: blocks back to back (with ENTRY_SLACK bytes of room after `length`); replaced by a bigger copy when full */
  bytes: Uint8Array;
  /** bytes used */
  length = 0;
  private readonly words: number;
  /** the block's last record (zeros at its start) */
  private readonly prev: Uint32Array;
  private readonly maxRecord: number;

  /** @param allocate a new arena of n bytes (default: a private Uint8Array) */
  constructor(stateBytes: number, initialBytes = 4096, private readonly allocate: (n: number) => Uint8Array = (n) => new Uint8Array(n)) {
    this.words = stateBytes >>> 2;
    this.prev = new Uint32Array(this.words);
    this.maxRecord = maxRecordBytes(stateBytes);
    this.bytes = allocate(Math.max(initialBytes, this.maxRecord));
  }

  /** bytes allocated */
  get capacity(): number {
    return this.bytes.byteLength + this.prev.byteLength;
  }

  /** Start a new block (at `length`): the next record is encoded against the zero record. */
  beginBlock(): void {
    this.prev.fill(0);
  }

  /** Forget every block. */
  clear(): void {
    this.length = 0;
    this.beginBlock();
  }

  /** Append a record: the state's words w[0 .. words). */
  push(w: Uint32Array): void {
    if (this.length + this.maxRecord > this.bytes.length) this.grow();
    const n = this.words;
    const prev = this.prev;
    const out = this.bytes;
    const h = this.length;
    let o = h + 1;
    let count = 0;
    let last = -1;
    for (let k = 0; k < n; k++) {
      const x = w[k]!;
      const d = x ^ prev[k]!;
      if (d === 0) continue;
      prev[k] = x;
      let delta = k - last - 1;
      last = k;
      if (delta > 15) {
        o = skip(out, o, delta); // rare: a skip byte or two
        delta &= 15;
      }
      const m0 = ((d & 0xff) + 0xff) >>> 8; // 1 if byte 0 changed, else 0
      const m1 = (((d >>> 8) & 0xff) + 0xff) >>> 8;
      const m2 = (((d >>> 16) & 0xff) + 0xff) >>> 8;
      const m3 = ((d >>> 24) + 0xff) >>> 8;
      out[o++] = (delta << 4) | m0 | (m1 << 1) | (m2 << 2) | (m3 << 3);
      out[o] = x;
      o += m0;
      out[o] = x >>> 8;
      o += m1;
      out[o] = x >>> 16;
      o += m2;
      out[o] = x >>> 24;
      o += m3;
      count++;
    }
    out[h] = count < COUNT_ESCAPE ? count : COUNT_ESCAPE;
    if (count >= COUNT_ESCAPE) {
      // rare (more than 126 words changed): make room for the count after the header
      const extra = lebBytes(count - COUNT_ESCAPE);
      out.copyWithin(h + 1 + extra, h + 1, o);
      writeLeb(out, h + 1, count - COUNT_ESCAPE);
      o += extra;
    }
    this.length = o;
  }

  private grow(): void {
    // By half: the arena lives as long as the worker, at the size of its largest share of a level.
    const bigger = this.allocate(Math.max(this.length + this.maxRecord, Math.ceil(this.bytes.length * 1.5)));
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
  }
}

/**
 * Reads blocks back, a record at a time, into `cur`: its words, then its
 * raw fingerprint sums A and B.
 */
export class BlockDecoder {
  /** the record next() decoded last: words, then sum A, sum B */
  readonly cur: Uint32Array;
  /** its state bytes (a view of `cur`) */
  readonly state: Uint8Array;
  /** whether the record next() decoded last is dead (claimed by a smaller chunk) */
  dead = false;
  /** the byte offset of the last record's header in the source (to mark it dead) */
  header = 0;
  private src: Uint8Array = new Uint8Array(0);
  private at = 0;
  private end = 0;
  private readonly words: number;
  private readonly zeroA: number;
  private readonly zeroB: number;
  private readonly seedA: Int32Array;
  private readonly seedB: Int32Array;

  constructor(stateBytes: number) {
    this.words = stateBytes >>> 2;
    this.cur = new Uint32Array(this.words + 2);
    this.state = new Uint8Array(this.cur.buffer, 0, stateBytes);
    const zero = new Uint32Array(this.words);
    this.zeroA = rawA(zero, 0, this.words);
    this.zeroB = rawB(zero, 0, this.words);
    const seeds = seedArrays(this.words);
    this.seedA = seeds.a;
    this.seedB = seeds.b;
  }

  get bytes(): number {
    return this.cur.byteLength;
  }

  /** Start decoding the block in src[from, to) (src has ENTRY_SLACK bytes of room after `to`, or is longer). */
  begin(src: Uint8Array, from: number, to: number): void {
    this.src = src;
    this.at = from;
    this.end = to;
    this.cur.fill(0);
    this.cur[this.words] = this.zeroA;
    this.cur[this.words + 1] = this.zeroB;
  }

  /** Decode the next record into `cur`; false at the block's end. */
  next(): boolean {
    if (this.at >= this.end) return false;
    const src = this.src;
    const { cur, words, seedA, seedB } = this;
    let p = this.at;
    this.header = p;
    const h = src[p++]!;
    this.dead = (h & DEAD) !== 0;
    let count = h & COUNT_ESCAPE;
    if (count === COUNT_ESCAPE) {
      const v = readLeb(src, p);
      p += lebBytes(v);
      count += v;
    }
    let a = cur[words]! | 0;
    let b = cur[words + 1]! | 0;
    let k = -1;
    for (let c = 0; c < count; ) {
      const e = src[p++]!;
      const m = e & 15;
      if (m === 0) {
        k += 16 * (e >>> 4); // a skip byte
        continue;
      }
      k += (e >>> 4) + 1;
      c++;
      // The changed bytes, without branches: each of the four is read, and
      // the input moves on by 1 for each one the mask names.
      const t0 = -(m & 1); // all ones if byte 0 changed, else 0
      const b0 = src[p]! & t0;
      p -= t0;
      const t1 = -((m >>> 1) & 1);
      const b1 = src[p]! & t1;
      p -= t1;
      const t2 = -((m >>> 2) & 1);
      const b2 = src[p]! & t2;
      p -= t2;
      const t3 = -(m >>> 3);
      const b3 = src[p]! & t3;
      p -= t3;
      const old = cur[k]! | 0;
      const keep = ~((t0 & 0xff) | (t1 & 0xff00) | (t2 & 0xff0000) | (t3 & 0xff000000));
      const x = (old & keep) | b0 | (b1 << 8) | (b2 << 16) | (b3 << 24);
      cur[k] = x;
      a = (a + fmixA(x ^ seedA[k]!) - fmixA(old ^ seedA[k]!)) | 0;
      b = (b + fmixB(x ^ seedB[k]!) - fmixB(old ^ seedB[k]!)) | 0;
    }
    cur[words] = a;
    cur[words + 1] = b;
    this.at = p;
    return true;
  }
}

/**
 * Finds records' headers in a block without decoding them (PLACE marks
 * claimed records dead by their position in the block): it steps over
 * each record's entries by their masks, with no fingerprint mixing and
 * no writes, a few times cheaper than BlockDecoder.next().
 */
export class HeaderWalker {
  private src: Uint8Array = new Uint8Array(0);
  private at = 0;
  /** the index in the block of the record at `at` */
  private index = 0;

  /** Walk the block that starts at src[from]. */
  begin(src: Uint8Array, from: number): void {
    this.src = src;
    this.at = from;
    this.index = 0;
  }

  /** The header offset of record j of the block (j not below the last one asked for). */
  headerOf(j: number): number {
    const src = this.src;
    let p = this.at;
    for (; this.index < j; this.index++) {
      let count = src[p++]! & COUNT_ESCAPE;
      if (count === COUNT_ESCAPE) {
        const v = readLeb(src, p);
        p += lebBytes(v);
        count += v;
      }
      for (let c = 0; c < count; ) {
        const m = src[p++]! & 15;
        if (m === 0) continue; // a skip byte
        c++;
        p += (m & 1) + ((m >>> 1) & 1) + ((m >>> 2) & 1) + (m >>> 3);
      }
    }
    this.at = p;
    return p;
  }
}

/** Mark the record whose header is at src[header] dead (PLACE: a smaller chunk claimed its state). */
export function markDead(src: Uint8Array, header: number): void {
  src[header] = src[header]! | DEAD;
}

/** Skip bytes for a delta over 15 (all but its low 4 bits, which the entry keeps); returns the new end. */
function skip(out: Uint8Array, o: number, delta: number): number {
  for (let s = delta >>> 4; s > 0; s -= 15) out[o++] = Math.min(s, 15) << 4;
  return o;
}

function lebBytes(v: number): number {
  let n = 1;
  for (; v >= 0x80; v = Math.floor(v / 128)) n++;
  return n;
}

/** The LEB128 number at src[p] (a record's count past the escape; lebBytes gives its length). */
function readLeb(src: Uint8Array, p: number): number {
  let shift = 0;
  let v = 0;
  for (;;) {
    const b = src[p++]!;
    v += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return v;
  }
}

function writeLeb(out: Uint8Array, o: number, v: number): number {
  while (v >= 0x80) {
    out[o++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[o++] = v;
  return o;
}
