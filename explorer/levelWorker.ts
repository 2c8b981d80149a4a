/**
 * One worker's share of a BFS level in the parallel explorer
 * (explorer/parallel.ts): the two phases of a level, run by every
 * worker thread (explorer/parallelWorker.ts) or, with no threads, by the
 * coordinating thread itself.
 *
 * - EXPAND: take chunks of the frontier (a shared counter hands them out),
 *   decode their blocks (explorer/levelBlocks.ts), generate every
 *   successor, visit it in the shared table with the chunk's tag
 *   (sharedTable.ts), and append the ones this chunk now owns to the
 *   chunk's blocks (delta-encoded, a block every lv.blockRecords records)
 *   in this worker's arena for the next level: a SharedArrayBuffer the
 *   next level is read from in place by every participant (no copy). The
 *   parent position and action of each go to private columns. A chunk
 *   that claims a state from a later chunk counts one record `dropped`
 *   for that chunk; so once every chunk is expanded, the coordinator
 *   knows each chunk's kept records (recorded - dropped) and blocks, and
 *   turns them into positions and block numbers, without another pass.
 * - PLACE: enter each chunk's blocks in the next level's block table
 *   (arena, bytes, kept records), and its kept records' parents and
 *   actions at chunk position + rank; a record a smaller chunk claimed
 *   (its slot no longer carries the chunk's tag) is marked dead in its
 *   block: it keeps its place, since the next record is encoded against
 *   it, but it is no state of the level (claims are rare). The violations
 *   found on kept records (properties are checked as a record is made)
 *   become positions, keeping per property the smallest (an atomic min):
 *   the first violating state in BFS order.
 *
 * Next-level order is thus by chunk, then by discovery within the chunk:
 * by (parent position, enabled index) of each state's first discoverer,
 * exactly the order of the one-thread BFS (explorer/bfs.ts), whatever the
 * number of workers or the timing.
 */
import { letGo } from './collectGarbage.js';
import { finishHi, finishLo } from './fingerprint.js';
import { Column32, Column8, ColumnF64 } from './growable.js';
import { BlockDecoder, BlockEncoder, markDead } from './levelBlocks.js';
import { AmpleSelector } from './por.js';
import { INSERTED, OLD, OLD_THIS_LEVEL, SharedTable } from './sharedTable.js';
import { Successors } from './successor.js';
import { ASK, TagCache } from './tagCache.js';
import type { Model, Property } from './types.js';
import { actionView, atomicMin, C, FOUND_EARLIER, PHASE_EXPAND, PHASE_PLACE, rangeStart, rehashShare, succView } from './levelProtocol.js';
import type { HostMsg, LevelMsg } from './levelProtocol.js';

export class LevelWorker {
  private table!: SharedTable;
  private lv!: LevelMsg;
  /** the frontier's arenas (lv.arenas) as bytes */
  private arenas: Uint8Array[] = [];
  private succ!: Uint8Array | Uint16Array | Int32Array;
  private counts!: Int32Array;
  private dropped!: Int32Array;
  private nextParent!: Int32Array;
  private nextAction!: Uint8Array | Int32Array;
  private nextFirstBlock!: Int32Array;
  private nextBlockKept!: Int32Array;
  private nextBlockArena!: Int32Array;
  private nextBlockStart!: Float64Array;
  private nextBlockEnd!: Float64Array;

  private readonly words: number;
  /** successor pipeline: canonical form, incremental fingerprint, which properties to check (successor.ts) */
  private readonly succs: Successors;
  private readonly enabled: Int32Array;
  /** answers of the shared table for recently seen states (tagCache.ts), from the first level shared with other threads (768 KiB: not for small runs) */
  private cache: TagCache | undefined;

