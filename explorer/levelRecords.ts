/**
 * The records one participant of the parallel BFS made while expanding
 * its chunks of a level (explorer/levelWorker.ts EXPAND), and PLACE,
 * which turns them into states of the next level.
 *
 * A record is a successor one of this participant's chunks owned (or
 * owned for a while: a smaller chunk may have claimed it since). Its
 * bytes are in the participant's block arena (levelBlocks.ts BlockEncoder,
 * a block every blockRecords records of a chunk); here are its parent
 * position and action, and per chunk where its records and blocks begin.
 *
 * PLACE: for each chunk this participant expanded, its blocks go into
 * the next level's block table (they stay where they are, in this
 * participant's arena), its kept records' parents and actions go to
 * their positions (chunk position + rank), and the violations found on
 * kept records become positions, keeping per property the smallest (an
 * atomic min): the first violating state in BFS order. A record that a
 * smaller chunk claimed (its slot no longer carries the chunk's tag) is
 * marked dead in its block: it keeps its place, since the next record is
 * encoded against it, but it is no state of the level (claims are rare).
 *
 * Finding a chunk's dead records. Claims are ~5% of the states, but they
 * fall in a quarter of the chunks, nearly all in the later half of the
 * level, so one thread did most of this work while the other waited
 * (measured on the open-mode benchmark: 190 ms of PLACE against 22 ms,
 * of a 3.4 s run). Looking each record of such a chunk up in the table
 * took a decode (~0.16 us) and a table probe (~0.2 us, a cache miss) per
 * record. Now each claim is logged (levelProtocol.ts LevelMsg.claims:
 * the state's hi fingerprint and the chunk it was taken from) and each
 * record keeps its hi fingerprint here, so a chunk's dead records are
 * those whose hi is among its logged claims: no decode, no probe. Only
 * 32 bits are compared (4 bytes a record, not 8), which is sound by
 * counting: every logged claim matches its own dead record, so the
 * records that match are a superset of the dead ones, and they are
 * exactly the dead ones when there are as many as the chunk's `dropped`
 * count. When there are more (two hi fingerprints equal by chance, about
 * 2^-32 per pair), or the log overflowed, the chunk is done the old way.
 */
import { finishHi, finishLo } from './fingerprint.js';
import { Column32, Column8, ColumnF64 } from './growable.js';
import { HeaderWalker, markDead } from './levelBlocks.js';
import type { BlockDecoder, BlockEncoder } from './levelBlocks.js';
import { actionView, atomicMin, CLAIM_WORDS } from './levelProtocol.js';
import type { NextMsg } from './levelProtocol.js';
import type { SharedTable } from './sharedTable.js';

/** What PLACE needs of the level just expanded, besides the records. */
export interface PlaceInput {
  /** the arena the records were encoded into, and a decoder to read it with */
  readonly enc: BlockEncoder;
  readonly dec: BlockDecoder;
  readonly table: SharedTable;
  /** records per block (LevelMsg.blockRecords) and the level's first tag (LevelMsg.base) */
  readonly blockRecords: number;
  readonly base: number;
  /** per chunk: its first position in the next level; its records claimed by smaller chunks */
  readonly counts: Int32Array;
  readonly dropped: Int32Array;
  /** this participant's number: its blocks' arena in the next level's table */
  readonly index: number;
  /** per property: the smallest violating position (atomic min) */
  readonly viol: Int32Array;
  /** the level's claims log (LevelMsg.claims; how many entries it holds comes with the 'next' message) */
  readonly claims: Int32Array;
}

/** One chunk's records, blocks and places (LevelRecords.place). */
interface Span {
  /** its records r0..r1-1, its blocks s0..s1-1 (the last ends at arena byte b1) */
  readonly r0: number;
  readonly r1: number;
  readonly s0: number;
  readonly s1: number;
  readonly b1: number;
  /** block k's entry in the next level's block table: first + k */
  readonly first: number;
  /** its first state's position in the next level */
  readonly pos: number;
}

/**
 * A set of 32-bit keys (one chunk's claimed hi fingerprints), open
 * addressing on keys that are already hashes, emptied in O(1) by moving
 * to a new generation. Reused for every chunk: no allocation per chunk.
 */
