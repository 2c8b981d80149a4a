/**
 * Partial-order reduction: static ample sets from step footprints
 * (checker-anchors §4.2, Clarke–Grumberg–Peled ch. 10; SPIN's per-process
 * rule), for any engine over the generic Model. Safety only (invariants
 * and deadlocks): C0–C3 are enough (§4.2).
 *
 * CONTRACT FOR ENGINES (BFS, parallel BFS, DFS, sharded BFS):
 *
 *   const sel = new AmpleSelector(model, properties);   // one per worker
 *   const k = sel.choose(state, enabled, n, chosen);    // chosen ⊆ enabled
 *   expand chosen[0..k) first; then, when k < n, apply the cycle proviso:
 *     - level-synchronous BFS at depth d: if some successor of a chosen
 *       action was already visited and was NOT first reached at depth d+1
 *       (i.e. it was reached at depth <= d), expand the other enabled
 *       actions too (BFS proviso, §4.2 C3; `LevelSet` below records which
 *       states were first reached in the level being built);
 *     - DFS: if some successor of a chosen action is on the DFS stack,
 *       expand the other enabled actions too (stack proviso).
 *   Call `sel.countFull()` when an engine falls back to full expansion
 *   because of the proviso (for the statistics only).
 *   `choose` never modifies `state`; it applies actions into its own
 *   buffers (and so calls Model.apply: engines that count apply calls as
 *   transitions must count only their own). Until the next choose(),
 *   `sel.successorOf(a)` returns the successor it computed for action a
 *   of that state, if any: copying it saves the engine an apply.
 *   One selector per thread (it keeps per-state scratch).
 *
 * WHAT CHOOSE GUARANTEES. It returns either every enabled action (k = n)
 * or the enabled actions of one actor p (k < n), and the latter only when:
 *   C0  k > 0 whenever n > 0;
 *   C1  every location in the footprint of p's enabled actions (which the
 *       model promises includes their guards' reads, and the guards of p's
 *       other actions at this point of its program) is disjoint, up to
 *       read/read sharing, from `future(state, q)` of every other actor q.
 *       Then no path of the full graph that avoids p's actions can take an
 *       action dependent on them (every such action of q touches only
 *       locations in q's future, and the model promises futures only grow
 *       through locations a step touches), and no action of another actor
 *       can enable or disable one of p's (it would have to write a
 *       location p's guard reads);
 *   C2  every chosen action is invisible: its successor equals `state` on
 *       every byte some checked property reads (Property.reads; a property
 *       without `reads` reads every byte). Because a deferred action's
 *       effect depends only on its footprint, which the other actors along
 *       such a path do not write, it stays invisible there too.
 *   C3  is the engine's part (above).
 *
 * WHAT THE MODEL PROMISES (PorSupport in types.ts; checked by the
 * soundness harness in test/soundness/ on small configurations):
 *   - footprint(s, a) covers every location a's guard and effect read and
 *     every location its effect writes (codes without LOC_READ), and is a
 *     function of the locations it names (a step's footprint cannot change
 *     unless one of its own locations changes);
 *   - for every action a of actor q enabled in s: footprint(s, a) ⊆ future(s, q);
 *     futurePart(s, q, 0) ∪ futurePart(s, q, 1) = future(s, q) where given;
 *   - for every transition s -b-> t and every actor q:
 *     future(t, q) ⊆ future(s, q) ∪ footprint(s, b);
 *   - bytes outside every location (e.g. write-once ghost fields that no
 *     guard or effect reads) may differ between two orders of independent
 *     steps only in ways no checked property can tell apart.
 *
 * Depth bounds: with POR a violation may lie deeper in the reduced graph
 * than in the full one (§4.6), so a bounded run proves "no violation in N
 * levels of the reduced graph", nothing about N levels of the full graph;
 * an exhausted queue proves the invariants for every reachable state.
 */
import type { Model, Property } from './types.js';
import { LOC_ANY, LOC_READ } from './types.js';