  // this level's records: the successors this worker's chunks own (or
  // owned), in blocks in `enc`, parent and action in columns. Two arenas
  // over SharedArrayBuffers, one for the levels of each parity: the level
  // written while expanding level L (L + 1) is read in place by every
  // participant while expanding L + 1, when this worker writes L + 2 into
  // the other arena; L's arena is free again by then.
  private readonly encoders: readonly [BlockEncoder, BlockEncoder];
  private enc: BlockEncoder;
  /** per parity, the arena last told to `onArena` */
  private readonly told: [ArrayBufferLike | undefined, ArrayBufferLike | undefined] = [undefined, undefined];
  /** told of an arena this worker allocated (a worker thread posts it to the coordinator: levelProtocol.ts ArenaMsg) */
  onArena: ((parity: number, buf: SharedArrayBuffer) => void) | undefined;
  private readonly dec: BlockDecoder;
  private recCount = 0;
  private readonly recParent = new Column32();
  /** a byte per record when the model has at most 256 actions */
  private readonly recAction: Column8 | Column32;
  /** the records that violate a property (rare): record number, then maskWords words of property bits */
  private readonly recViol = new Column32();
  private readonly maskWords: number;
  private readonly mask: Int32Array;
  /** per property: violated in an earlier level, or already seen failing by this worker this level */
  private readonly seen: Uint8Array;
  /** the chunks this worker expanded this level: chunk id, first record, first byte of its blocks in `enc`, first entry of blockStarts */
  private readonly myChunks = new Column32();
  private readonly myStarts = new Column32();
  private readonly myBytes = new ColumnF64();
  private readonly myBlocks = new Column32();
  /** where each block begins in `enc` (a chunk's records go to blocks of lv.blockRecords) */
  private readonly blockStarts = new ColumnF64();
  /** records of the chunk being expanded */
  private chunkRecords = 0;

  /** test hook: hand out chunks last first (results must not change) */
  reverseChunks = false;
  /** which participant this is: 0 the coordinating thread, 1.. the worker threads */
  index = 0;

  // reductions (explorer/por.ts contract; Model.canonicalize)
  private readonly sel: AmpleSelector | undefined;
  private readonly chosen: Int32Array;
  private readonly safe: ((s: Uint8Array) => boolean) | undefined;
  private reported = { ample: 0, full: 0 };

  // the chunk being expanded
  private tag = 0;
  private inserted = 0;
  private beyond = 0;
  private takes = 0;

  constructor(
    private readonly model: Model,
    private readonly properties: readonly Property[],
    private readonly deadlock: boolean,
    private readonly ctl: Int32Array,
    /** per property: NONE, FOUND_EARLIER, or the smallest violating position in the next level */
    private readonly viol: Int32Array,
    reductions: { readonly por: boolean; readonly symmetry: boolean } = { por: false, symmetry: false },
  ) {
    this.sel = reductions.por && model.por ? new AmpleSelector(model, properties) : undefined;
    this.chosen = new Int32Array(Math.max(1, model.actionCount));
    const sym = reductions.symmetry && model.canonicalize !== undefined;
    this.safe = sym && model.symmetrySafe ? model.symmetrySafe.bind(model) : undefined;
    this.words = model.stateBytes >>> 2;
    this.succs = new Successors(model, properties, sym);
    this.enabled = new Int32Array(Math.max(1, model.actionCount));
    this.encoders = [new BlockEncoder(model.stateBytes, 4096, sharedArena()), new BlockEncoder(model.stateBytes, 4096, sharedArena())];
    this.enc = this.encoders[1];
    this.dec = new BlockDecoder(model.stateBytes);
    this.recAction = model.actionCount <= 256 ? new Column8() : new Column32();
    this.maskWords = Math.ceil(properties.length / 32);
    this.mask = new Int32Array(this.maskWords);
    this.seen = new Uint8Array(properties.length);
  }

  receive(m: HostMsg): void {
    if (m.kind === 'table') {
      if (this.table) letGo(this.table.buf.byteLength); // the table it replaces (collectGarbage.ts)
      this.table = new SharedTable(m.buf);
    } else if (m.kind === 'rehash') {
      this.rehashing = { into: new SharedTable(m.buf), spill: new Uint32Array(m.spill) };
    } else if (m.kind === 'level') {
      this.lv = m;
      if (m.participants > 1) this.cache ??= new TagCache();
      this.arenas = m.arenas.map((b) => new Uint8Array(b));
      this.succ = succView(m.succ, this.model.actionCount);
      this.counts = new Int32Array(m.counts);
      this.dropped = new Int32Array(m.dropped);
    } else {
      this.nextParent = new Int32Array(m.parent);
      this.nextAction = actionView(m.action, this.model.actionCount);
      this.nextFirstBlock = m.firstBlock;
      this.nextBlockKept = new Int32Array(m.blockKept);
      this.nextBlockArena = new Int32Array(m.blockArena);
      this.nextBlockStart = new Float64Array(m.blockStart);
      this.nextBlockEnd = new Float64Array(m.blockEnd);
    }
  }

