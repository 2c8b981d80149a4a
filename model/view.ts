/**
 * StateView: typed accessors over one packed state (layout.ts).
 *
 * The semantics are written once, against this view. One view object is
 * reused for many states by re-pointing `b` (no allocation per successor);
 * the getters are monomorphic and small so V8 inlines them.
 */
import * as L from './layout.js';
import type { Layout } from './layout.js';

export class StateView {
  b: Uint8Array;
  readonly lay: Layout;

  constructor(lay: Layout, b?: Uint8Array) {
    this.lay = lay;
    this.b = b ?? new Uint8Array(lay.size);
  }

  // ---- header ----
  get phase(): number { return this.b[L.G_PHASE]!; }
  set phase(x: number) { this.b[L.G_PHASE] = x; }
  hasEvent(e: number): boolean { return (this.b[L.G_EVENTS]! & (1 << e)) !== 0; }
  signal(e: number): void { this.b[L.G_EVENTS]! |= 1 << e; }
  get assertFired(): number { return this.b[L.G_ASSERT]!; }
  /** Record a kernel assertion (first one wins; execution continues, as with WARN). */
  fireAssert(code: number): void { if (this.b[L.G_ASSERT] === 0) this.b[L.G_ASSERT] = code; }

  // ---- mm ----
  mm(m: number, f: number): number { return this.b[this.lay.mmBase + m * L.MM_SIZE + f]!; }
  setMm(m: number, f: number, x: number): void { this.b[this.lay.mmBase + m * L.MM_SIZE + f] = x; }
  alive(m: number): boolean { return this.mm(m, L.MM_ALIVE) === L.LIFE_ALIVE; }
  /** mmap_lock can be taken for read: no writer */
  canRead(m: number): boolean { return this.mm(m, L.MM_MMAP_WRITER) === 0; }
  /** mmap_lock can be taken for write: nobody holds it */
  canWrite(m: number): boolean { return this.mm(m, L.MM_MMAP_WRITER) === 0 && this.mm(m, L.MM_MMAP_READERS) === 0; }
  lockRead(m: number): void { this.setMm(m, L.MM_MMAP_READERS, this.mm(m, L.MM_MMAP_READERS) + 1); }
  unlockRead(m: number): void { this.setMm(m, L.MM_MMAP_READERS, this.mm(m, L.MM_MMAP_READERS) - 1); }

  // ---- VMA / PTE of (mm, va) ----
  private pt(m: number, v: number): number { return this.lay.ptBase + (m * this.lay.nVa + v) * L.PT_SIZE; }
  vma(m: number, v: number): number { return this.b[this.pt(m, v) + L.PT_VMA]!; }
  setVma(m: number, v: number, x: number): void { this.b[this.pt(m, v) + L.PT_VMA] = x; }
  kind(m: number, v: number): number { return this.b[this.pt(m, v) + L.PT_KIND]!; }
  pfn(m: number, v: number): number { return this.b[this.pt(m, v) + L.PT_PFN]!; }
  pteFlags(m: number, v: number): number { return this.b[this.pt(m, v) + L.PT_FLAGS]!; }
  setPte(m: number, v: number, kind: number, pfn: number, flags: number): void {
    const o = this.pt(m, v);
    this.b[o + L.PT_KIND] = kind;
    this.b[o + L.PT_PFN] = kind === L.PTE_NONE ? 0 : pfn;
    this.b[o + L.PT_FLAGS] = kind === L.PTE_NONE ? 0 : flags;
  }
  setPteFlags(m: number, v: number, flags: number): void { this.b[this.pt(m, v) + L.PT_FLAGS] = flags; }
  present(m: number, v: number): boolean { return this.kind(m, v) === L.PTE_PRESENT; }
  writable(m: number, v: number): boolean { return this.present(m, v) && (this.pteFlags(m, v) & L.PTEF_WRITE) !== 0; }
  /** (kind << 4) | flags, with the pfn separately: what pte_same() compares */
  pteWord(m: number, v: number): number { return (this.kind(m, v) << 4) | this.pteFlags(m, v); }

  // ---- pages ----
  private pg(p: number): number { return this.lay.pgBase + p * L.PG_SIZE; }
  page(p: number, f: number): number { return this.b[this.pg(p) + f]!; }
  setPage(p: number, f: number, x: number): void { this.b[this.pg(p) + f] = x; }
  pflags(p: number): number { return this.page(p, L.PG_FLAGS); }
  hasFlag(p: number, bit: number): boolean { return (this.page(p, L.PG_FLAGS) & bit) !== 0; }
  setFlag(p: number, bit: number, on: boolean): void {
    const f = this.page(p, L.PG_FLAGS);
    this.setPage(p, L.PG_FLAGS, on ? f | bit : f & ~bit);
  }
  /** folio_ref_count(): plain references plus GUP_PIN_COUNTING_BIAS per FOLL_PIN */
  refcount(p: number): number { return this.page(p, L.PG_REFS) + L.GUP_PIN_COUNTING_BIAS * this.page(p, L.PG_PINS); }
  mapcount(p: number): number { return this.page(p, L.PG_MAPCOUNT); }
  /** page_maybe_dma_pinned() for a small folio: refcount >= GUP_PIN_COUNTING_BIAS */
  maybePinned(p: number): boolean { return this.refcount(p) >= L.GUP_PIN_COUNTING_BIAS; }
  getRef(p: number): void { this.setPage(p, L.PG_REFS, this.page(p, L.PG_REFS) + 1); }
  addMap(p: number, d: number): void { this.setPage(p, L.PG_MAPCOUNT, this.page(p, L.PG_MAPCOUNT) + d); }
  isAnon(p: number): boolean { return this.hasFlag(p, L.PGF_ANON); }
  pae(p: number): boolean { return this.hasFlag(p, L.PGF_PAE); }

  // ---- pins ----
  private pn(i: number): number { return this.lay.pinBase + i * L.PIN_SIZE; }
  pinState(i: number): number { return this.b[this.pn(i) + L.PIN_STATE]!; }
  pinPfn(i: number): number { return this.b[this.pn(i) + L.PIN_PFN]!; }
  pinGhost(i: number): number { return this.b[this.pn(i) + L.PIN_GHOST]!; }
  setPin(i: number, state: number, pfn: number): void {
    const o = this.pn(i);
    this.b[o + L.PIN_STATE] = state;
    this.b[o + L.PIN_PFN] = pfn;
    if (state === L.PIN_UNUSED) this.b[o + L.PIN_GHOST] = 0; // a dropped GUP-fast grab starts afresh
  }
  setPinGhost(i: number, g: number): void { this.b[this.pn(i) + L.PIN_GHOST] = g; }
  /** the pin holds a reference on its page now (returned, or grabbed by GUP-fast) */
  pinHolds(i: number): boolean {
    const s = this.pinState(i);
    return s === L.PIN_HELD || s === L.PIN_GRABBED;
  }

  // ---- actors ----
  private ac(a: number): number { return this.lay.actBase + a * L.A_SIZE; }
  act(a: number, f: number): number { return this.b[this.ac(a) + f]!; }
  setAct(a: number, f: number, x: number): void { this.b[this.ac(a) + f] = x; }
  actFlag(a: number, bit: number): boolean { return (this.act(a, L.A_FLAGS) & bit) !== 0; }
  setActFlag(a: number, bit: number, on: boolean): void {
    const f = this.act(a, L.A_FLAGS);
    this.setAct(a, L.A_FLAGS, on ? f | bit : f & ~bit);
  }
}
