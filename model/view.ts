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
  /**
   * folio_ref_count() of p's folio: plain references plus
   * GUP_PIN_COUNTING_BIAS per FOLL_PIN (small), or plus 1 per pin (large
   * folio, whose head holds the count: layout.ts THP_NR).
   */
  refcount(p: number): number {
    if (p >= this.lay.largeBase) {
      const h = this.head(p);
      return this.page(h, L.PG_REFS) + this.page(h, L.PG_PINS);
    }
    return this.page(p, L.PG_REFS) + L.GUP_PIN_COUNTING_BIAS * this.page(p, L.PG_PINS);
  }
  /** page_mapcount(): the page's PTE mappings, plus its folio's PMD mappings (entire mapcount) for a THP subpage */
  mapcount(p: number): number {
    return p >= this.lay.largeBase ? this.page(p, L.PG_MAPCOUNT) + this.entireMapcount(p) : this.page(p, L.PG_MAPCOUNT);
  }
  /** folio_maybe_dma_pinned(): refcount >= GUP_PIN_COUNTING_BIAS (small folio), _pincount > 0 (large folio, exact) */
  maybePinned(p: number): boolean {
    return p >= this.lay.largeBase ? this.page(this.head(p), L.PG_PINS) > 0 : this.refcount(p) >= L.GUP_PIN_COUNTING_BIAS;
  }
  /** folio_get() on p's folio */
  getRef(p: number): void {
    const h = p >= this.lay.largeBase ? this.head(p) : p;
    this.setPage(h, L.PG_REFS, this.page(h, L.PG_REFS) + 1);
  }

  // ---- large folios (THP, layout.ts THP_NR) ----
  /** Is frame p a subpage of a large folio? */
  isLarge(p: number): boolean { return p >= this.lay.largeBase && p < this.lay.nFrames; }
  /** The head frame of p's folio (p itself for a small page). */
  head(p: number): number {
    const lb = this.lay.largeBase;
    return p >= lb ? lb + ((p - lb) & ~(L.THP_NR - 1)) : p;
  }
  /** folio_entire_mapcount(): PMD mappings of p's folio, kept on its first tail frame */
  entireMapcount(p: number): number { return this.page(this.head(p) + 1, L.PG_ENTIRE_MAPCOUNT); }
  addEntireMap(p: number, d: number): void {
    const t = this.head(p) + 1;
    this.setPage(t, L.PG_ENTIRE_MAPCOUNT, this.page(t, L.PG_ENTIRE_MAPCOUNT) + d);
  }

  // ---- PMD entries of THP regions (layout.ts PMD_*) ----
  private pmdAt(m: number, r: number): number { return this.lay.pmdBase + (m * this.lay.nThp + r) * L.PMD_SIZE; }
  pmdKind(m: number, r: number): number { return this.b[this.pmdAt(m, r) + L.PMD_KIND]!; }
  pmdPfn(m: number, r: number): number { return this.b[this.pmdAt(m, r) + L.PMD_PFN]!; }
  pmdFlags(m: number, r: number): number { return this.b[this.pmdAt(m, r) + L.PMD_FLAGS]!; }
  setPmd(m: number, r: number, kind: number, pfn: number, flags: number): void {
    const o = this.pmdAt(m, r);
    this.b[o + L.PMD_KIND] = kind;
    this.b[o + L.PMD_PFN] = kind === L.PMD_HUGE ? pfn : 0;
    this.b[o + L.PMD_FLAGS] = kind === L.PMD_HUGE ? flags : 0;
  }
  /** (kind << 4) | flags, with the pfn separately: what pmd_same() / pmd_val() compare */
  pmdWord(m: number, r: number): number { return (this.pmdKind(m, r) << 4) | this.pmdFlags(m, r); }
  /** The THP region of VA va, or -1. */
  region(va: number): number { return this.lay.vaRegion[va]!; }
  /** Is (m, va) mapped by a huge PMD (pmd_trans_huge)? */
  huge(m: number, va: number): boolean {
    const r = this.lay.vaRegion[va]!;
    return r >= 0 && this.pmdKind(m, r) === L.PMD_HUGE;
  }
  /** The page frame the page tables of m map at va (huge PMD or PTE, including swap/migration/protnone entries), or -1. */
  mappedPfn(m: number, va: number): number {
    const r = this.lay.vaRegion[va]!;
    if (r >= 0 && this.pmdKind(m, r) === L.PMD_HUGE) return this.pmdPfn(m, r) + va - this.lay.thpVa[r]!;
    return this.kind(m, va) !== L.PTE_NONE ? this.pfn(m, va) : -1;
  }
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
    if (state === L.PIN_UNUSED) {
      this.b[o + L.PIN_GHOST] = 0; // a dropped GUP-fast grab starts afresh
      this.b[o + L.PIN_VA] = 0;
    }
  }
  /** The VA the pin is on now: its own (`own`, from the config) unless mremap moved it (PIN_VA). */
  pinVa(i: number, own: number): number {
    const moved = this.b[this.pn(i) + L.PIN_VA]!;
    return moved === 0 ? own : moved - 1;
  }
  /** mremap moved the pinned VA to va (the pin follows the PTE). */
  movePinVa(i: number, va: number): void { this.b[this.pn(i) + L.PIN_VA] = va + 1; }
  // ---- the PTE table's lock held across split steps (layout.ts MM_PTL) ----
  ptlHeld(m: number): boolean { return this.mm(m, L.MM_PTL) !== 0; }
  setPtl(m: number, held: boolean): void { this.setMm(m, L.MM_PTL, held ? 1 : 0); }
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
