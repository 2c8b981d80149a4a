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
 *   parent position and action of each are kept with the record
 *   (explorer/levelRecords.ts). A chunk
 *   that claims a state from a later chunk counts one record `dropped`
 *   for that chunk; so once every chunk is expanded, the coordinator
 *   knows each chunk's kept records (recorded - dropped) and blocks, and
 *   turns them into positions and block numbers, without another pass.
 * - PLACE (explorer/levelRecords.ts): enter each chunk's blocks in the
 *   next level's block table, its kept records' parents and actions at
 *   chunk position + rank, and mark dead the records a smaller chunk
 *   claimed; the violations found on kept records (properties are checked
 *   as a record is made) become positions.
 *
 * Next-level order is thus by chunk, then by discovery within the chunk:
 * by (parent position, enabled index) of each state's first discoverer,
 * exactly the order of the one-thread BFS (explorer/bfs.ts), whatever the
 * number of workers or the timing.
 */
import { letGo } from './collectGarbage.js';
import { BlockDecoder, BlockEncoder } from './levelBlocks.js';
import { LevelRecords } from './levelRecords.js';
import { AmpleSelector } from './por.js';
import { INSERTED, OLD, OLD_THIS_LEVEL, SharedTable } from './sharedTable.js';
import { Successors } from './successor.js';
import { ASK, TagCache } from './tagCache.js';
import type { Model, Property } from './types.js';
import { atomicMin, C, CLAIM_WORDS, FOUND_EARLIER, PHASE_EXPAND, PHASE_PLACE, rangeStart, rehashShare, succView } from './levelProtocol.js';
import type { HostMsg, LevelMsg } from './levelProtocol.js';

export class LevelWorker {
  private table!: SharedTable;
  private lv!: LevelMsg;
  /** the frontier's arenas (lv.arenas) as bytes */
  private arenas: Uint8Array[] = [];
  private succ!: Uint8Array | Uint16Array | Int32Array;
  private counts!: Int32Array;
  private dropped!: Int32Array;
  /** the level's claims log (LevelMsg.claims) */
  private claims!: Int32Array;

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
  /** this level's records: parents, actions, violations, chunks (levelRecords.ts, which also does PLACE) */
  private readonly records: LevelRecords;
  private readonly mask: Int32Array;
  /** per property: violated in an earlier level, or already seen failing by this worker this level */
  private readonly seen: Uint8Array;
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
    this.records = new LevelRecords(model.stateBytes, model.actionCount, Math.ceil(properties.length / 32));
    this.mask = new Int32Array(this.records.maskWords);
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
      this.claims = new Int32Array(m.claims);
    } else {
      this.records.receive(m);
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
    return this.encoders[0].capacity + this.encoders[1].capacity + this.dec.bytes + (this.cache?.bytes ?? 0) + this.records.byteLength;
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
    this.records.clear();
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
    if (this.records.count > 0 && buf !== this.told[parity]) {
      this.told[parity] = buf;
      this.onArena?.(parity, buf as SharedArrayBuffer);
    }
  }

  /** Expand one chunk (a run of blocks); returns how many states it inserted into the table. */
  private expandChunk(c: number): number {
    const { lv, dec } = this;
    this.tag = (lv.base + c) >>> 0;
    this.records.beginChunk(c, this.enc.length);
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
    this.counts[c] = this.records.chunkCount;
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
    else this.claimed(hi, this.table.claimedFrom - this.lv.base); // CLAIMED: its previous owner loses the record
    if (this.lv.probe) {
      if (r === INSERTED) this.beyond++;
      return true;
    }
    // INSERTED or CLAIMED: this chunk owns it, for now
    if (this.chunkRecords++ % this.lv.blockRecords === 0) {
      this.enc.beginBlock();
      this.records.beginBlock(this.enc.length);
    }
    this.enc.push(succ.outW);
    this.checkProperties(succ.out, this.records.add(i, a, hi));
    return true;
  }

  /** This chunk claimed a state (hi fingerprint `hi`) from `chunk`: count it there, and log it for PLACE (levelProtocol.ts LevelMsg.claims). */
  private claimed(hi: number, chunk: number): void {
    Atomics.add(this.dropped, chunk, 1);
    const k = Atomics.add(this.ctl, C.CLAIMS, 1) * CLAIM_WORDS;
    if (k < this.claims.length) {
      this.claims[k] = hi;
      this.claims[k + 1] = chunk;
    }
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
    const mw = this.records.maskWords;
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
    this.records.violates(r, mask);
  }

  /** PLACE (levelRecords.ts): this worker's records of the level just expanded become states of the next level. */
  private place(): void {
    const { lv } = this;
    this.records.place({
      enc: this.enc, dec: this.dec, table: this.table, blockRecords: lv.blockRecords, base: lv.base,
      counts: this.counts, dropped: this.dropped, index: this.index, viol: this.viol,
      claims: this.claims,
    });
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
