/**
 * Partial-order reduction support for the MM model (the explorer's
 * PorSupport, explorer/types.ts, matched structurally: model/ imports
 * nothing above it). Contract and proof obligations: explorer/por.ts.
 *
 * footprint(s, a): the step's own footprint (model/step.ts LOC_* codes,
 * StepDef.footprint, all taken as writes) plus what the step's
 * enabledness depends on beyond it:
 *   - LOC_LIFE + mm (read): the actor runs only while its mm is alive
 *     (MmModel.bind); exit writes it, fork writes the child's;
 *   - LOC_ACTIVE + actor (written by every step of the actor): whether it
 *     is mid-instruction, which exit's guard reads for every sibling
 *     thread (ops/zap.ts lastUser);
 *   - LOC_PHASE (read): the setup/main phase gate;
 *   - at the start of a choice instruction, the footprints and
 *     preconditions of every alternative (so the actor's other, maybe
 *     disabled, actions at this point are covered, explorer/por.ts C1).
 *   - LOC_ALLOC, the free-frame pool: written by a step that allocates
 *     (with every free frame's record: allocPage takes the lowest) or
 *     frees a page, found by applying the step;
 *   - fork: every PTE of parent and child (dup_mmap copies every VMA,
 *     nextToCopy scans past the cursor).
 * Page 0 is the shared zeropage: no step writes its record (the
 * soundness harness checks it), so touching it is a read.
 *
 * future(s, q): per remaining instruction of q, the locations any of its
 * steps may touch, with the pages bounded by what can reach the VA: the
 * page its PTE maps now, the transient pages of the mm's actors, every
 * free frame (an allocation may bring it), and, while the fork that
 * creates the mm is pending, whatever can reach the parent's same VA.
 *
 * Only configurations this reasoning covers get POR: the operations
 * listed in KNOWN and no THP regions. Anything else (new operations,
 * kernel daemons, THP) has no `por` (MmModel.por is undefined), so it is
 * explored in full, safely. To extend it, add the kind's locations to
 * `instrFuture` and run test/soundness.
 */
import type { ActorConfig, InstrConfig, OpKind } from './config.js';
import * as L from './layout.js';
import type { MmModel } from './mmModel.js';
import { entryOf, stepById } from './ops/index.js';
import { LOC_ALLOC, LOC_EVENTS, LOC_MM, LOC_PAGE, LOC_PHASE, LOC_PIN, LOC_PTE } from './step.js';
import type { Ctx, StepDef } from './step.js';
import { StateView } from './view.js';

/** explorer/types.ts LOC_READ and LOC_ANY (the same values; model/ does not import explorer/) */
export const READ = 1 << 24;
export const ANY = -1;
// Pseudo-locations of this file, far above model/step.ts's LOC_* kinds (1..7 << 12) so new kinds there do not collide.
/** pseudo-location: the life of mm (read by every step of its threads) */
export const LOC_LIFE = 32 << 12;
/** pseudo-location: actor is mid-instruction (read by exit's guard) */
export const LOC_ACTIVE = 33 << 12;
export const LOCATIONS = 34 << 12;

/** The operations whose locations instrFuture knows; a config with any other gets no POR. */
const KNOWN: ReadonlySet<OpKind> = new Set<OpKind>([
  'mmap', 'read', 'write', 'fork', 'exit', 'munmap', 'dontneed', 'dontfork', 'dofork', 'wipeonfork',
  'mprotect', 'pin', 'unpin', 'dma-read', 'dma-write', 'signal', 'wait',
]);

function instrs(ac: ActorConfig): InstrConfig[] {
  return ac.program.flatMap((i) => (i.alts ? [...i.alts] : [i]));
}

/**
 * Does every instruction of the configuration (alternatives included) use a
 * KNOWN operation? Not with a shared mapping (`mmap A shared`,
 * model/shmem.ts): its page-cache frame is tied to its VA (not a renamable
 * name), faults take it outside the free-frame pool and the last unmap
 * reads every mm's VMA, none of which instrFuture knows: explored in full.
 */
export function knownOps(m: MmModel): boolean {
  if ((m.cfg.shared ?? []).length > 0) return false;
  return m.cfg.actors.every((a) => instrs(a).every((i) => KNOWN.has(i.kind)));
}

