/**
 * What every engine does to a successor between Model.apply and the
 * visited set: canonical form (symmetry), 64-bit fingerprint, and which
 * properties must be checked on it. One object per thread, reused for
 * every state (no allocation per transition).
 *
 * The performance idea is to pay per transition only for what the step
 * changed. A successor differs from its parent in a few of its words, so
 * one pass comparing the two (diff) drives three savings:
 * - the fingerprint is the parent's plus the changed words' terms
 *   (fingerprint.ts: the lanes are sums over words);
 * - a property is checked only if the step changed a byte it reads
 *   (Property.reads): otherwise its verdict is the parent's, and the
 *   parent holds every property still being checked (a property is
 *   checked on every new state until it first fails, then never again);
 * - canonicalize runs only if the step changed a byte the canonical form
 *   depends on (Model.symmetryReads): the parent is canonical, so an
 *   untouched successor is too.
 * The diff is taken before canonicalising: properties are invariant under
 * the symmetry group (types.ts Model; test/soundness lintSymmetry checks
 * it for the MM model), so a renamed successor has the verdicts of the
 * successor before renaming. If canonicalize renames (61% of its calls in
 * open mode), the fingerprint is recomputed by a second diff against the
 * parent (rehash: the same loop as make's without the read bits, kept
 * apart so the hot loop has no extra branch).
 */
import { finishHi, finishLo, fmixA, fmixB, rawA, rawB, seedArrays } from './fingerprint.js';
import type { Model, Property } from './types.js';

/**
 * What a changed word means, byte by byte: `bits[4i + j]` is the mask of
 * byte j of word i (little-endian: byte j is bits 8j..8j+7 of the word).
 * Byte rather than word granularity matters: records are not word-aligned
 * (an actor's program counter, written by every step, shares a word with
 * the pin slots before it).
 */
function byteBits(mask: Uint8Array | undefined, bit: number, into: Int32Array): void {
  for (let b = 0; b < into.length; b++) if (mask === undefined || mask[b]) into[b]! |= bit;
}

/** OR of `bits` over the bytes of word i that differ in `d` (= old ^ new). */
function changedBits(bits: Int32Array, i: number, d: number): number {
  let r = 0;
  if ((d & 0xff) !== 0) r |= bits[4 * i]!;
  if ((d & 0xff00) !== 0) r |= bits[4 * i + 1]!;
  if ((d & 0xff0000) !== 0) r |= bits[4 * i + 2]!;
  if ((d & 0xff000000) !== 0) r |= bits[4 * i + 3]!;
  return r;
}

/** the bit of `bits` for the canonical form's bytes */
const SYM = 1 << 30;

export class Successors {
  /** the expanded state (a private copy, so engines may reuse their own buffers) */
  readonly parent: Uint8Array;
  /** the successor after make() */
  readonly out: Uint8Array;
  readonly outW: Uint32Array;
  /** the successor's fingerprint after make() */
  hi = 0;
  lo = 0;
  /** the successor's raw fingerprint sums after make() (fingerprint.ts): engines may keep them to begin() it later without hashing */
  outA = 0;
  outB = 0;
  private readonly parentW: Uint32Array;
  private readonly words: number;
  private parentA = 0;
  private parentB = 0;
  private readonly seedA: Int32Array;
  private readonly seedB: Int32Array;
  /** per byte: the properties reading it, as a bit mask (properties 0..29), and bit 30 if the canonical form reads it */
  private readonly bits: Int32Array;
  /** more than 30 properties: every property is checked on every successor */
  private readonly wide: boolean;
  /** properties whose read bytes the last make() changed (bit 30: the canonical form's) */
  private dirty = 0;
  private readonly canon: ((s: Uint8Array) => boolean | void) | undefined;

  constructor(private readonly model: Model, properties: readonly Property[], symmetry: boolean) {
    const w = model.stateBytes >>> 2;
    this.words = w;
    const seeds = seedArrays(w);
    this.seedA = seeds.a;
    this.seedB = seeds.b;
    this.parent = new Uint8Array(model.stateBytes);
    this.parentW = new Uint32Array(this.parent.buffer);
    this.out = new Uint8Array(model.stateBytes);
    this.outW = new Uint32Array(this.out.buffer);
    this.wide = properties.length > 30;
    this.bits = new Int32Array(4 * w);
    properties.forEach((p, k) => { if (k < 30) byteBits(p.reads, 1 << k, this.bits); });
    this.canon = symmetry && model.canonicalize ? model.canonicalize.bind(model) : undefined;
    if (this.canon) byteBits(model.symmetryReads, SYM, this.bits);
  }