/** The byte offsets some property reads (undefined: some property reads everything). */
function visibleBytes(stateBytes: number, properties: readonly Property[]): Int32Array | undefined {
  const out: number[] = [];
  for (const p of properties) if (!p.reads) return undefined;
  for (let i = 0; i < stateBytes; i++) if (properties.some((p) => p.reads![i])) out.push(i);
  return Int32Array.from(out);
}

/**
 * The visible bytes as a mask of 32-bit words (0xff at each visible byte,
 * in the byte order of the Uint32Array views that use it, whatever the
 * platform's).
 */
function visibleWords(words: number, visible: Int32Array): Uint32Array {
  const bytes = new Uint8Array(words * 4);
  for (const b of visible) bytes[b] = 0xff;
  return new Uint32Array(bytes.buffer);
}

export interface AmpleStats {
  /** states expanded with an ample set smaller than the enabled set */
  ampleStates: number;
  /** states with more than one enabled action expanded fully */
  fullStates: number;
}

export class AmpleSelector {
  readonly stats: AmpleStats = { ampleStates: 0, fullStates: 0 };
  private readonly model: Model;
  private readonly por: NonNullable<Model['por']>;
  /** offsets of the visible bytes; undefined = every byte visible (POR can then never reduce) */
  private readonly visible: Int32Array | undefined;
  // Successors computed for the visibility test, by index in `enabled`,
  // valid for the current choose() (stamped with stateGen): engines may
  // take them instead of applying the action again (successorOf).
  private readonly succs: Uint8Array[]; // views into one buffer, made once (no allocation per state)
  // Performance: C2 compares 4 bytes at a time (a third of the loop
  // iterations of a byte compare). The state is copied once per choose()
  // into `cur`, word-aligned; each successor row starts on a word
  // (`stride` bytes apart), masked by `visMask`. (Every word in order beat
  // only the words holding a visible byte, through an index, in a micro
  // benchmark: open mode has a visible byte in 41 of 46 words.)
  private readonly cur: Uint8Array;
  private readonly cur32: Uint32Array;
  private readonly succ32: Uint32Array;
  private readonly stride32: number;
  private readonly visMask: Uint32Array;
  private readonly succGen: Int32Array;
  private lastEnabled: Int32Array | undefined;
  private lastN = 0;
  // Location marks, reset in O(1) by bumping `gen` (no clearing per state).
  private readonly stamp: Int32Array;
  private readonly mode: Uint8Array; // 1 read, 2 write
  private gen = 0;
  // Per-state cache of the other actors' futures: futures[q] holds the
  // parts computed so far (futureParts[q], 2 = all), part 0 ending at
  // futureSplit[q] (PorSupport.futurePart; without it, one part).
  private readonly futures: number[][];
  private readonly futureGen: Int32Array;
  private readonly futureParts: Int32Array;
  private readonly futureSplit: Int32Array;
  private stateGen = 0;
  private readonly fp: number[] = [];
  private readonly actorOfEnabled: Int32Array;

  constructor(model: Model, properties: readonly Property[]) {
    if (!model.por) throw new Error('pincow internal error: the model has no partial-order reduction support');
    this.model = model;
    this.por = model.por;
    this.visible = visibleBytes(model.stateBytes, properties);
    const w = model.stateBytes;
    this.stride32 = Math.ceil(w / 4);
    const stride = 4 * this.stride32;
    const buf = new Uint8Array(Math.max(1, model.actionCount) * stride);
    this.succs = Array.from({ length: Math.max(1, model.actionCount) }, (_, j) => buf.subarray(j * stride, j * stride + w));
    this.succ32 = new Uint32Array(buf.buffer);
    this.cur = new Uint8Array(stride);
    this.cur32 = new Uint32Array(this.cur.buffer);
    this.visMask = visibleWords(this.stride32, this.visible ?? new Int32Array(0));
    this.succGen = new Int32Array(Math.max(1, model.actionCount));
    this.stamp = new Int32Array(this.por.locations);
    this.mode = new Uint8Array(this.por.locations);
    this.futures = Array.from({ length: this.por.actors }, () => []);
    this.futureGen = new Int32Array(this.por.actors);
    this.futureParts = new Int32Array(this.por.actors);
    this.futureSplit = new Int32Array(this.por.actors);
    this.actorOfEnabled = new Int32Array(Math.max(1, model.actionCount));
  }

