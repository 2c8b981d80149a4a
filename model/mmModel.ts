/**
 * The MM model as the explorer sees it (explorer/types.ts Model, matched
 * structurally so model/ imports nothing above it): one action per actor,
 * the actor's next step; enabled when the actor is runnable, its
 * instruction's phase has come, and the step's guard holds.
 */
import type { ActorConfig, ModelConfig } from './config.js';
import type { Kernel } from './kernels.js';
import * as L from './layout.js';
import type { Layout } from './layout.js';
import { entryOf, stepById } from './ops/index.js';
import { flagsOf } from './step.js';
import type { Ctx, KernelFlags, StepDef } from './step.js';
import { StateView } from './view.js';

export class MmModel {
  readonly cfg: ModelConfig;
  readonly kernel: Kernel;
  readonly k: KernelFlags;
  readonly lay: Layout;
  readonly stateBytes: number;
  readonly actionCount: number;
  private readonly v: StateView; // reused view for reading
  private readonly w: StateView; // reused view for writing successors
  private readonly ctx: Ctx;

  constructor(cfg: ModelConfig, kernel: Kernel) {
    this.cfg = cfg;
    this.kernel = kernel;
    this.k = flagsOf(kernel);
    this.lay = L.layoutOf(cfg);
    this.stateBytes = this.lay.size;
    this.actionCount = cfg.actors.length;
    this.v = new StateView(this.lay);
    this.w = new StateView(this.lay);
    const ac = cfg.actors[0]!;
    this.ctx = { cfg, k: this.k, actor: 0, ac, instr: ac.program[0]!, mm: ac.mm, pin: undefined };
  }

  initialState(): Uint8Array {
    const v = new StateView(this.lay);
    v.setMm(0, L.MM_ALIVE, L.LIFE_ALIVE);
    v.setPage(L.ZERO_PFN, L.PG_FLAGS, L.PGF_ALLOC);
    for (let a = 0; a < this.lay.nActors; a++) {
      v.setAct(a, L.A_NEW, L.NO_PFN);
      v.setAct(a, L.A_HOLD, L.NO_PFN);
    }
    return v.b;
  }

  /** Has the actor nothing more to do (program over, or its process gone)? */
  actorDone(v: StateView, a: number): boolean {
    const ac = this.cfg.actors[a]!;
    if (v.act(a, L.A_PC) >= ac.program.length) return true;
    return ac.mm >= 0 && v.mm(ac.mm, L.MM_ALIVE) === L.LIFE_EXITED;
  }

  /** Point the shared context at actor a in state v; false if the actor cannot run now. */
  private bind(v: StateView, a: number): boolean {
    const ac: ActorConfig = this.cfg.actors[a]!;
    const pc = v.act(a, L.A_PC);
    const instr = ac.program[pc];
    if (!instr) return false;
    if (ac.mm >= 0 && v.mm(ac.mm, L.MM_ALIVE) !== L.LIFE_ALIVE) return false;
    const gate = instr.setupSeq >= 0 ? instr.setupSeq : this.cfg.setupLength;
    if (v.phase !== gate) return false;
    const c = this.ctx;
    c.actor = a;
    c.ac = ac;
    c.instr = instr;
    c.mm = ac.mm;
    c.pin = this.cfg.pins[instr.pin];
    return true;
  }

  private stepNow(v: StateView, a: number): StepDef {
    const id = v.act(a, L.A_STEP);
    return id === 0 ? entryOf(this.ctx.instr, this.cfg) : stepById(id);
  }

  enabled(state: Uint8Array, out: Int32Array): number {
    const v = this.v;
    v.b = state;
    let n = 0;
    for (let a = 0; a < this.lay.nActors; a++) {
      if (this.bind(v, a) && this.stepNow(v, a).guard(v, this.ctx)) out[n++] = a;
    }
    return n;
  }

  apply(state: Uint8Array, action: number, into: Uint8Array): void {
    into.set(state);
    const w = this.w;
    w.b = into;
    if (!this.bind(w, action)) throw new Error(`pincow internal error: actor ${action} cannot run`);
    this.stepNow(w, action).effect(w, this.ctx);
  }

  isFinal(state: Uint8Array): boolean {
    const v = this.v;
    v.b = state;
    for (let a = 0; a < this.lay.nActors; a++) if (!this.actorDone(v, a)) return false;
    return true;
  }

  /** For traces and slicing: the step an action takes in a state, its context and footprint. */
  describe(state: Uint8Array, action: number): { step: StepDef; ctx: Ctx; footprint: number[] } | undefined {
    const v = new StateView(this.lay, state);
    if (!this.bind(v, action)) return undefined;
    const step = this.stepNow(v, action);
    if (!step.guard(v, this.ctx)) return undefined;
    const footprint: number[] = [];
    step.footprint(v, this.ctx, footprint);
    return { step, ctx: { ...this.ctx }, footprint };
  }

  view(state: Uint8Array): StateView {
    return new StateView(this.lay, state);
  }
}
