/**
 * Where people meet states: the packed bytes decoded into a plain, deeply
 * frozen object (immer's freeze) for traces, JSON and tests, and encoded
 * back, so a test can write `produce(decodeState(m, s), d => { ... })` and
 * explore from the result. Never used on the explorer's hot path (an immer
 * produce costs ~10 µs; DESIGN.md §9).
 */
import { freeze } from 'immer';
import * as L from './layout.js';
import type { MmModel } from './mmModel.js';
import { StateView } from './view.js';

export interface PteState {
  readonly vma: boolean;
  readonly vmWrite: boolean;
  readonly dontfork: boolean;
  readonly wipeonfork: boolean;
  /** registered with userfaultfd for missing faults (layout.ts VMA_UFFD); present only when true */
  readonly uffd?: boolean;
  /** a shared mapping, MAP_SHARED|MAP_ANONYMOUS (layout.ts VMA_SHARED, model/shmem.ts); present only when true */
  readonly shared?: true;
  /** its userfaultfd wait queue (layout.ts PT_UFFD: sleeping faults with unread messages | wakes mod 16 << 4); present only when not 0 */
  readonly uffdQueue?: number;
  readonly kind: 'none' | 'present' | 'swap' | 'migration' | 'protnone' | 'cleared';
  readonly pfn: number;
  readonly writable: boolean;
  readonly dirty: boolean;
  readonly special: boolean;
  /** swap PTE exclusive bit / readable_exclusive migration entry (layout.ts PTEF_SWP_EXCL); present only when set */
  readonly exclusive?: true;
}

export interface MmState {
  readonly name: string;
  readonly life: 'none' | 'forking' | 'alive' | 'exited';
  readonly hasPinned: boolean;
  readonly writeProtectSeq: number;
  readonly mmapReaders: number;
  readonly mmapWriter: boolean;
  /** the PTE table's lock is held across split steps (layout.ts MM_PTL); present only when true */
  readonly ptlHeld?: boolean;
  /** by VA name */
  readonly ptes: Readonly<Record<string, PteState>>;
  /** THP regions' PMD entries by region name (model/thp.ts); present only in configurations with THP */
  readonly pmds?: Readonly<Record<string, PmdState>>;
}

export interface PmdState {
  readonly kind: 'none' | 'table' | 'huge' | 'detached';
  /** the folio's head frame of a huge PMD, else 0 */
  readonly pfn: number;
  readonly writable: boolean;
  readonly dirty: boolean;
}

export interface PageState {
  readonly pfn: number;
  readonly refcount: number;
  readonly pins: number;
  readonly mapcount: number;
  readonly anon: boolean;
  readonly anonExclusive: boolean;
  readonly ksm: boolean;
  readonly swapcache: boolean;
  readonly locked: boolean;
  readonly content: number;
  /** not a page but a swap slot that reclaim freed (layout.ts PGF_SWAPSLOT): only `content` means anything */
  readonly swapSlot?: true;
  /** a shmem page in a shared mapping's page cache, which holds one reference (layout.ts PGF_SHMEM); present only when set */
  readonly pageCache?: true;
  /**
   * A subpage of a large folio (THP, layout.ts THP_NR): its head frame, and
   * on the head the entire mapcount. The head's refcount and pins are the
   * folio's (a pin counts 1, not 1024); a tail's are 0; mapcount is the
   * subpage's PTE mappings only. Present only for large-folio frames.
   */
  readonly folio?: { readonly head: number; readonly entireMapcount: number };
}

export interface PinState {
  readonly name: string;
  readonly state: 'unused' | 'held' | 'released' | 'failed' | 'grabbed';
  readonly pfn: number;
  readonly userUnmapped: boolean;
  /** the VA mremap moved the pin to (layout.ts PIN_VA); present only after a move */
  readonly movedTo?: string;
  /** ghost: KSM replaced the pinned page (PING_KSM_REPLACED); present only when true */
  readonly ksmReplaced?: boolean;
}

