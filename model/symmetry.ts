/**
 * Symmetry reduction over page frames: free frames are interchangeable, so
 * states that differ only in which frame numbers their pages got are one
 * state up to renaming. canonicalize() renames the frames 1..n-1 (frame 0,
 * the shared zeropage, stays fixed) into a canonical order and rewrites
 * every field that holds a pfn (layout.ts PFN_FIELDS).
 *
 * The canonical order sorts frames by (their page record, the sorted list
 * of state offsets of the fields that refer to them). Both move with a
 * renaming, and two frames with equal keys have no referrer at all and
 * equal records, so swapping them changes nothing: the form is exact —
 * two states get the same form iff one is a renaming of the other.
 *
 * Why this preserves verdicts: invariants, guards and effects compare pfns
 * only for equality, so renaming commutes with every step but one:
 * allocPage takes the lowest free frame. When every free frame is
 * unreferenced (all alike) it does not matter which one is taken: the
 * results are renamings of each other. It does matter when a step still
 * refers to a freed frame (GUP-fast between reading a PTE and grabbing the
 * page, a PTE whose page was freed): whether the next allocation reuses
 * exactly that frame (an ABA the later pte_same() cannot tell) depends on
 * the numbering. safe() reports such states when some step would
 * allocate there; the explorer then starts again without symmetry. Ghost
 * fields (missed-COW pfn, bad-free pfn) are only read by invariants as
 * zero/non-zero and by traces, so they are renamed but do not count.
 *
 * Only configurations whose operations model/porSupport.ts KNOWN lists
 * (vetted to use pfns as names), without THP (pfn arithmetic on large
 * folios) and with every layout region reviewed (PFN_FIELDS_REVIEWED) get
 * symmetry; anything else is explored unreduced.
 */
import * as L from './layout.js';
import type { MmModel } from './mmModel.js';
import { knownOps } from './porSupport.js';

/** Layout members symmetry.ts knows (a new one may be a per-frame region it would not permute). */
const KNOWN_LAYOUT = new Set([
  'nMm', 'nVa', 'nFrames', 'nPins', 'nActors', 'mmBase', 'ptBase', 'pgBase', 'pinBase', 'actBase', 'size',
  'nThp', 'largeBase', 'pmdBase', 'vaRegion', 'thpVa',
  // Shared mappings' page-cache frames (model/shmem.ts): configurations that have them are not in
  // porSupport.ts knownOps, so no symmetry runs there; elsewhere they are empty.
  'shmemBase', 'vaShmem',
]);

const SIZES = { header: L.HEADER_SIZE, mm: L.MM_SIZE, pte: L.PT_SIZE, page: L.PG_SIZE, pin: L.PIN_SIZE, actor: L.A_SIZE };

/** Can frames of this model be renamed soundly (see the header)? */
export function symmetrySupported(m: MmModel): boolean {
  const lay = m.lay;
  if (lay.nThp > 0 || lay.largeBase !== lay.nFrames || lay.nFrames > L.NO_PFN) return false;
  if (!Object.keys(lay).every((k) => KNOWN_LAYOUT.has(k))) return false;
  if (!(Object.keys(SIZES) as (keyof typeof SIZES)[]).every((r) => SIZES[r] === L.PFN_FIELDS_REVIEWED[r])) return false;
  if (L.PFN_FIELDS.some((f) => f.region === 'page' || f.when !== undefined)) return false; // not handled below
  return knownOps(m);
}

export class FrameSymmetry {
  private readonly m: MmModel;
  private readonly n: number;
  private readonly pgBase: number;
  /** absolute offsets of every pfn field, ascending; with its offset and whether it is a ghost */
  private readonly offs: Int32Array;
  private readonly adds: Uint8Array;
  private readonly ghost: Uint8Array;
  // scratch
  private readonly head: Int32Array;
  private readonly tail: Int32Array;
  private readonly nextRef: Int32Array;
  private readonly order: Int32Array;
  private readonly newOf: Uint8Array;
  private readonly records: Uint8Array;
  private readonly enabled: Int32Array;
  private readonly succ: Uint8Array;

