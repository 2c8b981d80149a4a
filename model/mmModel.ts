/**
 * The MM model as the explorer sees it (explorer/types.ts Model, matched
 * structurally so model/ imports nothing above it). An action is an actor's
 * next step: action id = actor + nActors * choice. Choice is 0 except when
 * the actor is about to start a choice instruction (config.ts `alts`):
 * there each alternative whose precondition holds is its own action, and
 * the chosen index is kept in the actor's frame (A_CHOICE) for the
 * instruction's later steps. Plain scenarios have no choices, so their
 * action ids are the actor indices. An action is enabled when the actor is
 * runnable, its instruction's phase has come, and the step's guard holds.
 */
import type { ActorConfig, InstrConfig, ModelConfig } from './config.js';
import type { Kernel } from './kernels.js';
import { withScenarioSwitches } from './kernels.js';
import * as L from './layout.js';
import type { Layout } from './layout.js';
import { entryOf, stepById } from './ops/index.js';
import { flagsOf, LOC_MM, LOC_PIN } from './step.js';
import type { Ctx, KernelFlags, StepDef } from './step.js';
import { StateView } from './view.js';
import { MmPor, porSupported } from './porSupport.js';
import { FrameSymmetry, symmetrySupported } from './symmetry.js';

export class MmModel {
  readonly cfg: ModelConfig;
  readonly kernel: Kernel;
  readonly k: KernelFlags;
  readonly lay: Layout;
  readonly stateBytes: number;
  /** nActors * maxChoices: action ids are actor + nActors * choice */
  readonly actionCount: number;
  readonly nActors: number;
  /** the most alternatives of any choice instruction (1 without choices) */
  readonly maxChoices: number;
  /** does some program hold a choice instruction? */
  readonly hasChoices: boolean;
  /**
   * Per actor, per program index: the entry step of each alternative (one
   * entry for a plain instruction). enabled() runs per expanded state and
   * tries every alternative of every actor at a choice (22 per actor in
   * open mode): looking the steps up once here, and binding the actor
   * once per state rather than once per alternative, halves its cost.
   */
  private readonly entries: readonly (readonly StepDef[])[][];
  private readonly v: StateView; // reused view for reading
  private readonly w: StateView; // reused view for writing successors
  private readonly ctx: Ctx;
  /** partial-order reduction support (model/porSupport.ts); undefined where its reasoning does not cover the configuration */
  readonly por: MmPor | undefined;
  /** symmetry reduction over page frames (model/symmetry.ts); both undefined where it is not supported */
  readonly canonicalize: ((state: Uint8Array) => boolean) | undefined;
  readonly symmetrySafe: ((state: Uint8Array) => boolean) | undefined;
  /**
   * With canonicalize: 1 at every byte the canonical form depends on
   * (FrameSymmetry.readMask). If s is canonical and s' differs from s only
   * where this is 0, s' is canonical too (canonicalize leaves it unchanged).
   */
  readonly symmetryReads: Uint8Array | undefined;