export interface ActorState {
  readonly name: string;
  readonly pc: number;
  readonly step: number;
  /** the frame registers A_RET..A_CUR (layout.ts) */
  readonly regs: readonly number[];
  /** the alternative chosen at a choice instruction (A_CHOICE); only in models with choices */
  readonly choice?: number;
}

export interface DecodedState {
  readonly phase: number;
  readonly events: number;
  readonly assertFired: number;
  readonly missedCow: number;
  readonly missedCowPfn: number;
  readonly badFree: number;
  readonly mms: readonly MmState[];
  /** allocated frames only (frame 0, the zeropage, is left out) */
  readonly pages: readonly PageState[];
  readonly pins: readonly PinState[];
  readonly actors: readonly ActorState[];
}

const KINDS = ['none', 'present', 'swap', 'migration', 'protnone', 'cleared'] as const;
const LIVES = ['none', 'forking', 'alive', 'exited'] as const;
const PIN_STATES = ['unused', 'held', 'released', 'failed', 'grabbed'] as const;

const PMD_KINDS = ['none', 'table', 'huge', 'detached'] as const;

function decodePmd(v: StateView, m: number, r: number): PmdState {
  const f = v.pmdFlags(m, r);
  return { kind: PMD_KINDS[v.pmdKind(m, r)]!, pfn: v.pmdPfn(m, r), writable: (f & L.PTEF_WRITE) !== 0, dirty: (f & L.PTEF_DIRTY) !== 0 };
}

function uffdQueueOff(v: StateView, m: number, va: number): number {
  return v.lay.ptBase + (m * v.lay.nVa + va) * L.PT_SIZE + L.PT_UFFD;
}

function uffdQueue(v: StateView, m: number, va: number): number {
  return v.b[uffdQueueOff(v, m, va)]!;
}

function decodePte(v: StateView, m: number, va: number): PteState {
  const vma = v.vma(m, va);
  const f = v.pteFlags(m, va);
  return {
    vma: (vma & L.VMA_MAPPED) !== 0, vmWrite: (vma & L.VMA_WRITE) !== 0, dontfork: (vma & L.VMA_DONTCOPY) !== 0,
    wipeonfork: (vma & L.VMA_WIPEONFORK) !== 0, kind: KINDS[v.kind(m, va)]!, pfn: v.pfn(m, va),
    writable: (f & L.PTEF_WRITE) !== 0, dirty: (f & L.PTEF_DIRTY) !== 0, special: (f & L.PTEF_SPECIAL) !== 0,
    ...((f & L.PTEF_SWP_EXCL) !== 0 ? { exclusive: true as const } : {}),
    ...((vma & L.VMA_UFFD) !== 0 ? { uffd: true } : {}),
    ...((vma & L.VMA_SHARED) !== 0 ? { shared: true as const } : {}),
    ...(uffdQueue(v, m, va) !== 0 ? { uffdQueue: uffdQueue(v, m, va) } : {}),
  };
}