  constructor(m: MmModel) {
    this.m = m;
    const lay = m.lay;
    this.n = lay.nFrames;
    this.pgBase = lay.pgBase;
    const fields: { off: number; add: number; ghost: boolean }[] = [];
    const base = { header: [0], mm: [], pte: [], page: [], pin: [], actor: [] } as Record<L.PfnField['region'], number[]>;
    for (let i = 0; i < lay.nMm; i++) base.mm.push(lay.mmBase + i * L.MM_SIZE);
    for (let i = 0; i < lay.nMm * lay.nVa; i++) base.pte.push(lay.ptBase + i * L.PT_SIZE);
    for (let i = 0; i < lay.nPins; i++) base.pin.push(lay.pinBase + i * L.PIN_SIZE);
    for (let i = 0; i < lay.nActors; i++) base.actor.push(lay.actBase + i * L.A_SIZE);
    for (const f of L.PFN_FIELDS) for (const b of base[f.region]) fields.push({ off: b + f.field, add: f.offset, ghost: f.ghost });
    fields.sort((a, b) => a.off - b.off);
    this.offs = Int32Array.from(fields.map((f) => f.off));
    this.adds = Uint8Array.from(fields.map((f) => f.add));
    this.ghost = Uint8Array.from(fields.map((f) => (f.ghost ? 1 : 0)));
    this.head = new Int32Array(this.n);
    this.tail = new Int32Array(this.n);
    this.nextRef = new Int32Array(fields.length);
    this.order = new Int32Array(this.n);
    this.newOf = new Uint8Array(this.n);
    this.records = new Uint8Array(this.n * L.PG_SIZE);
    this.enabled = new Int32Array(Math.max(1, m.actionCount));
    this.succ = new Uint8Array(m.stateBytes);
  }

  /** The frame field k refers to (1..n-1), or -1 (none, the zeropage, NO_PFN, not a pfn). */
  private frameOf(s: Uint8Array, k: number): number {
    const val = s[this.offs[k]!]!;
    if (val === L.NO_PFN) return -1;
    const p = val - this.adds[k]!;
    return p >= 1 && p < this.n ? p : -1;
  }

  /** Rewrite `s` in place into the canonical renaming of its frames. */
  canonicalize(s: Uint8Array): void {
    const n = this.n;
    const head = this.head;
    const tail = this.tail;
    const next = this.nextRef;
    head.fill(-1);
    for (let k = 0; k < this.offs.length; k++) {
      const p = this.frameOf(s, k);
      if (p < 0) continue;
      next[k] = -1;
      if (head[p] === -1) head[p] = k;
      else next[tail[p]!] = k;
      tail[p] = k;
    }
    // Insertion sort of frames 1..n-1 by key (n is small: tens of frames).
    const order = this.order;
    let identity = true;
    for (let i = 1; i < n; i++) {
      const p = i;
      let j = i - 1;
      while (j >= 1 && this.compare(s, order[j]!, p) > 0) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = p;
      if (j + 1 !== i) identity = false;
    }
    if (identity) return;
    const newOf = this.newOf;
    newOf[0] = 0;
    for (let i = 1; i < n; i++) newOf[order[i]!] = i;
    // Permute the page records, then rename the pfn fields.
    const w = L.PG_SIZE;
    this.records.set(s.subarray(this.pgBase, this.pgBase + n * w));
    for (let i = 1; i < n; i++) s.set(this.records.subarray(order[i]! * w, order[i]! * w + w), this.pgBase + i * w);
    for (let k = 0; k < this.offs.length; k++) {
      const p = this.frameOf(s, k);
      if (p >= 0) s[this.offs[k]!] = newOf[p]! + this.adds[k]!;
    }
  }

  /** Order of frames p and q: page record bytes, then referrer offsets (fewer first on a common prefix). */
  private compare(s: Uint8Array, p: number, q: number): number {
    const w = L.PG_SIZE;
    const a = this.pgBase + p * w;
    const b = this.pgBase + q * w;
    for (let f = 0; f < w; f++) {
      const d = s[a + f]! - s[b + f]!;
      if (d !== 0) return d;
    }
    let x = this.head[p]!;
    let y = this.head[q]!;
    while (x !== -1 && y !== -1) {
      if (x !== y) return x - y; // field indices are in offset order
      x = this.nextRef[x]!;
      y = this.nextRef[y]!;
    }
    return (x === -1 ? 0 : 1) - (y === -1 ? 0 : 1);
  }

  /**
   * May the numbering matter for the steps out of `s`? Only when a
   * non-ghost field refers to a free frame (a "dangling" reference: which
   * frame the next allocation picks decides whether it becomes valid
   * again) and some enabled step allocates.
   */
  safe(s: Uint8Array): boolean {
    let dangling = false;
    for (let k = 0; k < this.offs.length && !dangling; k++) {
      if (this.ghost[k]) continue;
      const p = this.frameOf(s, k);
      if (p >= 0 && (s[this.pgBase + p * L.PG_SIZE + L.PG_FLAGS]! & L.PGF_ALLOC) === 0) dangling = true;
    }
    if (!dangling) return true;
    const nEn = this.m.enabled(s, this.enabled);
    for (let j = 0; j < nEn; j++) {
      this.m.apply(s, this.enabled[j]!, this.succ);
      for (let p = 1; p < this.n; p++) {
        const o = this.pgBase + p * L.PG_SIZE + L.PG_FLAGS;
        if ((s[o]! & L.PGF_ALLOC) === 0 && (this.succ[o]! & L.PGF_ALLOC) !== 0) return false;
      }
    }
    return true;
  }
}