  constructor(cfg: ModelConfig, kernel: Kernel) {
    this.cfg = cfg;
    // The scenario's own `with`/`without` switches (config.ts kernelWith).
    this.kernel = withScenarioSwitches(kernel, cfg.kernelWith, cfg.kernelWithout);
    this.k = flagsOf(this.kernel);
    this.lay = L.layoutOf(cfg);
    this.stateBytes = this.lay.size;
    this.nActors = cfg.actors.length;
    let widest = 1;
    for (const a of cfg.actors) for (const i of a.program) widest = Math.max(widest, i.alts?.length ?? 1);
    this.maxChoices = widest;
    this.hasChoices = cfg.actors.some((a) => a.program.some((i) => i.alts !== undefined));
    this.actionCount = this.nActors * this.maxChoices;
    this.v = new StateView(this.lay);
    this.w = new StateView(this.lay);
    this.entries = cfg.actors.map((a) => a.program.map((i) => (i.alts ?? [i]).map((x) => entryOf(x, cfg))));
    const ac = cfg.actors[0]!;
    this.ctx = { cfg, k: this.k, actor: 0, ac, instr: ac.program[0]!, mm: ac.mm, pin: undefined };
    this.por = porSupported(this) ? new MmPor(this) : undefined;
    const sym = symmetrySupported(this) ? new FrameSymmetry(this) : undefined;
    this.canonicalize = sym ? (s) => sym.canonicalize(s) : undefined;
    this.symmetrySafe = sym ? (s) => sym.safe(s) : undefined;
    this.symmetryReads = sym?.readMask();
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

  /**
   * Has the actor nothing more to do (program over, or its process gone)?
   * An open-mode actor (mayStop) is also done before any choice: it may
   * stop there, so a state where it cannot go on is no deadlock.
   */
  actorDone(v: StateView, a: number): boolean {
    const ac = this.cfg.actors[a]!;
    const pc = v.act(a, L.A_PC);
    if (pc >= ac.program.length) return true;
    if (ac.mm >= 0 && v.mm(ac.mm, L.MM_ALIVE) === L.LIFE_EXITED) return true;
    return ac.mayStop === true && v.act(a, L.A_STEP) === 0 && ac.program[pc]!.alts !== undefined;
  }

  /** The actor of an action id. */
  actorOf(action: number): number {
    return action % this.nActors;
  }

  /** The alternative an action id picks (0 unless it starts a choice instruction). */
  choiceOf(action: number): number {
    return Math.floor(action / this.nActors);
  }

  /** Is a choice alternative's precondition (config.ts AltNeed) true in v? Never looks at page frames. */
  private offered(v: StateView, alt: InstrConfig): boolean {
    switch (alt.needs) {
      case undefined: return true;
      case 'pin-free': return !v.pinHolds(alt.pin);
      case 'pin-held': return v.pinState(alt.pin) === L.PIN_HELD;
      case 'next-child': {
        for (let m = 1; m < alt.child; m++) if (v.mm(m, L.MM_ALIVE) === L.LIFE_NONE) return false;
        return v.mm(alt.child, L.MM_ALIVE) === L.LIFE_NONE;
      }
    }
  }

  /**
   * Point the shared context at actor a in state v, running alternative
   * `choice` if a choice instruction starts now (else choice must be 0);
   * false if that cannot run now.
   */
  private bind(v: StateView, a: number, choice: number): boolean {
    const ac: ActorConfig = this.cfg.actors[a]!;
    const pc = v.act(a, L.A_PC);
    const at = ac.program[pc];
    if (!at) return false;
    if (ac.mm >= 0 && v.mm(ac.mm, L.MM_ALIVE) !== L.LIFE_ALIVE) return false;
    const gate = at.setupSeq >= 0 ? at.setupSeq : this.cfg.setupLength;
    if (v.phase !== gate) return false;
    let instr = at;
    if (at.alts !== undefined) {
      const starting = v.act(a, L.A_STEP) === 0;
      if (!starting && choice !== 0) return false;
      const alt = at.alts[starting ? choice : v.act(a, L.A_CHOICE)];
      if (!alt || (starting && !this.offered(v, alt))) return false;
      instr = alt;
    } else if (choice !== 0) return false;
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
    const na = this.nActors;
    for (let a = 0; a < na; a++) {
      const at = this.runnable(v, a);
      if (!at) continue;
      if (at.alts !== undefined && v.act(a, L.A_STEP) === 0) {
        n = this.enabledChoices(v, a, at.alts, out, n);
      } else if (this.bind(v, a, 0) && this.stepNow(v, a).guard(v, this.ctx)) {
        out[n++] = a;
      }
    }
    return n;
  }

  /** The instruction actor a is at, if it may run now (its mm alive, its phase come); what bind() checks first. */
  private runnable(v: StateView, a: number): InstrConfig | undefined {
    const ac = this.cfg.actors[a]!;
    const at = ac.program[v.act(a, L.A_PC)];
    if (!at) return undefined;
    if (ac.mm >= 0 && v.mm(ac.mm, L.MM_ALIVE) !== L.LIFE_ALIVE) return undefined;
    const gate = at.setupSeq >= 0 ? at.setupSeq : this.cfg.setupLength;
    return v.phase === gate ? at : undefined;
  }

  /** At the start of a choice instruction (runnable): append each alternative whose precondition and entry guard hold. */
  private enabledChoices(v: StateView, a: number, alts: readonly InstrConfig[], out: Int32Array, n: number): number {
    const c = this.ctx;
    const ac = this.cfg.actors[a]!;
    const entries = this.entries[a]![v.act(a, L.A_PC)]!;
    c.actor = a;
    c.ac = ac;
    c.mm = ac.mm;
    for (let k = 0; k < alts.length; k++) {
      const alt = alts[k]!;
      if (!this.offered(v, alt)) continue;
      c.instr = alt;
      c.pin = this.cfg.pins[alt.pin];
      if (entries[k]!.guard(v, c)) out[n++] = a + this.nActors * k;
    }
    return n;
  }

  /** Does actor a start a choice instruction now (the context is bound to it)? */
  private startsChoice(v: StateView, a: number): boolean {
    return v.act(a, L.A_STEP) === 0 && this.cfg.actors[a]!.program[v.act(a, L.A_PC)]!.alts !== undefined;
  }

  /**
   * Starting alternative `choice`: remember it in the frame. A pin
   * alternative reuses its slot after a release or failure: the new
   * pin_user_pages() call starts with a fresh slot (state and ghost bits
   * cleared), as if it were a new pages[] array.
   */
  private startChoice(v: StateView, a: number, choice: number): void {
    v.setAct(a, L.A_CHOICE, choice);
    const instr = this.ctx.instr;
    if (instr.kind === 'pin' && v.pinState(instr.pin) !== L.PIN_UNUSED) v.setPin(instr.pin, L.PIN_UNUSED, 0);
  }

  apply(state: Uint8Array, action: number, into: Uint8Array): void {
    into.set(state);
    const w = this.w;
    w.b = into;
    const a = action % this.nActors;
    const choice = Math.floor(action / this.nActors);
    if (!this.bind(w, a, choice)) throw new Error(`pincow internal error: action ${action} (actor ${a}, choice ${choice}) cannot run`);
    const id = w.act(a, L.A_STEP);
    if (id !== 0) {
      stepById(id).effect(w, this.ctx);
      return;
    }
    // Starting an instruction: its entry step from the table (entries), and a choice's start remembered.
    const pc = w.act(a, L.A_PC);
    const alts = this.cfg.actors[a]!.program[pc]!.alts !== undefined;
    if (alts) this.startChoice(w, a, choice);
    this.entries[a]![pc]![alts ? choice : 0]!.effect(w, this.ctx);
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
    const a = action % this.nActors;
    if (!this.bind(v, a, Math.floor(action / this.nActors))) return undefined;
    const step = this.stepNow(v, a);
    if (!step.guard(v, this.ctx)) return undefined;
    const footprint: number[] = [];
    step.footprint(v, this.ctx, footprint);
    // startChoice() may reset a reused pin slot and reads the alternative's precondition.
    const instr = this.ctx.instr;
    if (this.startsChoice(v, a) && (instr.kind === 'pin' || instr.needs === 'pin-held')) footprint.push(LOC_PIN + instr.pin);
    if (this.startsChoice(v, a) && instr.needs === 'next-child') for (let m = 1; m <= instr.child; m++) footprint.push(LOC_MM + m);
    return { step, ctx: { ...this.ctx }, footprint };
  }

  view(state: Uint8Array): StateView {
    return new StateView(this.lay, state);
  }
}
