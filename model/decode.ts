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
  readonly kind: 'none' | 'present' | 'swap' | 'migration' | 'protnone';
  readonly pfn: number;
  readonly writable: boolean;
  readonly dirty: boolean;
  readonly special: boolean;
}

export interface MmState {
  readonly name: string;
  readonly life: 'none' | 'forking' | 'alive' | 'exited';
  readonly hasPinned: boolean;
  readonly writeProtectSeq: number;
  readonly mmapReaders: number;
  readonly mmapWriter: boolean;
  /** by VA name */
  readonly ptes: Readonly<Record<string, PteState>>;
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
}

export interface PinState {
  readonly name: string;
  readonly state: 'unused' | 'held' | 'released' | 'failed' | 'grabbed';
  readonly pfn: number;
  readonly userUnmapped: boolean;
}

export interface ActorState {
  readonly name: string;
  readonly pc: number;
  readonly step: number;
  readonly regs: readonly number[];
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

const KINDS = ['none', 'present', 'swap', 'migration', 'protnone'] as const;
const LIVES = ['none', 'forking', 'alive', 'exited'] as const;
const PIN_STATES = ['unused', 'held', 'released', 'failed', 'grabbed'] as const;

function decodePte(v: StateView, m: number, va: number): PteState {
  const vma = v.vma(m, va);
  const f = v.pteFlags(m, va);
  return {
    vma: (vma & L.VMA_MAPPED) !== 0, vmWrite: (vma & L.VMA_WRITE) !== 0, dontfork: (vma & L.VMA_DONTCOPY) !== 0,
    wipeonfork: (vma & L.VMA_WIPEONFORK) !== 0, kind: KINDS[v.kind(m, va)]!, pfn: v.pfn(m, va),
    writable: (f & L.PTEF_WRITE) !== 0, dirty: (f & L.PTEF_DIRTY) !== 0, special: (f & L.PTEF_SPECIAL) !== 0,
  };
}

export function decodeState(model: MmModel, bytes: Uint8Array): DecodedState {
  const v = new StateView(model.lay, bytes);
  const { cfg, lay } = model;
  const mms = cfg.processes.map((name, m): MmState => ({
    name, life: LIVES[v.mm(m, L.MM_ALIVE)]!, hasPinned: v.mm(m, L.MM_HAS_PINNED) !== 0,
    writeProtectSeq: v.mm(m, L.MM_WPSEQ), mmapReaders: v.mm(m, L.MM_MMAP_READERS), mmapWriter: v.mm(m, L.MM_MMAP_WRITER) !== 0,
    ptes: Object.fromEntries(cfg.vas.map((va, i) => [va, decodePte(v, m, i)])),
  }));
  const pages: PageState[] = [];
  for (let p = 1; p < lay.nFrames; p++) {
    if (!v.hasFlag(p, L.PGF_ALLOC)) continue;
    pages.push({
      pfn: p, refcount: v.refcount(p), pins: v.page(p, L.PG_PINS), mapcount: v.mapcount(p), anon: v.isAnon(p),
      anonExclusive: v.pae(p), ksm: v.hasFlag(p, L.PGF_KSM), swapcache: v.hasFlag(p, L.PGF_SWAPCACHE),
      locked: v.hasFlag(p, L.PGF_LOCKED), content: v.page(p, L.PG_CONTENT),
    });
  }
  const pins = cfg.pins.map((pin, i): PinState => ({
    name: pin.name, state: PIN_STATES[v.pinState(i)]!, pfn: v.pinPfn(i), userUnmapped: (v.pinGhost(i) & L.PING_USER_UNMAPPED) !== 0,
  }));
  const actors = cfg.actors.map((a, i): ActorState => ({
    name: a.name, pc: v.act(i, L.A_PC), step: v.act(i, L.A_STEP),
    regs: Array.from({ length: L.A_SIZE - 2 }, (_, r) => v.act(i, r + 2)),
  }));
  return freeze({
    phase: v.phase, events: bytes[L.G_EVENTS]!, assertFired: v.assertFired, missedCow: bytes[L.G_MISSED_COW]!,
    missedCowPfn: bytes[L.G_MISSED_COW_PFN]!, badFree: bytes[L.G_BAD_FREE]!, mms, pages, pins, actors,
  }, true);
}

function encodePte(v: StateView, m: number, va: number, p: PteState): void {
  v.setVma(m, va, (p.vma ? L.VMA_MAPPED : 0) | (p.vmWrite ? L.VMA_WRITE : 0) | (p.dontfork ? L.VMA_DONTCOPY : 0) | (p.wipeonfork ? L.VMA_WIPEONFORK : 0)
    | (v.vma(m, va) & L.VMA_ANON_VMA));
  const flags = (p.writable ? L.PTEF_WRITE : 0) | (p.dirty ? L.PTEF_DIRTY : 0) | (p.special ? L.PTEF_SPECIAL : 0);
  v.setPte(m, va, KINDS.indexOf(p.kind), p.pfn, flags);
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
    model.cfg.vas.forEach((va, i) => encodePte(v, m, i, mm.ptes[va]!));
  });
  for (let p = 1; p < model.lay.nFrames; p++) for (let f = 0; f < L.PG_SIZE; f++) v.setPage(p, f, 0);
  for (const pg of d.pages) {
    v.setPage(pg.pfn, L.PG_PINS, pg.pins);
    v.setPage(pg.pfn, L.PG_REFS, pg.refcount - L.GUP_PIN_COUNTING_BIAS * pg.pins);
    v.setPage(pg.pfn, L.PG_MAPCOUNT, pg.mapcount);
    v.setPage(pg.pfn, L.PG_CONTENT, pg.content);
    v.setPage(pg.pfn, L.PG_FLAGS, L.PGF_ALLOC | (pg.anon ? L.PGF_ANON : 0) | (pg.anonExclusive ? L.PGF_PAE : 0) | (pg.ksm ? L.PGF_KSM : 0)
      | (pg.swapcache ? L.PGF_SWAPCACHE : 0) | (pg.locked ? L.PGF_LOCKED : 0));
  }
  d.pins.forEach((pin, i) => {
    v.setPin(i, PIN_STATES.indexOf(pin.state), pin.pfn);
    v.setPinGhost(i, pin.userUnmapped ? L.PING_USER_UNMAPPED : 0);
  });
  d.actors.forEach((a, i) => {
    v.setAct(i, L.A_PC, a.pc);
    v.setAct(i, L.A_STEP, a.step);
    a.regs.forEach((r, j) => v.setAct(i, j + 2, r));
  });
  return v.b;
}
