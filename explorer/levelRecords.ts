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
 */
import { finishHi, finishLo } from './fingerprint.js';
import { Column32, Column8, ColumnF64 } from './growable.js';
import { markDead } from './levelBlocks.js';
import type { BlockDecoder, BlockEncoder } from './levelBlocks.js';
import { actionView, atomicMin } from './levelProtocol.js';
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
}

export class LevelRecords {
  /** records made this level */
  count = 0;
  private readonly parent = new Column32();
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
    return this.parent.data.byteLength + this.action.data.byteLength + this.viol.data.byteLength
      + this.chunks.data.byteLength + this.starts.data.byteLength + this.bytes.data.byteLength
      + this.blocks.data.byteLength + this.blockStarts.data.byteLength;
  }

  /** A new level: no records, no chunks. */
  clear(): void {
    this.count = 0;
    this.parent.length = this.action.length = this.viol.length = 0;
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

  /** A record (its bytes just encoded): from frontier position `parent` by `action`; returns its number. */
  add(parent: number, action: number): number {
    this.parent.push(parent);
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
  }

  /** PLACE (see the header): every chunk this participant expanded this level. */
  place(p: PlaceInput): void {
    const { words } = this;
    const { enc, dec, table } = p;
    const chunks = this.chunks.length;
    const viol = this.viol.data;
    const violEnd = this.viol.length;
    const stride = 1 + this.maskWords;
    const per = p.blockRecords;
    const starts = this.blockStarts.data;
    let v = 0; // the next entry of viol (records come in increasing order, as the chunks here)
    for (let m = 0; m < chunks; m++) {
      const c = this.chunks.data[m]!;
      const r0 = this.starts.data[m]!;
      const r1 = m + 1 < chunks ? this.starts.data[m + 1]! : this.count;
      const b1 = m + 1 < chunks ? this.bytes.data[m + 1]! : enc.length;
      const s0 = this.blocks.data[m]!;
      const s1 = m + 1 < chunks ? this.blocks.data[m + 1]! : this.blockStarts.length;
      const tag = (p.base + c) >>> 0;
      const first = this.nextFirstBlock[c]! - s0; // + k: block k's entry in the next level's table
      let pos = p.counts[c]!;
      for (let k = s0; k < s1; k++) {
        this.nextBlockArena[first + k] = p.index;
        this.nextBlockStart[first + k] = starts[k]!;
        this.nextBlockEnd[first + k] = k + 1 < s1 ? starts[k + 1]! : b1;
      }
      if (p.dropped[c] === 0) {
        // Claims are rare: a chunk nobody took a state from keeps every
        // record, and skips the table look-ups (a cache miss each in a big table).
        for (let r = r0; r < r1; r++) this.keep(r, pos + r - r0);
        for (; v < violEnd && viol[v]! < r1; v += stride) this.violated(v, pos + viol[v]! - r0, p.viol);
        for (let k = s0; k < s1; k++) this.nextBlockKept[first + k] = Math.min(per, r1 - r0 - (k - s0) * per);
      } else {
        // Which records are still this chunk's: decode the blocks for their
        // fingerprints; the others are marked dead where they are.
        let r = r0;
        for (let k = s0; k < s1; k++) {
          dec.begin(enc.bytes, starts[k]!, k + 1 < s1 ? starts[k + 1]! : b1);
          let kept = 0;
          for (; dec.next(); r++) {
            const mine = table.tagOf(finishHi(dec.cur[words]! | 0), finishLo(dec.cur[words + 1]! | 0)) === tag;
            if (!mine) markDead(enc.bytes, dec.header);
            else this.keep(r, pos + kept);
            if (v < violEnd && viol[v] === r) {
              if (mine) this.violated(v, pos + kept, p.viol);
              v += stride;
            }
            if (mine) kept++;
          }
          pos += kept;
          this.nextBlockKept[first + k] = kept;
        }
      }
    }
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