export function decodeState(model: MmModel, bytes: Uint8Array): DecodedState {
  const v = new StateView(model.lay, bytes);
  const { cfg, lay } = model;
  const mms = cfg.processes.map((name, m): MmState => ({
    name, life: LIVES[v.mm(m, L.MM_ALIVE)]!, hasPinned: v.mm(m, L.MM_HAS_PINNED) !== 0,
    writeProtectSeq: v.mm(m, L.MM_WPSEQ), mmapReaders: v.mm(m, L.MM_MMAP_READERS), mmapWriter: v.mm(m, L.MM_MMAP_WRITER) !== 0,
    ...(v.ptlHeld(m) ? { ptlHeld: true } : {}),
    ptes: Object.fromEntries(cfg.vas.map((va, i) => [va, decodePte(v, m, i)])),
    ...(cfg.thps?.length ? { pmds: Object.fromEntries(cfg.thps.map((t, r) => [t.name, decodePmd(v, m, r)])) } : {}),
  }));
  const pages: PageState[] = [];
  for (let p = 1; p < lay.nFrames; p++) {
    if (v.hasFlag(p, L.PGF_SWAPSLOT)) {
      pages.push({ pfn: p, refcount: 0, pins: 0, mapcount: 0, anon: false, anonExclusive: false, ksm: false, swapcache: false, locked: false, content: v.page(p, L.PG_CONTENT), swapSlot: true });
      continue;
    }
    if (!v.hasFlag(p, L.PGF_ALLOC)) continue;
    const large = v.isLarge(p);
    const head = large && v.head(p) === p;
    pages.push({
      pfn: p, refcount: large && !head ? 0 : v.refcount(p), pins: v.page(p, L.PG_PINS),
      mapcount: large ? v.page(p, L.PG_MAPCOUNT) : v.mapcount(p), anon: v.isAnon(p),
      anonExclusive: v.pae(p), ksm: v.hasFlag(p, L.PGF_KSM), swapcache: v.hasFlag(p, L.PGF_SWAPCACHE),
      locked: v.hasFlag(p, L.PGF_LOCKED), content: v.page(p, L.PG_CONTENT),
      ...(v.hasFlag(p, L.PGF_SHMEM) ? { pageCache: true as const } : {}),
      ...(large ? { folio: { head: v.head(p), entireMapcount: head ? v.entireMapcount(p) : 0 } } : {}),
    });
  }
  const pins = cfg.pins.map((pin, i): PinState => ({
    name: pin.name, state: PIN_STATES[v.pinState(i)]!, pfn: v.pinPfn(i), userUnmapped: (v.pinGhost(i) & L.PING_USER_UNMAPPED) !== 0,
    ...(v.pinVa(i, -1) >= 0 ? { movedTo: cfg.vas[v.pinVa(i, -1)]! } : {}),
    ...((v.pinGhost(i) & L.PING_KSM_REPLACED) !== 0 ? { ksmReplaced: true } : {}),
  }));
  const actors = cfg.actors.map((a, i): ActorState => ({
    name: a.name, pc: v.act(i, L.A_PC), step: v.act(i, L.A_STEP),
    regs: Array.from({ length: L.A_CUR - 1 }, (_, r) => v.act(i, r + 2)),
    // Only models with choice instructions show it, so plain scenarios' JSON and ITF stay as they were.
    ...(model.hasChoices ? { choice: v.act(i, L.A_CHOICE) } : {}),
  }));
  return freeze({
    phase: v.phase, events: bytes[L.G_EVENTS]!, assertFired: v.assertFired, missedCow: bytes[L.G_MISSED_COW]!,
    missedCowPfn: bytes[L.G_MISSED_COW_PFN]!, badFree: bytes[L.G_BAD_FREE]!, mms, pages, pins, actors,
  }, true);
}

function encodePte(v: StateView, m: number, va: number, p: PteState): void {
  v.setVma(m, va, (p.vma ? L.VMA_MAPPED : 0) | (p.vmWrite ? L.VMA_WRITE : 0) | (p.dontfork ? L.VMA_DONTCOPY : 0) | (p.wipeonfork ? L.VMA_WIPEONFORK : 0)
    | (p.uffd === true ? L.VMA_UFFD : 0) | (p.shared === true ? L.VMA_SHARED : 0) | (v.vma(m, va) & L.VMA_ANON_VMA));
  const flags = (p.writable ? L.PTEF_WRITE : 0) | (p.dirty ? L.PTEF_DIRTY : 0) | (p.special ? L.PTEF_SPECIAL : 0) | (p.exclusive ? L.PTEF_SWP_EXCL : 0);
  v.setPte(m, va, KINDS.indexOf(p.kind), p.pfn, flags);
  v.b[uffdQueueOff(v, m, va)] = p.uffdQueue ?? 0;
}