/** Does the reasoning of this file cover the model's configuration? */
export function porSupported(m: MmModel): boolean {
  if (m.lay.nThp > 0 || m.lay.largeBase !== m.lay.nFrames) return false;
  if (m.lay.nMm * m.lay.nVa >= 4096 || m.lay.nFrames >= 4096 || m.lay.nActors >= 4096) return false;
  return knownOps(m);
}

export class MmPor {
  readonly locations = LOCATIONS;
  readonly actors: number;
  private readonly m: MmModel;
  private readonly v: StateView;
  private readonly ctx: Ctx;
  private readonly tmp: number[] = [];
  private readonly succ: Uint8Array;
  /** per child mm: the actors and program indices of the forks that may create it */
  private readonly creators: { actor: number; pc: number; parent: number }[][];
  /** per mm: its actors */
  private readonly threads: number[][];
  // dedupe of page codes within one future() call
  private readonly pageMark: Int32Array;
  private pageGen = 0;
  private readonly vaMark: Int32Array;
  private readonly mmMark: Int32Array;
  private freeGen = 0;

  constructor(m: MmModel) {
    this.m = m;
    this.actors = m.nActors;
    this.v = new StateView(m.lay);
    const ac = m.cfg.actors[0]!;
    this.ctx = { cfg: m.cfg, k: m.k, actor: 0, ac, instr: ac.program[0]!, mm: ac.mm, pin: undefined };
    this.creators = m.cfg.processes.map(() => []);
    this.threads = m.cfg.processes.map(() => []);
    m.cfg.actors.forEach((a, i) => {
      if (a.mm >= 0) this.threads[a.mm]!.push(i);
      a.program.forEach((ins, pc) => {
        for (const x of ins.alts ?? [ins]) if (x.kind === 'fork') this.creators[x.child]!.push({ actor: i, pc, parent: a.mm });
      });
    });
    this.pageMark = new Int32Array(m.lay.nFrames);
    this.vaMark = new Int32Array(m.lay.nMm * m.lay.nVa);
    this.mmMark = new Int32Array(m.lay.nMm);
    this.succ = new Uint8Array(m.stateBytes);
  }

  actorOf(action: number): number {
    return action % this.actors;
  }

  // ------------------------------------------------------------ footprint

  footprint(state: Uint8Array, action: number, out: number[], succ?: Uint8Array): void {
    const v = this.v;
    v.b = state;
    const a = action % this.actors;
    const ac = this.m.cfg.actors[a]!;
    const pc = v.act(a, L.A_PC);
    const at = ac.program[pc];
    if (!at) return;
    const id = v.act(a, L.A_STEP);
    if (at.alts !== undefined && id === 0) {
      // Choice start: cover every alternative (its entry step and its precondition).
      for (const alt of at.alts) {
        this.stepFootprint(v, a, ac, alt, entryOf(alt, this.m.cfg), out);
        this.needs(alt, out);
      }
    } else {
      const instr = at.alts ? at.alts[v.act(a, L.A_CHOICE)]! : at;
      this.stepFootprint(v, a, ac, instr, id === 0 ? entryOf(instr, this.m.cfg) : stepById(id), out);
    }
    out.push(LOC_PHASE | READ);
    if (ac.mm >= 0) out.push(LOC_LIFE + ac.mm | READ, LOC_ACTIVE + a);
    this.pool(state, action, out, succ);
  }

  /**
   * The free-frame pool (LOC_ALLOC): a step that allocates writes it and
   * the record of whichever free frame it takes (allocPage takes the
   * lowest: all of them, conservatively); a step that frees a page writes
   * it too (the next allocation may take that frame). The step
   * footprints name LOC_ALLOC for allocating steps only, and freeing
   * depends on the refcount reached, so this applies the step and looks.
   */
  private pool(state: Uint8Array, action: number, out: number[], succ: Uint8Array | undefined): void {
    let t = succ;
    if (!t) {
      t = this.succ;
      this.m.apply(state, action, t);
    }
    const o = this.m.lay.pgBase + L.PG_FLAGS;
    let freed = false;
    let taken = false;
    for (let p = 1; p < this.m.lay.nFrames; p++) {
      const was = (state[o + p * L.PG_SIZE]! & L.PGF_ALLOC) !== 0;
      const now = (t[o + p * L.PG_SIZE]! & L.PGF_ALLOC) !== 0;
      if (was && !now) freed = true;
      if (!was && now) taken = true;
    }
    if (freed || taken) out.push(LOC_ALLOC);
    if (taken) for (let p = 1; p < this.m.lay.nFrames; p++) if ((state[o + p * L.PG_SIZE]! & L.PGF_ALLOC) === 0) out.push(LOC_PAGE + p);
  }

