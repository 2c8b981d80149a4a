/**
 * The abstract locations of the MM model's partial-order reduction
 * (model/porSupport.ts) that do not depend on the state, and the plans of
 * its futures: per actor and program index, what every remaining
 * instruction may touch whatever the state, and which VAs and pin slots
 * name the pages the state decides.
 *
 * Performance: MmPor.future is asked about half the expanded states in
 * open mode, and rebuilding this part per state (with many duplicates:
 * every alternative of a choice names the same VA, the pool, the pins)
 * was most of its cost. The program is fixed per model, so it is built
 * once here; future() adds only the state-dependent pages.
 */
import type { ActorConfig, InstrConfig } from './config.js';
import { LOC_ALLOC, LOC_EVENTS, LOC_MM, LOC_PIN, LOC_PTE } from './step.js';

/** explorer/types.ts LOC_READ and LOC_ANY (the same values; model/ does not import explorer/) */
export const READ = 1 << 24;
export const ANY = -1;
// Pseudo-locations of this file, far above model/step.ts's LOC_* kinds (1..7 << 12) so new kinds there do not collide.
/** pseudo-location: the life of mm (read by every step of its threads) */
export const LOC_LIFE = 32 << 12;
/** pseudo-location: actor is mid-instruction (read by exit's guard) */
export const LOC_ACTIVE = 33 << 12;
export const LOCATIONS = 34 << 12;

/** What the plan builder needs of the model (all fixed per model). */
export interface PlanShape {
  readonly nVa: number;
  readonly actors: readonly ActorConfig[];
  readonly pins: readonly { readonly mm: number }[];
  /** per mm: its actors */
  readonly threads: readonly (readonly number[])[];
}

/** One actor's future from one program index on, less the pages the state decides. */
export interface FuturePlan {
  /** location codes, each once; ANY (last) if some instruction's locations are unknown */
  readonly codes: Int32Array;
  /** (mm, VA) pairs, flattened, whose pages may be touched (MmPor.pagesAt), each once */
  readonly vas: Int32Array;
  /** pin slots whose pages may be touched (MmPor.pagesOfPin), each once */
  readonly pins: Int32Array;
}

export function pteLoc(shape: PlanShape, m: number, va: number): number {
  return LOC_PTE + m * shape.nVa + va;
}

/** A choice alternative's precondition (MmModel.offered, startChoice). */
export function needs(alt: InstrConfig, out: number[]): void {
  if (alt.kind === 'pin' || alt.needs === 'pin-free' || alt.needs === 'pin-held') out.push(LOC_PIN + alt.pin);
  if (alt.needs === 'next-child') for (let c = 1; c <= alt.child; c++) out.push(LOC_LIFE + c | READ, LOC_MM + c);
}

/** exit ends the mm (and reads whether its siblings are mid-instruction); fork creates the child (and its VMAs). */
export function lifeWrites(shape: PlanShape, a: number, ac: ActorConfig, instr: InstrConfig, out: number[]): void {
  if (instr.kind === 'exit' && ac.mm >= 0) {
    out.push(LOC_LIFE + ac.mm);
    for (const b of shape.threads[ac.mm]!) if (b !== a) out.push(LOC_ACTIVE + b | READ);
  }
  if (instr.kind === 'fork') {
    out.push(LOC_LIFE + instr.child);
    // dup_mmap copies every VMA at fork.begin and nextToCopy() scans the
    // parent's PTEs past the cursor, beyond the cursor's PTE the step
    // footprints name (ops/fork.ts fpFork).
    for (let x = 0; x < shape.nVa; x++) out.push(pteLoc(shape, ac.mm, x), pteLoc(shape, instr.child, x));
  }
}

/** Collects a plan, dropping repeats. */
class PlanBuilder {
  readonly codes = new Set<number>();
  readonly vas = new Map<number, [number, number]>();
  readonly pins = new Set<number>();
  constructor(private readonly shape: PlanShape) {}

