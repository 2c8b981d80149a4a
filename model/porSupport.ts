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
 * porLocations.ts `instrPlan` and run test/soundness.
 */
import type { ActorConfig, InstrConfig, OpKind } from './config.js';
import * as L from './layout.js';
import type { MmModel } from './mmModel.js';
import { entryOf, stepById } from './ops/index.js';
import { LOC_ACTIVE, LOC_LIFE, LOCATIONS, READ, futurePlans, lifeWrites, needs } from './porLocations.js';
import type { FuturePlan, PlanShape } from './porLocations.js';
import { LOC_ALLOC, LOC_PAGE, LOC_PHASE } from './step.js';
import type { Ctx, StepDef } from './step.js';
import { StateView } from './view.js';

export { ANY, LOC_ACTIVE, LOC_LIFE, LOCATIONS, READ } from './porLocations.js';

/** The operations whose locations porLocations.ts instrPlan knows; a config with any other gets no POR. */
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
 * reads every mm's VMA, none of which instrPlan knows: explored in full.
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
  /** per actor and program index: the entry step of the instruction, or of each alternative (entryOf, looked up once) */
  private readonly entries: StepDef[][][];
  private readonly succ: Uint8Array;
  /** per child mm: the actors and program indices of the forks that may create it */
  private readonly creators: { actor: number; pc: number; parent: number }[][];
  /** per mm: its actors */
  private readonly threads: number[][];
  private readonly shape: PlanShape;
  /** per actor and program index: the state-independent part of its future (porLocations.ts) */
  private readonly plans: FuturePlan[][];
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
    this.shape = { nVa: m.lay.nVa, actors: m.cfg.actors, pins: m.cfg.pins, threads: this.threads };
    this.plans = futurePlans(this.shape);
    this.entries = m.cfg.actors.map((a) => a.program.map((ins) => (ins.alts ?? [ins]).map((x) => entryOf(x, m.cfg))));
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
    const entries = this.entries[a]![pc]!;
    if (at.alts !== undefined && id === 0) {
      // Choice start: cover every alternative (its entry step and its precondition).
      for (let i = 0; i < at.alts.length; i++) {
        const alt = at.alts[i]!;
        this.stepFootprint(v, a, ac, alt, entries[i]!, out);
        needs(alt, out);
      }
    } else {
      const k = at.alts ? v.act(a, L.A_CHOICE) : 0;
      const instr = at.alts ? at.alts[k]! : at;
      this.stepFootprint(v, a, ac, instr, id === 0 ? entries[k]! : stepById(id), out);
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
    // Performance: the step writes straight into `out` (no scratch array to
    // reset and copy per alternative); the zeropage is then made a read in place.
    const start = out.length;
    step.footprint(v, c, out);
    const zero = LOC_PAGE + L.ZERO_PFN;
    for (let i = start; i < out.length; i++) if (out[i] === zero) out[i] = zero | READ;
    lifeWrites(this.shape, a, ac, instr, out);
  }

  // ------------------------------------------------------------ future

  future(state: Uint8Array, q: number, out: number[]): void {
    this.futurePart(state, q, 0, out);
    this.futurePart(state, q, 1, out);
  }

  /**
   * future() in two parts (explorer/types.ts PorSupport.futurePart). Part 0:
   * the zeropage, the phase and the rest of the program's locations,
   * planned once (porLocations.ts). Part 1: the pages the state decides
   * (transient pages, pages at the program's VAs and pins, free frames).
   * Performance: most conflicts in open mode are on part 0 (the mm a fork
   * creates), so explorer/por.ts then skips part 1, the costly one.
   */
  futurePart(state: Uint8Array, q: number, part: 0 | 1, out: number[]): void {
    const v = this.v;
    v.b = state;
    const ac = this.m.cfg.actors[q]!;
    const pc = v.act(q, L.A_PC);
    if (pc >= ac.program.length) return;
    if (ac.mm >= 0 && v.mm(ac.mm, L.MM_ALIVE) === L.LIFE_EXITED) return; // never runs again
    const plan = this.plans[q]![pc]!;
    if (part === 0) {
      out.push(LOC_PAGE + L.ZERO_PFN | READ); // read-only; named always so that futures only shrink
      out.push(v.phase < this.m.cfg.setupLength ? LOC_PHASE : LOC_PHASE | READ);
      const codes = plan.codes;
      for (let i = 0; i < codes.length; i++) out.push(codes[i]!);
      return;
    }
    this.pageGen++;
    this.pageMark[L.ZERO_PFN] = this.pageGen; // named by part 0
    this.holdings(v, q, out);
    const vas = plan.vas;
    for (let i = 0; i < vas.length; i += 2) this.pagesAt(v, vas[i]!, vas[i + 1]!, out);
    const pins = plan.pins;
    for (let i = 0; i < pins.length; i++) this.pagesOfPin(v, pins[i]!, out);
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
}