  /** For engines: a state was expanded fully although an ample set had been chosen (the proviso fired). */
  countFull(): void {
    this.stats.ampleStates--;
    this.stats.fullStates++;
  }

  /**
   * The actions to expand in `state`, whose enabled actions are
   * `enabled[0..n)`: writes them into `out` and returns how many (n means
   * all of them, in `enabled`'s order).
   */
  choose(state: Uint8Array, enabled: Int32Array, n: number, out: Int32Array): number {
    this.stateGen++; // invalidates the successors of the previous state
    this.lastEnabled = enabled;
    this.lastN = n;
    if (n <= 1 || !this.visible) return this.full(enabled, n, out);
    this.cur.set(state);
    this.por.beginState?.(state);
    const ofs = this.actorOfEnabled;
    for (let j = 0; j < n; j++) ofs[j] = this.por.actorOf(enabled[j]!);
    for (let j = 0; j < n; j++) {
      const p = ofs[j]!;
      if (this.firstOf(p, j) && this.acceptable(state, enabled, n, p)) {
        let k = 0;
        for (let i = j; i < n; i++) if (ofs[i] === p) out[k++] = enabled[i]!;
        if (k < n) {
          this.stats.ampleStates++;
          return k;
        }
      }
    }
    return this.full(enabled, n, out);
  }

  private full(enabled: Int32Array, n: number, out: Int32Array): number {
    if (n > 1) this.stats.fullStates++;
    for (let j = 0; j < n; j++) out[j] = enabled[j]!; // not out.set(subarray): no view allocated per state
    return n;
  }

  /** Is index j the first enabled action of actor p (so each actor is tried once)? */
  private firstOf(p: number, j: number): boolean {
    for (let i = 0; i < j; i++) if (this.actorOfEnabled[i] === p) return false;
    return true;
  }

  /**
   * The successor of `action` in the state of the last choose(), if the
   * visibility test computed it (a copy saves the engine an apply); valid
   * until the next choose(), and only for the state passed to it.
   */
  successorOf(action: number): Uint8Array | undefined {
    const en = this.lastEnabled;
    if (!en) return undefined;
    for (let j = 0; j < this.lastN; j++) {
      if (en[j] === action) return this.succGen[j] === this.stateGen ? this.succAt(j) : undefined;
    }
    return undefined;
  }

  private succAt(j: number): Uint8Array {
    return this.succs[j]!;
  }

  /** C2 and C1 for the enabled actions of actor p. */
  private acceptable(state: Uint8Array, enabled: Int32Array, n: number, p: number): boolean {
    const ofs = this.actorOfEnabled;
    // Performance: C2 for every action of p before any footprint. It is the
    // cheapest rejection and the commonest (about 3 tries in 4 in open
    // mode), and the successors it computes are wanted by the engine
    // anyway; footprints (long at a choice start) only for actors that pass.
    for (let j = 0; j < n; j++) {
      if (ofs[j] !== p) continue;
      const t = this.succAt(j);
      this.model.apply(state, enabled[j]!, t);
      this.succGen[j] = this.stateGen;
      if (this.isVisible(j)) return false;
    }
    this.gen++;
    for (let j = 0; j < n; j++) {
      if (ofs[j] !== p) continue;
      this.fp.length = 0;
      this.por.footprint(state, enabled[j]!, this.fp, this.succAt(j));
      for (const c of this.fp) this.mark(c);
    }
    for (let q = 0; q < this.por.actors; q++) {
      if (q !== p && this.conflictsWithFuture(state, q)) return false;
    }
    return true;
  }