  /**
   * Start expanding `state` (canonical if symmetry is on): copies it into
   * `parent`, which engines then expand. `sumA`/`sumB`: its raw sums, if
   * the engine kept them from make() (outA, outB); else they are computed
   * (a full pass, ~250 ns for 184 bytes).
   */
  begin(state: Uint8Array, sumA?: number, sumB?: number): Uint8Array {
    this.parent.set(state);
    if (sumA !== undefined && sumB !== undefined) {
      this.parentA = sumA;
      this.parentB = sumB;
    } else {
      this.parentA = rawA(this.parentW, 0, this.words);
      this.parentB = rawB(this.parentW, 0, this.words);
    }
    return this.parent;
  }

  /** begin() from 32-bit words: the state's words of `src` from `at`, then (withSums) its two raw sums. */
  beginWords(src: Uint32Array, at: number, withSums: boolean): Uint8Array {
    const p = this.parentW;
    const n = this.words;
    for (let k = 0; k < n; k++) p[k] = src[at + k]!;
    this.parentA = withSums ? src[at + n]! | 0 : rawA(p, 0, n);
    this.parentB = withSums ? src[at + n + 1]! | 0 : rawB(p, 0, n);
    return this.parent;
  }

  /**
   * The successor of `parent` under `action` into `out` with its
   * fingerprint; `pre`, when given, is that successor already computed
   * (explorer/por.ts successorOf), copied instead of applying again.
   */
  make(action: number, pre?: Uint8Array): void {
    if (pre) this.out.set(pre);
    else this.model.apply(this.parent, action, this.out);
    const p = this.parentW;
    const o = this.outW;
    const bits = this.bits;
    const sa = this.seedA;
    const sb = this.seedB;
    let a = this.parentA;
    let b = this.parentB;
    let dirty = 0;
    for (let i = 0; i < this.words; i++) {
      const x = o[i]! | 0;
      const y = p[i]! | 0;
      if (x === y) continue;
      // fingerprint.ts mixA/mixB, inlined (this loop runs per transition)
      a = (a + fmixA(x ^ sa[i]!) - fmixA(y ^ sa[i]!)) | 0;
      b = (b + fmixB(x ^ sb[i]!) - fmixB(y ^ sb[i]!)) | 0;
      dirty |= changedBits(bits, i, x ^ y);
    }
    this.dirty = dirty;
    if ((dirty & SYM) !== 0 && this.canon && this.canon(this.out) !== false) {
      // Renamed: the fingerprint again, from the parent's (a renaming moves
      // a few frame records: a second diff is cheaper than a full hash).
      // Which properties to check stays as the first diff said
      // (properties are invariant under the group, types.ts Model).
      this.rehash();
      return;
    }
    this.finish(a, b);
  }

  private finish(a: number, b: number): void {
    this.outA = a;
    this.outB = b;
    this.hi = finishHi(a);
    this.lo = finishLo(b);
  }

  /** hi and lo of `out` from the parent's sums and a diff. */
  private rehash(): void {
    const p = this.parentW;
    const o = this.outW;
    const sa = this.seedA;
    const sb = this.seedB;
    let a = this.parentA;
    let b = this.parentB;
    for (let i = 0; i < this.words; i++) {
      const x = o[i]! | 0;
      const y = p[i]! | 0;
      if (x === y) continue;
      a = (a + fmixA(x ^ sa[i]!) - fmixA(y ^ sa[i]!)) | 0;
      b = (b + fmixB(x ^ sb[i]!) - fmixB(y ^ sb[i]!)) | 0;
    }
    this.finish(a, b);
  }

  /** Must property k be checked on the last successor (did the step change a byte it reads)? */
  mustCheck(k: number): boolean {
    return this.wide || (this.dirty & (1 << k)) !== 0;
  }
}
