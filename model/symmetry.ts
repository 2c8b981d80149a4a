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
  if (pfnFields(lay).length >= KEY_REF_RANGE - 1) return false; // sort keys would not be exact (KEY_REF_RANGE)
  return knownOps(m);
}

/** Absolute offsets of every pfn field of layout `lay`, ascending, with each one's offset (`pfn + add`) and ghost flag. */
function pfnFields(lay: L.Layout): { off: number; add: number; ghost: boolean }[] {
  const fields: { off: number; add: number; ghost: boolean }[] = [];
  const base = { header: [0], mm: [], pte: [], page: [], pin: [], actor: [] } as Record<L.PfnField['region'], number[]>;
  for (let i = 0; i < lay.nMm; i++) base.mm.push(lay.mmBase + i * L.MM_SIZE);
  for (let i = 0; i < lay.nMm * lay.nVa; i++) base.pte.push(lay.ptBase + i * L.PT_SIZE);
  for (let i = 0; i < lay.nPins; i++) base.pin.push(lay.pinBase + i * L.PIN_SIZE);
  for (let i = 0; i < lay.nActors; i++) base.actor.push(lay.actBase + i * L.A_SIZE);
  for (const f of L.PFN_FIELDS) for (const b of base[f.region]) fields.push({ off: b + f.field, add: f.offset, ghost: f.ghost });
  return fields.sort((a, b) => a.off - b.off);
}

/**
 * Sort keys are doubles: a frame's 5-byte page record read big-endian (40
 * bits) times KEY_REF_RANGE plus 1 + the index of its first referrer (0
 * without one). They stay exact integers below 2^53 while the number of
 * pfn fields is below KEY_REF_RANGE - 1.
 */
const KEY_REF_RANGE = 8192;
const TWO_32 = 0x100000000;

export class FrameSymmetry {
  private readonly m: MmModel;
  private readonly n: number;
  private readonly pgBase: number;
  /** absolute offsets of every pfn field, ascending */
  private readonly offs: Int32Array;
  /** per field: the value it holds is pfn + adds[k] */
  private readonly adds: Uint8Array;
  /**
   * Per field: where its table starts in `frameTab` (one 256-entry table
   * per distinct `add`). frameTab[tabOf[k] + value] is the frame 1..n-1
   * the value names, or -1 (NO_PFN, the zeropage, below `add`, out of
   * range): one load instead of frameOf's compare-and-subtract chain.
   */
  private readonly tabOf: Int32Array;
  private readonly frameTab: Int16Array;
  /** the non-ghost fields (safe() looks only at them): offset and table start */
  private readonly liveOffs: Int32Array;
  private readonly liveTab: Int32Array;
  /** bytes the canonical form depends on (readMask) */
  private readonly mask: Uint8Array;
  // scratch
  /** per frame: its first (lowest-offset) referrer field, or -1 (filled by heads()) */
  private readonly head: Int32Array;
  private readonly keys: Float64Array;
  private readonly order: Int32Array;
  private readonly newOf: Uint8Array;
  private readonly records: Uint8Array;
  private readonly enabled: Int32Array;
  private readonly succ: Uint8Array;