  /** The arena this worker writes the levels of `parity` into (its blocks' `arenas` entry is this worker's index). */
  arena(parity: number): SharedArrayBuffer {
    return this.encoderOf(parity).bytes.buffer as SharedArrayBuffer;
  }

  private encoderOf(parity: number): BlockEncoder {
    return (parity & 1) === 0 ? this.encoders[0] : this.encoders[1];
  }

  /** the growth being rehashed (a 'rehash' message), until the new table arrives */
  private rehashing: { readonly into: SharedTable; readonly spill: Uint32Array } | undefined;

  /** Take parts of the growth's rehash (parked, explorer/parallelWorker.ts) from this worker's table into the new one. */
  rehash(): void {
    const r = this.rehashing;
    if (!r) throw new Error('pincow internal error: asked to rehash with no new table');
    rehashShare(this.ctl, this.table, r.into, r.spill);
    this.rehashing = undefined;
  }

  /** Bytes this worker holds privately (for bytes/state). */
  get privateBytes(): number {
    const cols = this.recParent.data.byteLength + this.recAction.data.byteLength + this.recViol.data.byteLength
      + this.myChunks.data.byteLength + this.myStarts.data.byteLength + this.myBytes.data.byteLength
      + this.myBlocks.data.byteLength + this.blockStarts.data.byteLength;
    return this.encoders[0].capacity + this.encoders[1].capacity + this.dec.bytes + (this.cache?.bytes ?? 0) + cols;
  }

  run(phase: number, boundary: () => boolean): void {
    if (phase === PHASE_EXPAND) this.expand(boundary);
    else if (phase === PHASE_PLACE) this.place();
    // What this worker holds now (its buffers only grow: the last value is its peak), read by the coordinator.
    Atomics.store(this.ctl, C.PRIV + this.index, Math.ceil(this.privateBytes / 1024));
  }

  /**
   * EXPAND: chunks until none is left or `boundary` (asked before each
   * chunk: grow the table, park, stop) says to stop.
   */
  private expand(boundary: () => boolean): void {
    this.enc = this.encoderOf(this.lv.level + 1);
    this.enc.clear();
    this.recCount = 0;
    this.recParent.length = this.recAction.length = 0;
    this.myChunks.length = this.myStarts.length = this.myBytes.length = this.myBlocks.length = this.blockStarts.length = 0;
    this.recViol.length = 0;
    this.resetSeen();
    const n = this.lv.nChunks;
    const parts = this.lv.participants;
    let last = -1;
    // own range first, then help the others (their next chunks)
    ranges: for (let v = 0; v < parts; v++) {
      const owner = (this.index + v) % parts;
      const end = rangeStart(owner + 1, parts, n);
      for (;;) {
        if (!boundary()) break ranges;
        const k = Atomics.add(this.ctl, C.NEXT + owner, 1);
        if (k >= end) break;
        const c = this.reverseChunks ? n - 1 - k : k;
        if (c < last) this.resetSeen(); // checkProperties() assumes increasing chunks
        last = c;
        const inserted = this.expandChunk(c);
        if (inserted) Atomics.add(this.ctl, C.TSIZE, inserted);
      }
    }
    if (this.sel) {
      const st = this.sel.stats;
      Atomics.add(this.ctl, C.AMPLE, st.ampleStates - this.reported.ample);
      Atomics.add(this.ctl, C.FULL, st.fullStates - this.reported.full);
      this.reported = { ample: st.ampleStates, full: st.fullStates };
    }
    const parity = (this.lv.level + 1) & 1;
    const buf = this.enc.bytes.buffer;
    if (this.recCount > 0 && buf !== this.told[parity]) {
      this.told[parity] = buf;
      this.onArena?.(parity, buf as SharedArrayBuffer);
    }
  }