class SmallSet {
  private keys = new Int32Array(64);
  private gens = new Int32Array(64);
  private gen = 0;
  private mask = 63;

  /** Empty, with room for n keys at load 1/2 at most. */
  reset(n: number): void {
    if (2 * n > this.keys.length) {
      let size = this.keys.length;
      while (size < 2 * n) size *= 2;
      this.keys = new Int32Array(size);
      this.gens = new Int32Array(size);
      this.mask = size - 1;
      this.gen = 0;
    }
    this.gen = (this.gen + 1) | 0;
    if (this.gen === 0) {
      this.gens.fill(0);
      this.gen = 1;
    }
  }

  add(k: number): void {
    let i = k & this.mask;
    while (this.gens[i] === this.gen) {
      if (this.keys[i] === k) return;
      i = (i + 1) & this.mask;
    }
    this.gens[i] = this.gen;
    this.keys[i] = k;
  }

  has(k: number): boolean {
    for (let i = k & this.mask; this.gens[i] === this.gen; i = (i + 1) & this.mask) if (this.keys[i] === k) return true;
    return false;
  }
}

export class LevelRecords {
  /** records made this level */
  count = 0;
  private readonly parent = new Column32();
  /** each record's hi fingerprint (to match the claims log) */
  private readonly hi = new Column32();
  /** a byte per record when the model has at most 256 actions */
  private readonly action: Column8 | Column32;
  /** the records that violate a property (rare): record number, then maskWords words of property bits */
  private readonly viol = new Column32();
  /** the chunks expanded this level: chunk id, first record, first byte of its blocks in the arena, first entry of blockStarts */
  private readonly chunks = new Column32();
  private readonly starts = new Column32();
  private readonly bytes = new ColumnF64();
  private readonly blocks = new Column32();
  /** where each block begins in the arena */
  private readonly blockStarts = new ColumnF64();
  private readonly words: number;

  // the next level's columns and block table (a 'next' message)
  private nextParent!: Int32Array;
  private nextAction!: Uint8Array | Int32Array;
  private nextFirstBlock!: Int32Array;
  private nextBlockKept!: Int32Array;
  private nextBlockArena!: Int32Array;
  private nextBlockStart!: Float64Array;
  private nextBlockEnd!: Float64Array;
  /** entries in the claims log, or -1 (overflowed) */
  private nextClaims = -1;
  /** per chunk of the level, where its claims begin in `claimHi` (bucketed by chunk in PLACE) */
  private claimStart = new Int32Array(0);
  private claimHi = new Int32Array(0);
  private readonly walker = new HeaderWalker();
  private readonly claimed = new SmallSet();

  constructor(
    stateBytes: number,
    private readonly actionCount: number,
    /** 32-bit words of property bits per violation entry */
    readonly maskWords: number,
  ) {
    this.action = actionCount <= 256 ? new Column8() : new Column32();
    this.words = stateBytes >>> 2;
  }

  /** Bytes held (for bytes/state). */
  get byteLength(): number {
    return this.parent.data.byteLength + this.hi.data.byteLength + this.action.data.byteLength + this.viol.data.byteLength
      + this.chunks.data.byteLength + this.starts.data.byteLength + this.bytes.data.byteLength
      + this.blocks.data.byteLength + this.blockStarts.data.byteLength;
  }

  /** A new level: no records, no chunks. */
  clear(): void {
    this.count = 0;
    this.parent.length = this.hi.length = this.action.length = this.viol.length = 0;
    this.chunks.length = this.starts.length = this.bytes.length = this.blocks.length = this.blockStarts.length = 0;
  }

  /** Chunk c's records begin (its blocks at arena byte `at`). */
  beginChunk(c: number, at: number): void {
    this.chunks.push(c);
    this.starts.push(this.count);
    this.bytes.push(at);
    this.blocks.push(this.blockStarts.length);
  }

  /** Records of the chunk begun last. */
  get chunkCount(): number {
    return this.count - this.starts.data[this.starts.length - 1]!;
  }

  /** A block of the current chunk begins at arena byte `at`. */
  beginBlock(at: number): void {
    this.blockStarts.push(at);
  }

  /** A record (its bytes just encoded, its hi fingerprint `hi`): from frontier position `parent` by `action`; returns its number. */
  add(parent: number, action: number, hi: number): number {
    this.parent.push(parent);
    this.hi.push(hi);
    this.action.push(action);
    return this.count++;
  }