  constructor(m: MmModel) {
    this.m = m;
    const lay = m.lay;
    const n = lay.nFrames;
    this.n = n;
    this.pgBase = lay.pgBase;
    const fields = pfnFields(lay);
    if (fields.length >= KEY_REF_RANGE - 1) throw new Error(`symmetry: ${fields.length} pfn fields, keys hold at most ${KEY_REF_RANGE - 2}`);
    this.offs = Int32Array.from(fields.map((f) => f.off));
    this.adds = Uint8Array.from(fields.map((f) => f.add));
    const addsSeen = [...new Set(fields.map((f) => f.add))];
    this.frameTab = new Int16Array(256 * Math.max(1, addsSeen.length)).fill(-1);
    addsSeen.forEach((add, t) => {
      for (let p = 1; p < n; p++) if (p + add !== L.NO_PFN && p + add < 256) this.frameTab[256 * t + p + add] = p;
    });
    this.tabOf = Int32Array.from(fields.map((f) => 256 * addsSeen.indexOf(f.add)));
    const live = fields.map((f, k) => ({ off: f.off, tab: this.tabOf[k]! })).filter((_, k) => !fields[k]!.ghost);
    this.liveOffs = Int32Array.from(live.map((f) => f.off));
    this.liveTab = Int32Array.from(live.map((f) => f.tab));
    this.mask = new Uint8Array(m.stateBytes);
    this.mask.fill(1, this.pgBase + L.PG_SIZE, this.pgBase + n * L.PG_SIZE);
    for (const f of fields) this.mask[f.off] = 1;
    this.head = new Int32Array(n);
    this.keys = new Float64Array(n);
    this.order = new Int32Array(n);
    this.newOf = new Uint8Array(n);
    this.records = new Uint8Array(n * L.PG_SIZE);
    this.enabled = new Int32Array(Math.max(1, m.actionCount));
    this.succ = new Uint8Array(m.stateBytes);
  }

  /**
   * The bytes the canonical form depends on: 1 at the page records of
   * frames 1..n-1 and at every pfn field, 0 elsewhere (a fresh copy).
   * Contract: if state s is canonical and s' differs from s only at bytes
   * where the mask is 0, then s' is canonical too (canonicalize(s') leaves
   * it unchanged and returns false): canonicalize reads nothing else, and
   * leaves a state alone exactly when the frames' keys are already in order.
   */
  readMask(): Uint8Array {
    return this.mask.slice();
  }

  /** A frame's page record as a 40-bit big-endian number (byte order = numeric order). */
  private record(s: Uint8Array, p: number): number {
    const a = this.pgBase + p * L.PG_SIZE;
    return s[a]! * TWO_32 + (((s[a + 1]! << 24) | (s[a + 2]! << 16) | (s[a + 3]! << 8) | s[a + 4]!) >>> 0);
  }

  /** Fill `head`: each frame's first referrer field (lowest offset), or -1. */
  private heads(s: Uint8Array): void {
    const head = this.head;
    const offs = this.offs;
    const tabOf = this.tabOf;
    const tab = this.frameTab;
    for (let p = 0; p < head.length; p++) head[p] = -1; // a loop: measured cheaper than fill() on tens of entries
    for (let k = offs.length - 1; k >= 0; k--) {
      const p = tab[tabOf[k]! + s[offs[k]!]!]!;
      if (p >= 0) head[p] = k;
    }
  }

  /**
   * Rewrite `s` in place into the canonical renaming of its frames; true
   * if that changed it (the state was not canonical).
   *
   * The order (see the header) is by page record, then by the sorted list
   * of referrer fields. Every field names at most one frame, so two
   * frames' referrer lists are disjoint and the list order is decided by
   * their first elements alone (an empty list first): the key of frame p
   * is (record, 1 + first referrer or 0), one double (KEY_REF_RANGE). The
   * same order as comparing the whole lists, so the same canonical form.
   *
   * Fast path (most successors are already canonical): find each frame's
   * first referrer (one pass over the pfn fields), then walk adjacent
   * frames comparing records byte by byte, referrers only on equal
   * records; keys are built and sorted only when some pair is out of order.
   */
  canonicalize(s: Uint8Array): boolean {
    const n = this.n;
    const w = L.PG_SIZE;
    // Nearly always needed (free frames share the all-zero record), and
    // measured cheaper up front than computed lazily inside the loop.
    this.heads(s);
    const head = this.head;
    let p = 2;
    // Byte-wise compare of neighbours' records (measured faster than building 40-bit keys here).
    for (let a = this.pgBase + w; p < n; p++, a += w) {
      let d = s[a]! - s[a + w]!;
      if (d === 0) {
        d = s[a + 1]! - s[a + w + 1]!;
        if (d === 0) {
          d = s[a + 2]! - s[a + w + 2]!;
          if (d === 0) {
            d = s[a + 3]! - s[a + w + 3]!;
            if (d === 0) d = s[a + 4]! - s[a + w + 4]!;
          }
        }
      }
      if (d > 0 || (d === 0 && head[p]! < head[p - 1]!)) break; // -1 (no referrer) sorts first
    }
    if (p >= n) return false;
    this.sortFrames(s, p);
    this.permute(s);
    return true;
  }