  /** Expand one chunk (a run of blocks); returns how many states it inserted into the table. */
  private expandChunk(c: number): number {
    const { lv, dec } = this;
    this.tag = (lv.base + c) >>> 0;
    this.myChunks.push(c);
    this.myStarts.push(this.recCount);
    this.myBytes.push(this.enc.length);
    this.myBlocks.push(this.blockStarts.length);
    this.chunkRecords = 0;
    this.inserted = 0;
    this.beyond = 0;
    let i = lv.chunkPos[c]!;
    blocks: for (let b = lv.chunkBlock[c]!; b < lv.chunkBlock[c + 1]!; b++) {
      dec.begin(this.arenas[lv.blockArena[b]!]!, lv.blockStart[b]!, lv.blockEnd[b]!);
      while (dec.next()) {
        if (dec.dead) continue; // claimed by a smaller chunk of the level before: not a state of this level
        if (!this.expandState(i++)) break blocks;
      }
    }
    if (this.beyond) Atomics.add(this.ctl, C.BEYOND, this.beyond);
    this.counts[c] = this.recCount - this.myStarts.data[this.myStarts.length - 1]!;
    return this.inserted;
  }

  /** Expand frontier state i (the decoder's current record); false if symmetry turned out unsafe (stop). */
  private expandState(i: number): boolean {
    const { model, enabled, chosen, sel } = this;
    // begin() copies the state with a memcpy (beginWords copies word by word)
    const rec = this.dec.cur;
    const cur = this.succs.begin(this.dec.state, rec[this.words]! | 0, rec[this.words + 1]! | 0);
    const n = model.enabled(cur, enabled);
    this.takes = 0;
    if (n === 0 && this.deadlock && !model.isFinal(cur)) atomicMin(this.ctl, C.DEADLOCK, i);
    if (this.safe && n > 0 && !this.safe(cur)) {
      // symmetry is unsafe here: the coordinator starts again without it
      Atomics.store(this.ctl, C.UNSAFE, 1);
      Atomics.store(this.ctl, C.STOP, 1);
      return false;
    }
    if (sel && n > 1) {
      // the same order of takes as explorer/bfs.ts: the ample set, then (C3 proviso) the rest
      const k = sel.choose(cur, enabled, n, chosen);
      let fresh = true;
      for (let j = 0; j < k; j++) fresh = this.take(i, chosen[j]!, true) && fresh;
      if (k < n && !fresh) {
        sel.countFull();
        for (let j = 0; j < n; j++) {
          const a = enabled[j]!;
          if (!chosen.subarray(0, k).includes(a)) this.take(i, a, true);
        }
      }
    } else {
      for (let j = 0; j < n; j++) this.take(i, enabled[j]!, false);
    }
    this.succ[i] = this.takes;
    return true;
  }

  /**
   * Take action a from frontier state i (begun in `succs`): successor,
   * canonical form, visit. Returns false if the successor was reached at
   * a depth <= this level's (the BFS proviso's test), true otherwise.
   */
  private take(i: number, a: number, chose: boolean): boolean {
    const succ = this.succs;
    // after choose(): the successor its visibility test computed, if any
    succ.make(a, chose ? this.sel!.successorOf(a) : undefined);
    this.takes++;
    const hi = succ.hi;
    const lo = succ.lo;
    const base = this.lv.base >>> 0;
    // this thread's cache of the table's answers first (tagCache.ts)
    const cache = this.cache;
    let r = cache ? cache.answer(hi, lo, this.tag, base) : ASK;
    if (r === ASK) {
      r = this.table.visit(hi, lo, this.tag, base);
      cache?.remember(hi, lo, r, this.tag);
    }
    if (r === OLD) return false;
    if (r === OLD_THIS_LEVEL) return true;
    if (r === INSERTED) this.inserted++;
    else Atomics.add(this.dropped, this.table.claimedFrom - this.lv.base, 1); // CLAIMED: its previous owner loses the record
    if (this.lv.probe) {
      if (r === INSERTED) this.beyond++;
      return true;
    }
    // INSERTED or CLAIMED: this chunk owns it, for now
    if (this.chunkRecords++ % this.lv.blockRecords === 0) {
      this.enc.beginBlock();
      this.blockStarts.push(this.enc.length);
    }
    this.enc.push(succ.outW);
    this.recParent.push(i);
    this.recAction.push(a);
    this.checkProperties(succ.out, this.recCount++);
    return true;
  }