  private stepFootprint(v: StateView, a: number, ac: ActorConfig, instr: InstrConfig, step: StepDef, out: number[]): void {
    const c = this.ctx;
    c.actor = a;
    c.ac = ac;
    c.instr = instr;
    c.mm = ac.mm;
    c.pin = this.m.cfg.pins[instr.pin];
    const t = this.tmp;
    t.length = 0;
    step.footprint(v, c, t);
    for (const code of t) out.push(code === LOC_PAGE + L.ZERO_PFN ? code | READ : code);
    this.lifeWrites(a, ac, instr, out);
  }

  /** exit ends the mm (and reads whether its siblings are mid-instruction); fork creates the child (and its VMAs). */
  private lifeWrites(a: number, ac: ActorConfig, instr: InstrConfig, out: number[]): void {
    if (instr.kind === 'exit' && ac.mm >= 0) {
      out.push(LOC_LIFE + ac.mm);
      for (const b of this.threads[ac.mm]!) if (b !== a) out.push(LOC_ACTIVE + b | READ);
    }
    if (instr.kind === 'fork') {
      out.push(LOC_LIFE + instr.child);
      // dup_mmap copies every VMA at fork.begin and nextToCopy() scans the
      // parent's PTEs past the cursor, beyond the cursor's PTE the step
      // footprints name (ops/fork.ts fpFork).
      for (let x = 0; x < this.m.lay.nVa; x++) out.push(this.pte(ac.mm, x), this.pte(instr.child, x));
    }
  }

  /** A choice alternative's precondition (MmModel.offered, startChoice). */
  private needs(alt: InstrConfig, out: number[]): void {
    if (alt.kind === 'pin' || alt.needs === 'pin-free' || alt.needs === 'pin-held') out.push(LOC_PIN + alt.pin);
    if (alt.needs === 'next-child') for (let c = 1; c <= alt.child; c++) out.push(LOC_LIFE + c | READ, LOC_MM + c);
  }

  // ------------------------------------------------------------ future

  future(state: Uint8Array, q: number, out: number[]): void {
    const v = this.v;
    v.b = state;
    const ac = this.m.cfg.actors[q]!;
    const pc = v.act(q, L.A_PC);
    if (pc >= ac.program.length) return;
    if (ac.mm >= 0 && v.mm(ac.mm, L.MM_ALIVE) === L.LIFE_EXITED) return; // never runs again
    this.pageGen++;
    this.page(L.ZERO_PFN, out); // read-only; named always so that futures only shrink
    out.push(v.phase < this.m.cfg.setupLength ? LOC_PHASE : LOC_PHASE | READ);
    if (ac.mm >= 0) out.push(LOC_LIFE + ac.mm | READ, LOC_ACTIVE + q, LOC_MM + ac.mm);
    this.holdings(v, q, out);
    for (let i = pc; i < ac.program.length; i++) {
      const at = ac.program[i]!;
      if (at.alts === undefined) {
        if (this.instrFuture(v, q, ac, at, out)) { out.push(ANY); return; }
        continue;
      }
      for (const instr of at.alts) {
        this.needs(instr, out);
        if (this.instrFuture(v, q, ac, instr, out)) { out.push(ANY); return; }
      }
    }
  }

  /** Pages actor a holds transiently (the frame of its current instruction). */
  private holdings(v: StateView, a: number, out: number[]): void {
    const n = this.m.lay.nFrames;
    const hold = v.act(a, L.A_HOLD);
    const fresh = v.act(a, L.A_NEW);
    const orig = v.act(a, L.A_ORIG_PFN);
    if (hold < n) this.page(hold, out);
    if (fresh < n) this.page(fresh, out);
    if (orig < n) this.page(orig, out);
  }

  private page(p: number, out: number[]): void {
    if (this.pageMark[p] === this.pageGen) return;
    this.pageMark[p] = this.pageGen;
    out.push(p === L.ZERO_PFN ? LOC_PAGE + p | READ : LOC_PAGE + p);
  }