  /**
   * Stable insertion sort of frames 1..n-1 by key into `order` (n is
   * small: tens of frames). Frames 1..from-1 are already in order (the
   * fast path checked them).
   */
  private sortFrames(s: Uint8Array, from: number): void {
    const n = this.n;
    const keys = this.keys;
    const head = this.head;
    const order = this.order;
    for (let p = 1; p < n; p++) keys[p] = this.record(s, p) * KEY_REF_RANGE + head[p]! + 1;
    for (let i = 1; i < from; i++) order[i] = i;
    for (let i = from; i < n; i++) {
      const key = keys[i]!;
      let j = i - 1;
      while (j >= 1 && keys[order[j]!]! > key) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = i;
    }
  }

  /**
   * Move frame order[i] to i: permute the page records, then rename the
   * pfn fields. Usually one frame moves past a few others (an allocation
   * or a free), so only the span lo..hi of frames that move is copied and
   * renamed; byte loops, no subarray views.
   */
  private permute(s: Uint8Array): void {
    const n = this.n;
    const w = L.PG_SIZE;
    const order = this.order;
    const newOf = this.newOf;
    const rec = this.records;
    const base = this.pgBase;
    let lo = 1;
    while (order[lo] === lo) lo++;
    let hi = n - 1;
    while (order[hi] === hi) hi--;
    for (let i = lo; i <= hi; i++) newOf[order[i]!] = i;
    for (let b = lo * w; b < (hi + 1) * w; b++) rec[b] = s[base + b]!;
    for (let i = lo; i <= hi; i++) {
      const from = order[i]! * w;
      const to = base + i * w;
      for (let f = 0; f < w; f++) s[to + f] = rec[from + f]!;
    }
    const offs = this.offs;
    const tabOf = this.tabOf;
    const tab = this.frameTab;
    for (let k = 0; k < offs.length; k++) {
      const o = offs[k]!;
      const p = tab[tabOf[k]! + s[o]!]!;
      if (p >= lo && p <= hi) s[o] = newOf[p]! + this.adds[k]!;
    }
  }

  /**
   * May the numbering matter for the steps out of `s`? Only when a
   * non-ghost field refers to a free frame (a "dangling" reference: which
   * frame the next allocation picks decides whether it becomes valid
   * again) and some enabled step allocates. The common case (no dangling
   * reference) is one table load and one flag test per non-ghost field.
   */
  safe(s: Uint8Array): boolean {
    const offs = this.liveOffs;
    const tabs = this.liveTab;
    const tab = this.frameTab;
    const flags = this.pgBase + L.PG_FLAGS;
    let dangling = false;
    for (let k = 0; k < offs.length; k++) {
      const p = tab[tabs[k]! + s[offs[k]!]!]!;
      if (p >= 0 && (s[flags + p * L.PG_SIZE]! & L.PGF_ALLOC) === 0) { dangling = true; break; }
    }
    if (!dangling) return true;
    const nEn = this.m.enabled(s, this.enabled);
    for (let j = 0; j < nEn; j++) {
      this.m.apply(s, this.enabled[j]!, this.succ);
      for (let p = 1; p < this.n; p++) {
        const o = flags + p * L.PG_SIZE;
        if ((s[o]! & L.PGF_ALLOC) === 0 && (this.succ[o]! & L.PGF_ALLOC) !== 0) return false;
      }
    }
    return true;
  }
}