  /** Only the properties violated in earlier levels are skipped. */
  private resetSeen(): void {
    for (let p = 0; p < this.properties.length; p++) this.seen[p] = this.viol[p] === FOUND_EARLIER ? 1 : 0;
  }

  /**
   * The properties on a new record (number r), while its bytes are at
   * hand: the violated ones noted with the record, turned into positions
   * by PLACE if the record is kept. A worker's chunks come in increasing
   * order, so once it has seen a property fail this level, its later
   * records cannot be the first violation and the property is not
   * checked again (if the record that failed is claimed by a smaller
   * chunk, that chunk's copy fails too, further ahead).
   */
  private checkProperties(state: Uint8Array, r: number): void {
    const { properties, seen, mask } = this;
    const mw = this.maskWords;
    let any = 0;
    for (let w = 0; w < mw; w++) {
      let m = 0;
      const end = Math.min(properties.length, (w + 1) * 32);
      for (let p = w * 32; p < end; p++) {
        // unchanged reads: it holds, as on the parent (successor.ts)
        if (seen[p] || !this.succs.mustCheck(p) || properties[p]!.holds(state)) continue;
        m |= 1 << (p & 31);
        if (!this.reverseChunks) seen[p] = 1; // (last first: every chunk is lower than the one before)
      }
      mask[w] = m;
      any |= m;
    }
    if (any === 0) return;
    this.recViol.push(r);
    for (let w = 0; w < mw; w++) this.recViol.push(mask[w]!);
  }

  /**
   * PLACE: for each chunk this worker expanded, its blocks into the next
   * level's block table (they stay where they are, in this worker's
   * arena), its kept records' parents and actions at their positions,
   * their violations to positions.
   */
  private place(): void {
    const { dec, enc, table } = this;
    const words = this.words;
    const chunks = this.myChunks.length;
    const viol = this.recViol.data;
    const violEnd = this.recViol.length;
    const stride = 1 + this.maskWords;
    const per = this.lv.blockRecords;
    const starts = this.blockStarts.data;
    let v = 0; // the next entry of recViol (records come in increasing order, as the chunks here)
    for (let m = 0; m < chunks; m++) {
      const c = this.myChunks.data[m]!;
      const r0 = this.myStarts.data[m]!;
      const r1 = m + 1 < chunks ? this.myStarts.data[m + 1]! : this.recCount;
      const b1 = m + 1 < chunks ? this.myBytes.data[m + 1]! : enc.length;
      const s0 = this.myBlocks.data[m]!;
      const s1 = m + 1 < chunks ? this.myBlocks.data[m + 1]! : this.blockStarts.length;
      const tag = (this.lv.base + c) >>> 0;
      const first = this.nextFirstBlock[c]! - s0; // + k: block k's entry in the next level's table
      let pos = this.counts[c]!;
      for (let k = s0; k < s1; k++) {
        this.nextBlockArena[first + k] = this.index;
        this.nextBlockStart[first + k] = starts[k]!;
        this.nextBlockEnd[first + k] = k + 1 < s1 ? starts[k + 1]! : b1;
      }
      if (this.dropped[c] === 0) {
        // Claims are rare: a chunk nobody took a state from keeps every
        // record, and skips the table look-ups (a cache miss each in a big table).
        for (let r = r0; r < r1; r++) this.keep(r, pos + r - r0);
        for (; v < violEnd && viol[v]! < r1; v += stride) this.violated(v, pos + viol[v]! - r0);
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
              if (mine) this.violated(v, pos + kept);
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
    this.nextParent[pos] = this.recParent.data[r]!;
    this.nextAction[pos] = this.recAction.data[r]!;
  }

  /** The properties of recViol entry v are violated at `pos`. */
  private violated(v: number, pos: number): void {
    const mw = this.maskWords;
    for (let w = 0; w < mw; w++) {
      const mask = this.recViol.data[v + 1 + w]!;
      for (let b = 0; b < 32; b++) if (mask & (1 << b)) atomicMin(this.viol, w * 32 + b, pos);
    }
  }
}

/** An encoder's allocator: each arena in a SharedArrayBuffer, the one it replaces let go of (collectGarbage.ts). */
function sharedArena(): (n: number) => Uint8Array {
  let held = 0;
  return (n) => {
    letGo(held);
    held = n;
    return new Uint8Array(new SharedArrayBuffer(n));
  };
}