  va(m: number, va: number): void {
    this.vas.set(m * this.shape.nVa + va, [m, va]);
  }

  plan(): FuturePlan {
    return { codes: Int32Array.from(this.codes), vas: Int32Array.from([...this.vas.values()].flat()), pins: Int32Array.from(this.pins) };
  }
}

/** The state-independent locations of one instruction's steps; false if unknown (then anything). */
function instrPlan(shape: PlanShape, q: number, ac: ActorConfig, instr: InstrConfig, b: PlanBuilder, codes: number[]): boolean {
  const m = ac.mm;
  const va = instr.va;
  const pinsOf = (): void => shape.pins.forEach((p, i) => { if (p.mm === m) codes.push(LOC_PIN + i); });
  switch (instr.kind) {
    case 'write':
      codes.push(pteLoc(shape, m, va), LOC_ALLOC); // a write fault allocates
      b.va(m, va);
      return true;
    case 'read': case 'mprotect': case 'dontfork': case 'dofork': case 'wipeonfork':
      codes.push(pteLoc(shape, m, va));
      b.va(m, va);
      return true;
    case 'mmap': case 'munmap': case 'dontneed':
      codes.push(pteLoc(shape, m, va), LOC_ALLOC); // a zap may free the page
      b.va(m, va);
      pinsOf();
      return true;
    case 'pin':
      codes.push(pteLoc(shape, m, va), LOC_PIN + instr.pin, LOC_ALLOC);
      b.va(m, va);
      b.pins.add(instr.pin);
      return true;
    case 'unpin':
      codes.push(LOC_PIN + instr.pin, LOC_ALLOC); // the last reference may go
      b.pins.add(instr.pin);
      return true;
    case 'dma-read': case 'dma-write':
      codes.push(LOC_PIN + instr.pin);
      b.pins.add(instr.pin);
      return true;
    case 'exit':
      codes.push(LOC_ALLOC);
      for (let x = 0; x < shape.nVa; x++) {
        codes.push(pteLoc(shape, m, x));
        b.va(m, x);
      }
      pinsOf();
      lifeWrites(shape, q, ac, instr, codes);
      return true;
    case 'fork':
      codes.push(LOC_MM + instr.child, LOC_ALLOC);
      for (let x = 0; x < shape.nVa; x++) {
        codes.push(pteLoc(shape, m, x), pteLoc(shape, instr.child, x));
        b.va(m, x);
      }
      lifeWrites(shape, q, ac, instr, codes);
      return true;
    case 'signal': case 'wait':
      codes.push(LOC_EVENTS);
      return true;
    default:
      return false;
  }
}

/**
 * The plan of actor q's future from program index pc on: its mm's life,
 * its own activity and mm, then per remaining instruction (every
 * alternative of a choice, with its precondition) its locations. To
 * extend POR to a new operation, add its locations to `instrPlan` (and
 * the kind to porSupport.ts KNOWN) and run test/soundness.
 */
function futurePlan(shape: PlanShape, q: number, pc: number): FuturePlan {
  const ac = shape.actors[q]!;
  const b = new PlanBuilder(shape);
  const codes: number[] = [];
  if (ac.mm >= 0) codes.push(LOC_LIFE + ac.mm | READ, LOC_ACTIVE + q, LOC_MM + ac.mm);
  let known = true;
  for (let i = pc; i < ac.program.length && known; i++) {
    const at = ac.program[i]!;
    for (const instr of at.alts ?? [at]) {
      if (at.alts !== undefined) needs(instr, codes);
      known = instrPlan(shape, q, ac, instr, b, codes);
      if (!known) break;
    }
  }
  for (const c of codes) b.codes.add(c);
  if (!known) b.codes.add(ANY);
  return b.plan();
}

/** Per actor, per program index (up to its program's length, exclusive): the plan of its future. */
export function futurePlans(shape: PlanShape): FuturePlan[][] {
  return shape.actors.map((ac, q) => ac.program.map((_, pc) => futurePlan(shape, q, pc)));
}