/** The inverse of decodeState (refcount is split back into plain refs and pins). */
export function encodeState(model: MmModel, d: DecodedState, base?: Uint8Array): Uint8Array {
  const v = new StateView(model.lay, base ? base.slice() : model.initialState());
  v.phase = d.phase;
  v.b[L.G_EVENTS] = d.events;
  v.b[L.G_ASSERT] = d.assertFired;
  v.b[L.G_MISSED_COW] = d.missedCow;
  v.b[L.G_MISSED_COW_PFN] = d.missedCowPfn;
  v.b[L.G_BAD_FREE] = d.badFree;
  d.mms.forEach((mm, m) => {
    v.setMm(m, L.MM_ALIVE, LIVES.indexOf(mm.life));
    v.setMm(m, L.MM_HAS_PINNED, mm.hasPinned ? 1 : 0);
    v.setMm(m, L.MM_WPSEQ, mm.writeProtectSeq);
    v.setMm(m, L.MM_MMAP_READERS, mm.mmapReaders);
    v.setMm(m, L.MM_MMAP_WRITER, mm.mmapWriter ? 1 : 0);
    v.setPtl(m, mm.ptlHeld === true);
    model.cfg.vas.forEach((va, i) => encodePte(v, m, i, mm.ptes[va]!));
    model.cfg.thps?.forEach((t, r) => {
      const pmd = mm.pmds?.[t.name];
      if (pmd) v.setPmd(m, r, PMD_KINDS.indexOf(pmd.kind), pmd.pfn, (pmd.writable ? L.PTEF_WRITE : 0) | (pmd.dirty ? L.PTEF_DIRTY : 0));
    });
  });
  for (let p = 1; p < model.lay.nFrames; p++) for (let f = 0; f < L.PG_SIZE; f++) v.setPage(p, f, 0);
  for (const pg of d.pages) {
    if (pg.swapSlot) {
      v.setPage(pg.pfn, L.PG_FLAGS, L.PGF_SWAPSLOT);
      v.setPage(pg.pfn, L.PG_CONTENT, pg.content);
      continue;
    }
    v.setPage(pg.pfn, L.PG_PINS, pg.pins);
    // A large folio's head: refcount = refs + pins (a pin counts 1); tails hold no count of their own.
    v.setPage(pg.pfn, L.PG_REFS, pg.folio ? (pg.folio.head === pg.pfn ? pg.refcount - pg.pins : 0) : pg.refcount - L.GUP_PIN_COUNTING_BIAS * pg.pins);
    v.setPage(pg.pfn, L.PG_MAPCOUNT, pg.mapcount);
    v.setPage(pg.pfn, L.PG_CONTENT, pg.content);
    v.setPage(pg.pfn, L.PG_FLAGS, L.PGF_ALLOC | (pg.anon ? L.PGF_ANON : 0) | (pg.anonExclusive ? L.PGF_PAE : 0) | (pg.ksm ? L.PGF_KSM : 0)
      | (pg.swapcache ? L.PGF_SWAPCACHE : 0) | (pg.locked ? L.PGF_LOCKED : 0) | (pg.pageCache === true ? L.PGF_SHMEM : 0));
  }
  // The entire mapcount lives on the first tail frame (layout.ts PG_ENTIRE_MAPCOUNT).
  for (const pg of d.pages) if (pg.folio && pg.folio.head === pg.pfn) v.setPage(pg.pfn + 1, L.PG_ENTIRE_MAPCOUNT, pg.folio.entireMapcount);
  d.pins.forEach((pin, i) => {
    v.setPin(i, PIN_STATES.indexOf(pin.state), pin.pfn);
    v.setPinGhost(i, (pin.userUnmapped ? L.PING_USER_UNMAPPED : 0) | (pin.ksmReplaced ? L.PING_KSM_REPLACED : 0));
    v.movePinVa(i, pin.movedTo === undefined ? -1 : model.cfg.vas.indexOf(pin.movedTo));
  });
  d.actors.forEach((a, i) => {
    v.setAct(i, L.A_PC, a.pc);
    v.setAct(i, L.A_STEP, a.step);
    a.regs.forEach((r, j) => v.setAct(i, j + 2, r));
    if (a.choice !== undefined) v.setAct(i, L.A_CHOICE, a.choice);
  });
  return v.b;
}
