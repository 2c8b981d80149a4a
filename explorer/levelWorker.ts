/**
 * One worker's share of a BFS level in the parallel explorer
 * (explorer/parallel.ts): the two phases of a level, run by every
 * worker thread (explorer/parallelWorker.ts) or, with no threads, by the
 * coordinating thread itself.
 *
 * - EXPAND: take chunks of the frontier (a shared counter hands them out),
 *   generate every successor, visit it in the shared table with the
 *   chunk's tag (sharedTable.ts), and record the ones this chunk now owns
 *   (state bytes, parent position, action) in a private arena.
 *   A chunk that claims a state from a later chunk counts one record
 *   `dropped` for that chunk; so once every chunk is expanded, the
 *   coordinator knows each chunk's kept records (recorded - dropped)
 *   and turns them into offsets, without another pass.
 * - PLACE: copy the kept records — those whose slot still carries the
 *   chunk's tag — to the next level at chunk offset + rank, and turn the
 *   violations found on them (properties are checked as a record is made)
 *   into positions, keeping per property the smallest (an atomic min):
 *   the first violating state in BFS order.
 *
 * Next-level order is thus by chunk, then by discovery within the chunk:
 * by (parent position, enabled index) of each state's first discoverer,
 * exactly the order of the one-thread BFS (explorer/bfs.ts), whatever the
 * number of workers or the timing.
 */
import { Column32 } from './growable.js';
import { FingerprintMap } from './fingerprintMap.js';
import { AmpleSelector } from './por.js';
import { INSERTED, OLD, OLD_THIS_LEVEL, SharedTable } from './sharedTable.js';
import { Successors } from './successor.js';
import type { Model, Property } from './types.js';
import { atomicMin, C, FOUND_EARLIER, PHASE_EXPAND, PHASE_PLACE, rangeStart, recordWords } from './levelProtocol.js';
import type { HostMsg, LevelMsg } from './levelProtocol.js';

/** A growable arena of frontier records (recordWords), copied in as 32-bit words. */
class Records {
  words = new Uint32Array(1024);
  count = 0;
  constructor(readonly width: number) {} // in words, the two sums included
  push(src: Uint32Array, sumA: number, sumB: number): void {
    const w = this.width;
    if ((this.count + 1) * w > this.words.length) {
      const bigger = new Uint32Array(Math.max((this.count + 1) * w, this.words.length * 2));
      bigger.set(this.words.subarray(0, this.count * w));
      this.words = bigger;
    }
    const at = this.count * w;
    for (let k = 0; k < w - 2; k++) this.words[at + k] = src[k]!;
    this.words[at + w - 2] = sumA;
    this.words[at + w - 1] = sumB;
    this.count++;
  }
}

export class LevelWorker {
  private table!: SharedTable;
  private lv!: LevelMsg;
  private frontier!: Uint32Array;
  private succ!: Int32Array;
  private counts!: Int32Array;
  private dropped!: Int32Array;
  private nextStates!: Uint32Array;
  private nextParent!: Int32Array;
  private nextAction!: Int32Array;

  private readonly words: number;
  /** successor pipeline: canonical form, incremental fingerprint, which properties to check (successor.ts) */
  private readonly succs: Successors;
  private readonly enabled: Int32Array;