  /** C2: does the step from the state (`cur`) to successor j change a byte some property reads? */
  private isVisible(j: number): boolean {
    const s = this.cur32;
    const t = this.succ32;
    const base = j * this.stride32;
    const mask = this.visMask;
    for (let w = 0; w < mask.length; w++) {
      if (((s[w]! ^ t[base + w]!) & mask[w]!) !== 0) return true;
    }
    return false;
  }

  private mark(code: number): void {
    const loc = code & ~LOC_READ;
    const m = (code & LOC_READ) !== 0 ? 1 : 2;
    if (this.stamp[loc] !== this.gen) {
      this.stamp[loc] = this.gen;
      this.mode[loc] = m;
    } else {
      this.mode[loc]! |= m;
    }
  }

  /** Do codes[from..to) share a location with the marked footprint, with a write on either side? */
  private conflicts(codes: readonly number[], from: number, to: number): boolean {
    for (let i = from; i < to; i++) {
      const c = codes[i]!;
      if (c === LOC_ANY) return true;
      const loc = c & ~LOC_READ;
      if (this.stamp[loc] === this.gen && ((c & LOC_READ) === 0 || (this.mode[loc]! & 2) !== 0)) return true;
    }
    return false;
  }

  /**
   * Does actor q's future conflict with the marked footprint? Performance:
   * with PorSupport.futurePart, part 1 (the costly one) is computed only
   * when part 0 has no conflict.
   */
  private conflictsWithFuture(state: Uint8Array, q: number): boolean {
    const f = this.futures[q]!;
    if (this.futureGen[q] !== this.stateGen) {
      this.futureGen[q] = this.stateGen;
      f.length = 0;
      this.futureParts[q] = 0;
    }
    const por = this.por;
    if (!por.futurePart) {
      if (this.futureParts[q] === 0) {
        por.future(state, q, f);
        this.futureParts[q] = 2;
      }
      return this.conflicts(f, 0, f.length);
    }
    if (this.futureParts[q] === 0) {
      por.futurePart(state, q, 0, f);
      this.futureParts[q] = 1;
      this.futureSplit[q] = f.length;
    }
    const split = this.futureSplit[q]!;
    if (this.conflicts(f, 0, split)) return true;
    if (this.futureParts[q] === 1) {
      por.futurePart(state, q, 1, f);
      this.futureParts[q] = 2;
    }
    return this.conflicts(f, split, f.length);
  }
}

/**
 * The BFS proviso's record of one level: the fingerprints first reached
 * while the level being built is expanded (depth d+1). A successor that is
 * already visited but not in here was reached at depth <= d. Open
 * addressing over (hi, lo) pairs, cleared per level. explorer/bfs.ts also
 * asks it first, before the (much larger) visited set, with or without
 * POR: most duplicate successors are states of that level.
 */
export class LevelSet {
  private table = new Uint32Array(2 << 10);
  private mask = (1 << 10) - 1;
  private size = 0;

  get bytes(): number {
    return this.table.byteLength;
  }

  /** fingerprints recorded since the last clear() */
  get count(): number {
    return this.size;
  }

  add(hi: number, lo: number): void {
    if ((this.size + 1) * 4 > (this.mask + 1) * 3) this.grow();
    if (this.insert(hi, lo)) this.size++;
  }

  has(hi: number, lo: number): boolean {
    const t = this.table;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const l = t[2 * i + 1]!;
      if (l === 0) return false;
      if (l === lo && t[2 * i] === hi) return true;
    }
  }

  clear(): void {
    if (this.size > 0) this.table.fill(0);
    this.size = 0;
  }

  private insert(hi: number, lo: number): boolean {
    const t = this.table;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const l = t[2 * i + 1]!;
      if (l === 0) {
        t[2 * i] = hi;
        t[2 * i + 1] = lo; // lo is never 0 (fingerprint.ts hashLo)
        return true;
      }
      if (l === lo && t[2 * i] === hi) return false;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.mask = old.length - 1;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.insert(old[i]!, old[i + 1]!);
  }
}
