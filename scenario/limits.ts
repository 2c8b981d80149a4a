/**
 * What a compiled scenario may hold: the counters of the packed state
 * (model/layout.ts) are bytes and nibbles, so scenarios that could wrap
 * one are refused with a message instead of checked wrongly; and each
 * process is created by exactly one fork.
 */
import type { ActorConfig } from '../model/config.js';
import { PincowError } from '../model/errors.js';
import type { SourcePos } from '../model/errors.js';
import * as L from '../model/layout.js';
import type { Instr, ScenarioAst, Word } from './ast.js';
import { err } from './compileError.js';

/**
 * What the packed state can count (model/layout.ts keeps each field in one
 * byte: the program counter, the setup phase, content tokens per process
 * and per pin, refcounts). Beyond these a counter would wrap silently and
 * the verdict would be wrong, so such a scenario is refused instead — far
 * beyond what can be explored anyway.
 */
export const LIMITS = { instructions: 250, processes: 64, vas: 64, pins: 64, actors: 64 } as const;

/** Each process is created once, by one fork; and the limits above. */
export function checkShape(blocks: readonly { actor: Word; setup: boolean; instrs: readonly Instr[] }[]): void {
  const forked = new Map<string, SourcePos>();
  const vas = new Set<string>();
  const pins = new Set<string>();
  const actors = new Set<string>();
  const length = new Map<string, number>();
  let setup = 0;
  const tooMany = (what: string, max: number, at: { pos: SourcePos }): never =>
    err('invalid-scenario', at, `too many ${what}: at most ${max} are supported`);
  for (const blk of blocks) {
    actors.add(blk.actor.text);
    // Setup runs in order: a child can have setup lines only after the setup line that forks it.
    const proc = /^(P\d+)/.exec(blk.actor.text)?.[1];
    if (blk.setup && proc && proc !== 'P0' && !forked.has(proc)) {
      err('invalid-scenario', blk.actor, `${proc} has setup instructions before any setup "fork ${proc}" creates it`);
    }
    if (actors.size > LIMITS.actors) tooMany('actors (threads and the device)', LIMITS.actors, blk.actor);
    for (const ins of blk.instrs) {
      const n = (length.get(blk.actor.text) ?? 0) + 1;
      length.set(blk.actor.text, n);
      if (n > LIMITS.instructions) tooMany(`instructions for ${blk.actor.text} (setup included)`, LIMITS.instructions, ins.op);
      if (blk.setup && ++setup > LIMITS.instructions) tooMany('setup instructions', LIMITS.instructions, ins.op);
      const a0 = ins.args[0];
      if (!a0) continue;
      if (ins.op.text === 'fork') {
        if (a0.text === 'P0') err('invalid-scenario', a0, 'P0 is the initial process: fork creates a new one, like "fork P1"');
        const first = forked.get(a0.text);
        if (first) err('invalid-scenario', a0, `${a0.text} is already created by the "fork ${a0.text}" at line ${first.line}: each process is forked once`);
        forked.set(a0.text, a0.pos);
        if (forked.size + 1 > LIMITS.processes) tooMany('processes', LIMITS.processes, a0);
      }
      if (ins.op.text === 'mmap' && (vas.add(a0.text), vas.size > LIMITS.vas)) tooMany('VAs', LIMITS.vas, a0);
      if ((ins.op.text === 'pin' || ins.op.text === 'get') && (pins.add(ins.as?.text ?? `#${pins.size}`), pins.size > LIMITS.pins)) tooMany('pins and references', LIMITS.pins, ins.op);
    }
  }
}

/**
 * The userfaultfd wait queue of a VA is one byte of the packed state
 * (model/layout.ts PT_UFFD: a nibble of sleeping faults, a nibble of wakes
 * mod 16): refuse scenarios that could overflow it rather than let a
 * counter wrap and the verdict be wrong.
 */
export function checkUffdBounds(actors: readonly ActorConfig[], ast: ScenarioAst): void {
  const all = actors.flatMap((a) => a.program.flatMap((i) => (i.alts ? [...i.alts] : [i])));
  if (!all.some((i) => i.kind === 'mmap' && (i.vmaFlags & L.VMA_UFFD) !== 0)) return;
  const wakes = all.filter((i) => i.kind === 'uffd-copy' || i.kind === 'uffd-zeropage' || i.kind === 'uffd-wake').length;
  if (wakes > 15) throw new PincowError('invalid-scenario', `too many uffd-copy/uffd-zeropage/uffd-wake instructions (${wakes}): at most 15 are supported`, ast.name.pos);
  const perMm = new Map<number, number>();
  for (const a of actors) if (a.mm >= 0) perMm.set(a.mm, (perMm.get(a.mm) ?? 0) + 1);
  if ([...perMm.values()].some((n) => n > 15)) throw new PincowError('invalid-scenario', 'with userfaultfd, at most 15 threads per process are supported', ast.name.pos);
}