  /** Record r violates the properties of `mask` (maskWords words). */
  violates(r: number, mask: Int32Array): void {
    this.viol.push(r);
    for (let w = 0; w < this.maskWords; w++) this.viol.push(mask[w]!);
  }

  /** Where PLACE writes the next level (a 'next' message). */
  receive(m: NextMsg): void {
    this.nextParent = new Int32Array(m.parent);
    this.nextAction = actionView(m.action, this.actionCount);
    this.nextFirstBlock = m.firstBlock;
    this.nextBlockKept = new Int32Array(m.blockKept);
    this.nextBlockArena = new Int32Array(m.blockArena);
    this.nextBlockStart = new Float64Array(m.blockStart);
    this.nextBlockEnd = new Float64Array(m.blockEnd);
    this.nextClaims = m.claims;
  }

  /** PLACE (see the header): every chunk this participant expanded this level. */
  place(p: PlaceInput): void {
    const chunks = this.chunks.length;
    const logged = this.nextClaims >= 0;
    if (logged) this.bucketClaims(p.claims, this.nextClaims, p.counts.length);
    const starts = this.blockStarts.data;
    let v = 0; // the next entry of viol (records come in increasing order, as the chunks here)
    for (let m = 0; m < chunks; m++) {
      const c = this.chunks.data[m]!;
      const last = m + 1 === chunks;
      const span: Span = {
        r0: this.starts.data[m]!, r1: last ? this.count : this.starts.data[m + 1]!,
        s0: this.blocks.data[m]!, s1: last ? this.blockStarts.length : this.blocks.data[m + 1]!,
        b1: last ? p.enc.length : this.bytes.data[m + 1]!,
        // + k: block k's entry in the next level's table
        first: this.nextFirstBlock[c]! - this.blocks.data[m]!,
        pos: p.counts[c]!,
      };
      for (let k = span.s0; k < span.s1; k++) {
        this.nextBlockArena[span.first + k] = p.index;
        this.nextBlockStart[span.first + k] = starts[k]!;
        this.nextBlockEnd[span.first + k] = k + 1 < span.s1 ? starts[k + 1]! : span.b1;
      }
      const dropped = p.dropped[c]!;
      // Claims are rare: a chunk nobody took a state from keeps every
      // record, and needs no look-up at all.
      if (dropped === 0) v = this.placeWhole(p, span, v);
      else if (logged && this.matchClaims(c, span) === dropped) v = this.placeMatched(p, span, v);
      else v = this.placeLookedUp(p, span, (p.base + c) >>> 0, v);
    }
  }

  /** A chunk no record of which was claimed. Returns the next viol entry. */
  private placeWhole(p: PlaceInput, sp: Span, v: number): number {
    const viol = this.viol.data;
    const violEnd = this.viol.length;
    const stride = 1 + this.maskWords;
    for (let r = sp.r0; r < sp.r1; r++) this.keep(r, sp.pos + r - sp.r0);
    for (; v < violEnd && viol[v]! < sp.r1; v += stride) this.violated(v, sp.pos + viol[v]! - sp.r0, p.viol);
    const per = p.blockRecords;
    for (let k = sp.s0; k < sp.s1; k++) this.nextBlockKept[sp.first + k] = Math.min(per, sp.r1 - sp.r0 - (k - sp.s0) * per);
    return v;
  }

  /**
   * Chunk c's logged claims into `claimed`; how many of its records have
   * the hi fingerprint of one (the dead ones, if it equals the chunk's
   * dropped count: see the header).
   */
  private matchClaims(c: number, sp: Span): number {
    const set = this.claimed;
    const from = this.claimStart[c]!;
    const to = this.claimStart[c + 1]!;
    set.reset(to - from);
    for (let e = from; e < to; e++) set.add(this.claimHi[e]!);
    const hi = this.hi.data;
    let n = 0;
    for (let r = sp.r0; r < sp.r1; r++) if (set.has(hi[r]!)) n++;
    return n;
  }