  private pte(m: number, va: number): number {
    return LOC_PTE + m * this.m.lay.nVa + va;
  }

  /**
   * Every page that may be at (m, va) now or later (see the header). Each
   * (m, va), each mm's transient pages and the free frames are added once
   * per future() call (pageGen): an actor names the same VA many times.
   */
  private pagesAt(v: StateView, m: number, va: number, out: number[]): void {
    const lay = this.m.lay;
    const at = m * lay.nVa + va;
    if (this.vaMark[at] === this.pageGen) return;
    this.vaMark[at] = this.pageGen;
    if (v.kind(m, va) !== L.PTE_NONE) this.page(v.pfn(m, va), out);
    if (this.mmMark[m] !== this.pageGen) {
      this.mmMark[m] = this.pageGen;
      for (const a of this.threads[m]!) this.holdings(v, a, out);
    }
    if (this.freeGen !== this.pageGen) {
      this.freeGen = this.pageGen;
      for (let p = 1; p < lay.nFrames; p++) if (!v.hasFlag(p, L.PGF_ALLOC)) this.page(p, out);
    }
    if (v.mm(m, L.MM_ALIVE) === L.LIFE_ALIVE) return;
    for (const cr of this.creators[m]!) {
      // The fork has not completed: the child's VA may still receive the parent's page.
      if (cr.parent >= 0 && cr.parent !== m && v.act(cr.actor, L.A_PC) <= cr.pc) this.pagesAt(v, cr.parent, va, out);
    }
  }

  /** Every page pin slot i may hold now or later. */
  private pagesOfPin(v: StateView, i: number, out: number[]): void {
    const pin = this.m.cfg.pins[i]!;
    if (v.pinState(i) !== L.PIN_UNUSED) this.page(v.pinPfn(i), out);
    this.pagesAt(v, pin.mm, pin.va, out);
  }

  private pinsOf(m: number, out: number[]): void {
    const pins = this.m.cfg.pins;
    for (let i = 0; i < pins.length; i++) if (pins[i]!.mm === m) out.push(LOC_PIN + i);
  }

  /** The locations of one instruction's steps; true if unknown (then anything). */
  private instrFuture(v: StateView, q: number, ac: ActorConfig, instr: InstrConfig, out: number[]): boolean {
    const m = ac.mm;
    const va = instr.va;
    const nVa = this.m.lay.nVa;
    switch (instr.kind) {
      case 'write':
        out.push(this.pte(m, va), LOC_ALLOC); // a write fault allocates
        this.pagesAt(v, m, va, out);
        return false;
      case 'read': case 'mprotect': case 'dontfork': case 'dofork': case 'wipeonfork':
        out.push(this.pte(m, va));
        this.pagesAt(v, m, va, out);
        return false;
      case 'mmap': case 'munmap': case 'dontneed':
        out.push(this.pte(m, va), LOC_ALLOC); // a zap may free the page
        this.pagesAt(v, m, va, out);
        this.pinsOf(m, out);
        return false;
      case 'pin':
        out.push(this.pte(m, va), LOC_PIN + instr.pin, LOC_ALLOC);
        this.pagesAt(v, m, va, out);
        this.pagesOfPin(v, instr.pin, out);
        return false;
      case 'unpin':
        out.push(LOC_PIN + instr.pin, LOC_ALLOC); // the last reference may go
        this.pagesOfPin(v, instr.pin, out);
        return false;
      case 'dma-read': case 'dma-write':
        out.push(LOC_PIN + instr.pin);
        this.pagesOfPin(v, instr.pin, out);
        return false;
      case 'exit':
        out.push(LOC_ALLOC);
        for (let x = 0; x < nVa; x++) {
          out.push(this.pte(m, x));
          this.pagesAt(v, m, x, out);
        }
        this.pinsOf(m, out);
        this.lifeWrites(q, ac, instr, out);
        return false;
      case 'fork':
        out.push(LOC_MM + instr.child, LOC_ALLOC);
        for (let x = 0; x < nVa; x++) {
          out.push(this.pte(m, x), this.pte(instr.child, x));
          this.pagesAt(v, m, x, out);
        }
        this.lifeWrites(q, ac, instr, out);
        return false;
      case 'signal': case 'wait':
        out.push(LOC_EVENTS);
        return false;
      default:
        return true;
    }
  }
}