  // this level's records: the successors this worker's chunks own (or owned)
  private readonly rec: Records;
  /**
   * This worker's memory of the level being built: each state of it the
   * worker met (inserted, claimed or found there) and the smallest chunk
   * it met it in. Most duplicate successors are states of that level (86%
   * in open mode), and this private table (a few MB, no atomics) answers
   * them without a probe into the shared table (tens of MB: a cache and
   * TLB miss each). Exact: a state met at chunk c' has a slot tag <= c''s
   * tag from then on (tags only go down, sharedTable.ts), so met again at
   * chunk c >= c' the shared table would say OLD_THIS_LEVEL. Met at a
   * smaller chunk (helping another's range, or the reversed-order test
   * hook), the worker asks the shared table: it may have to claim.
   */
  private readonly cache = new FingerprintMap();
  private readonly recHi = new Column32();
  private readonly recLo = new Column32();
  private readonly recParent = new Column32();
  private readonly recAction = new Column32();
  /** per record, maskWords words: the properties it violates */
  private readonly recViol = new Column32();
  private readonly maskWords: number;
  /** per property: violated in an earlier level, or already seen failing by this worker this level */
  private readonly seen: Uint8Array;
  /** the chunks this worker expanded this level: chunk id, first record */
  private readonly myChunks = new Column32();
  private readonly myStarts = new Column32();

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
    this.rec = new Records(recordWords(model.stateBytes));
    this.maskWords = Math.ceil(properties.length / 32);
    this.seen = new Uint8Array(properties.length);
  }

  receive(m: HostMsg): void {
    if (m.kind === 'table') {
      this.table = new SharedTable(m.buf);
    } else if (m.kind === 'level') {
      this.lv = m;
      this.frontier = new Uint32Array(m.frontier);
      this.succ = new Int32Array(m.succ);
      this.counts = new Int32Array(m.counts);
      this.dropped = new Int32Array(m.dropped);
    } else {
      this.nextStates = new Uint32Array(m.states);
      this.nextParent = new Int32Array(m.parent);
      this.nextAction = new Int32Array(m.action);
    }
  }

  /** Bytes this worker holds privately (for bytes/state). */
  get privateBytes(): number {
    const cols = this.recHi.data.byteLength + this.recLo.data.byteLength + this.recParent.data.byteLength + this.recAction.data.byteLength + this.recViol.data.byteLength;
    return this.rec.words.byteLength + cols + this.cache.bytes;
  }

  run(phase: number, boundary: () => boolean): void {
    if (phase === PHASE_EXPAND) this.expand(boundary);
    else if (phase === PHASE_PLACE) this.place();
  }

  /**
   * EXPAND: chunks until none is left or `boundary` (asked before each
   * chunk: grow the table, park, stop) says to stop.
   */
  private expand(boundary: () => boolean): void {
    this.cache.clear();
    this.rec.count = 0;
    this.recHi.length = this.recLo.length = this.recParent.length = this.recAction.length = 0;
    this.myChunks.length = this.myStarts.length = 0;
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
  }

  /** Expand one chunk; returns how many states it inserted into the table. */
  private expandChunk(c: number): number {
    const { model, lv, words, enabled, chosen, sel } = this;
    const from = c * lv.chunkSize;
    const to = Math.min(lv.count, from + lv.chunkSize);
    this.tag = (lv.base + c) >>> 0;
    this.myChunks.push(c);
    this.myStarts.push(this.rec.count);
    this.inserted = 0;
    this.beyond = 0;
    for (let i = from; i < to; i++) {
      const cur = this.succs.beginWords(this.frontier, i * (words + 2), true);
      const n = model.enabled(cur, enabled);
      this.takes = 0;
      if (n === 0 && this.deadlock && !model.isFinal(cur)) atomicMin(this.ctl, C.DEADLOCK, i);
      if (this.safe && n > 0 && !this.safe(cur)) {
        // symmetry is unsafe here: the coordinator starts again without it
        Atomics.store(this.ctl, C.UNSAFE, 1);
        Atomics.store(this.ctl, C.STOP, 1);
        break;
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
    }
    if (this.beyond) Atomics.add(this.ctl, C.BEYOND, this.beyond);
    this.counts[c] = this.rec.count - this.myStarts.data[this.myStarts.length - 1]!;
    return this.inserted;
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
    const c = this.tag - (this.lv.base >>> 0); // this chunk
    const met = this.cache.get(hi, lo);
    if (met >= 0 && met <= c) return true; // OLD_THIS_LEVEL, from memory (`cache`)
    const r = this.table.visit(hi, lo, this.tag, this.lv.base >>> 0);
    if (r === OLD) return false;
    this.cache.lower(hi, lo, c);
    if (r === OLD_THIS_LEVEL) return true;
    if (r === INSERTED) this.inserted++;
    else Atomics.add(this.dropped, this.table.claimedFrom - this.lv.base, 1); // CLAIMED: its previous owner loses the record
    if (this.lv.probe) {
      if (r === INSERTED) this.beyond++;
      return true;
    }
    // INSERTED or CLAIMED: this chunk owns it, for now
    this.rec.push(succ.outW, succ.outA, succ.outB);
    this.recHi.push(hi);
    this.recLo.push(lo);
    this.recParent.push(i);
    this.recAction.push(a);
    this.checkProperties(succ.out);
    return true;
  }

  /** Only the properties violated in earlier levels are skipped. */
  private resetSeen(): void {
    for (let p = 0; p < this.properties.length; p++) this.seen[p] = this.viol[p] === FOUND_EARLIER ? 1 : 0;
  }

  /**
   * The properties on a new record, while its bytes are at hand: the
   * violated ones as a bit mask per record, turned into positions by
   * PLACE if the record is kept. A worker's chunks come in increasing
   * order, so once it has seen a property fail this level, its later
   * records cannot be the first violation and the property is not
   * checked again (if the record that failed is claimed by a smaller
   * chunk, that chunk's copy fails too, further ahead).
   */
  private checkProperties(state: Uint8Array): void {
    const { properties, seen } = this;
    const mw = this.maskWords;
    for (let w = 0; w < mw; w++) {
      let mask = 0;
      const end = Math.min(properties.length, (w + 1) * 32);
      for (let p = w * 32; p < end; p++) {
        // unchanged reads: it holds, as on the parent (successor.ts)
        if (seen[p] || !this.succs.mustCheck(p) || properties[p]!.holds(state)) continue;
        mask |= 1 << (p & 31);
        if (!this.reverseChunks) seen[p] = 1; // (last first: every chunk is lower than the one before)
      }
      this.recViol.push(mask);
    }
  }

  /** PLACE: kept records to the next level at their chunk's offset; their violations to positions. */
  private place(): void {
    const { viol } = this;
    const words = this.words + 2; // records with their sums
    const mw = this.maskWords;
    const total = this.rec.count;
    const src = this.rec.words;
    const dst = this.nextStates;
    for (let m = 0; m < this.myChunks.length; m++) {
      const c = this.myChunks.data[m]!;
      const end = m + 1 < this.myChunks.length ? this.myStarts.data[m + 1]! : total;
      const tag = (this.lv.base + c) >>> 0;
      // Claims are rare: a chunk nobody took a state from keeps every
      // record, and skips the table look-up (a cache miss in a big table).
      const check = this.dropped[c] !== 0;
      let pos = this.counts[c]!;
      for (let r = this.myStarts.data[m]!; r < end; r++) {
        if (check && this.table.tagOf(this.recHi.data[r]! >>> 0, this.recLo.data[r]! >>> 0) !== tag) continue; // claimed by a smaller chunk
        const from = r * words;
        const to = pos * words;
        for (let k = 0; k < words; k++) dst[to + k] = src[from + k]!;
        this.nextParent[pos] = this.recParent.data[r]!;
        this.nextAction[pos] = this.recAction.data[r]!;
        for (let w = 0; w < mw; w++) {
          const mask = this.recViol.data[r * mw + w]!;
          if (mask === 0) continue;
          for (let b = 0; b < 32; b++) if (mask & (1 << b)) atomicMin(viol, w * 32 + b, pos);
        }
        pos++;
      }
    }
  }
}