  /** A chunk whose dead records matchClaims found: marked dead by position, no decoding. Returns the next viol entry. */
  private placeMatched(p: PlaceInput, sp: Span, v: number): number {
    const set = this.claimed;
    const hi = this.hi.data;
    const per = p.blockRecords;
    const bytes = p.enc.bytes;
    const starts = this.blockStarts.data;
    let pos = sp.pos;
    for (let k = sp.s0; k < sp.s1; k++) {
      const rb = sp.r0 + (k - sp.s0) * per; // a chunk's blocks hold blockRecords records each, the last fewer
      const re = Math.min(rb + per, sp.r1);
      let kept = 0;
      let walking = false;
      for (let r = rb; r < re; r++) {
        const mine = !set.has(hi[r]!);
        if (!mine) {
          if (!walking) this.walker.begin(bytes, starts[k]!);
          walking = true;
          markDead(bytes, this.walker.headerOf(r - rb));
        }
        v = this.settle(p, r, mine, pos + kept, v);
        if (mine) kept++;
      }
      pos += kept;
      this.nextBlockKept[sp.first + k] = kept;
    }
    return v;
  }

  /**
   * A chunk with dead records the claims log cannot name (see the
   * header): decode its blocks for their fingerprints and look each up in
   * the table; a record whose slot no longer carries the chunk's `tag` is
   * dead. Returns the next viol entry.
   */
  private placeLookedUp(p: PlaceInput, sp: Span, tag: number, v: number): number {
    const { words } = this;
    const { enc, dec, table } = p;
    const starts = this.blockStarts.data;
    let pos = sp.pos;
    let r = sp.r0;
    for (let k = sp.s0; k < sp.s1; k++) {
      dec.begin(enc.bytes, starts[k]!, k + 1 < sp.s1 ? starts[k + 1]! : sp.b1);
      let kept = 0;
      for (; dec.next(); r++) {
        const mine = table.tagOf(finishHi(dec.cur[words]! | 0), finishLo(dec.cur[words + 1]! | 0)) === tag;
        if (!mine) markDead(enc.bytes, dec.header);
        v = this.settle(p, r, mine, pos + kept, v);
        if (mine) kept++;
      }
      pos += kept;
      this.nextBlockKept[sp.first + k] = kept;
    }
    return v;
  }

  /**
   * Record r of a chunk with dead records: the state at `pos` if `mine`
   * (not claimed away), and its violations with it (viol entry v, if it
   * is r's). Returns the next viol entry.
   */
  private settle(p: PlaceInput, r: number, mine: boolean, pos: number, v: number): number {
    if (mine) this.keep(r, pos);
    if (v < this.viol.length && this.viol.data[v] === r) {
      if (mine) this.violated(v, pos, p.viol);
      v += 1 + this.maskWords;
    }
    return v;
  }

  /** Bucket the claims log's first n entries by the chunk claimed from (claimStart, claimHi): a counting sort. */
  private bucketClaims(log: Int32Array, n: number, nChunks: number): void {
    if (this.claimStart.length < nChunks + 1) this.claimStart = new Int32Array(nChunks + 1);
    if (this.claimHi.length < n) this.claimHi = new Int32Array(n);
    const start = this.claimStart;
    start.fill(0, 0, nChunks + 1);
    for (let e = 0; e < n; e++) start[log[e * CLAIM_WORDS + 1]! + 1]!++;
    for (let c = 0; c < nChunks; c++) start[c + 1]! += start[c]!;
    // start[c] moves on to chunk c's end as its entries are placed, then back to its beginning
    for (let e = 0; e < n; e++) this.claimHi[start[log[e * CLAIM_WORDS + 1]!]!++] = log[e * CLAIM_WORDS]!;
    for (let c = nChunks; c > 0; c--) start[c] = start[c - 1]!;
    start[0] = 0;
  }

  /** Record r is the state at `pos` of the next level. */
  private keep(r: number, pos: number): void {
    this.nextParent[pos] = this.parent.data[r]!;
    this.nextAction[pos] = this.action.data[r]!;
  }

  /** The properties of viol entry v are violated at `pos`. */
  private violated(v: number, pos: number, smallest: Int32Array): void {
    for (let w = 0; w < this.maskWords; w++) {
      const mask = this.viol.data[v + 1 + w]!;
      for (let b = 0; b < 32; b++) if (mask & (1 << b)) atomicMin(smallest, w * 32 + b, pos);
    }
  }
}
