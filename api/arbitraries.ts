/**
 * fast-check arbitraries for property tests over pincow (DESIGN.md §1,
 * job 3: guard in CI): small valid scenario texts over the scenario
 * language, and valid action paths through a scenario's model. Both shrink
 * as fast-check arbitraries do: a failing scenario shrinks to fewer and
 * simpler operations, a failing path to fewer and earlier choices.
 *
 * ```ts
 * import fc from 'fast-check';
 * import { arbitraries, check, compileText, resolveKernels } from 'pincow';
 * fc.assert(fc.property(arbitraries.scenarioText(), (text) => {
 *   const r = check(compileText(text, 'random.pincow', false), resolveKernels('6.1')[0]!, { invariants: ['kernel-asserts'] });
 *   return r.verdict !== 'violated';
 * }));
 * ```
 */
import fc from 'fast-check';
import type { Kernel } from '../model/kernels.js';
import { MmModel } from '../model/mmModel.js';
import type { CompiledScenario } from '../scenario/compile.js';
import { walk } from './walk.js';

type Va = 'A' | 'B';

/** One thread operation before it is written out; pins are named and unpins resolved when the text is assembled. */
type Op =
  | { readonly op: 'read' | 'write' | 'munmap' | 'dontneed'; readonly va: Va }
  | { readonly op: 'mprotect'; readonly va: Va; readonly rw: boolean }
  | { readonly op: 'pin'; readonly va: Va; readonly rw: boolean; readonly fast: boolean; readonly longterm: boolean }
  | { readonly op: 'unpin' }
  | { readonly op: 'fork' };

export interface ScenarioTextOptions {
  /** at most this many operations per thread (default 4) */
  readonly maxOps?: number;
  /** whether P0 may have a second thread, P0.T1 (default true) */
  readonly threads?: boolean;
  /** the `scenario NAME` line (default `random`) */
  readonly name?: string;
}

function opArb(vas: readonly Va[], withFork: boolean): fc.Arbitrary<Op> {
  const va = fc.constantFrom(...vas);
  return fc.oneof(
    fc.record({ op: fc.constantFrom('read' as const, 'write' as const), va }),
    fc.record({ op: fc.constant('pin' as const), va, rw: fc.boolean(), fast: fc.boolean(), longterm: fc.boolean() }),
    fc.constant({ op: 'unpin' as const }),
    fc.record({ op: fc.constantFrom('munmap' as const, 'dontneed' as const), va }),
    fc.record({ op: fc.constant('mprotect' as const), va, rw: fc.boolean() }),
    ...(withFork ? [fc.constant({ op: 'fork' as const })] : []),
  );
}

interface Shape {
  readonly vas: readonly Va[];
  readonly setupWrites: readonly boolean[];
  readonly setupFork: boolean;
  readonly p0: readonly Op[];
  readonly p1: readonly Op[];
  readonly t1: readonly Op[];
  readonly device: readonly { readonly write: boolean; readonly pin: number }[];
}

/** Write the shape out as scenario text; every name it uses is one it created, so the text compiles. */
function assemble(sh: Shape, name: string): string {
  const pins: string[] = []; // all pins, in file order
  let forked = sh.setupFork;
  const program = (ops: readonly Op[], main: boolean): string[] => {
    const held: string[] = [];
    const out: string[] = [];
    for (const o of ops) {
      switch (o.op) {
        case 'read': case 'write': case 'munmap': out.push(`${o.op} ${o.va}`); break;
        case 'dontneed': out.push(`madvise ${o.va} dontneed`); break;
        case 'mprotect': out.push(`mprotect ${o.va} ${o.rw ? 'rw' : 'ro'}`); break;
        case 'pin': {
          const p = `p${pins.length}`;
          pins.push(p);
          held.push(p);
          out.push(`pin ${o.va} ${o.rw ? 'rw' : 'ro'}${o.fast ? ' fast' : ''}${o.longterm ? ' longterm' : ''} as ${p}`);
          break;
        }
        case 'unpin': { const p = held.shift(); if (p) out.push(`unpin ${p}`); break; }
        case 'fork': if (main && !forked) { forked = true; out.push('fork P1'); } break;
      }
    }
    return out;
  };
  const setup = ['mmap A anon', ...(sh.vas.includes('B') ? ['mmap B anon'] : []),
    ...sh.vas.filter((_, i) => sh.setupWrites[i]).map((v) => `write ${v}`), ...(sh.setupFork ? ['fork P1'] : [])];
  const p0 = program(sh.p0, true);
  const t1 = program(sh.t1, false);
  const p1 = forked ? program(sh.p1, false) : [];
  const device = pins.length ? sh.device.map((d) => `${d.write ? 'dma-write' : 'dma-read'} ${pins[d.pin % pins.length]!}`) : [];
  const section = (actor: string, lines: readonly string[]): string[] => (lines.length ? [`${actor}:`, ...lines.map((l) => `  ${l}`)] : []);
  return [
    `scenario ${name}`,
    '',
    'setup:',
    `  P0: ${setup.join('; ')}`,
    ...section('P0', p0.length ? p0 : ['read A']),
    ...section('P0.T1', t1),
    ...section('P1', p1),
    ...section('device', device),
    '',
  ].join('\n');
}

/**
 * Small valid scenario texts: one or two processes (P1 forked in the setup
 * or by P0's program), maybe a second thread P0.T1, VAs A and B, a few
 * operations per thread among
 * read, write, fork, pin (ro/rw, fast, longterm), unpin, munmap, madvise
 * dontneed and mprotect, and maybe a device doing DMA through the pins.
 * Every text compiles (`compileText`); no `check` line, so a scenario
 * checks every invariant unless `CheckOptions.invariants` narrows it.
 *
 * @param o the most operations per thread (default 4), whether P0.T1 may appear, the scenario's name
 */
export function scenarioText(o: ScenarioTextOptions = {}): fc.Arbitrary<string> {
  const maxOps = o.maxOps ?? 4;
  const name = o.name ?? 'random';
  const threads = o.threads ?? true;
  return fc.constantFrom<readonly Va[]>(['A'], ['A', 'B']).chain((vas) => fc.record({
    vas: fc.constant(vas),
    setupWrites: fc.array(fc.boolean(), { minLength: vas.length, maxLength: vas.length }),
    setupFork: fc.boolean(),
    p0: fc.array(opArb(vas, true), { minLength: 1, maxLength: maxOps }),
    p1: fc.array(opArb(vas, false), { maxLength: maxOps }),
    t1: threads ? fc.array(opArb(vas, false), { maxLength: maxOps }) : fc.constant([]),
    device: fc.array(fc.record({ write: fc.boolean(), pin: fc.nat() }), { maxLength: 2 }),
  })).map((sh) => assemble(sh, name));
}

export interface TracesOptions {
  /** at most this many steps (default 100) */
  readonly maxSteps?: number;
}

/**
 * Valid action paths of a scenario's model on a kernel: fast-check
 * generates a list of choices and the walk takes `enabled[choice % n]` at
 * each step, stopping when the choices run out or no step is enabled.
 * Every path replays (`replay(new MmModel(s.cfg, k), path)`); paths
 * shrink to shorter ones taking earlier choices.
 *
 * @param s a compiled or loaded scenario
 * @param k the kernel whose semantics decide which steps are enabled
 * @param o the longest path (default 100 steps)
 */
export function tracesOf(s: Pick<CompiledScenario, 'cfg'>, k: Kernel, o: TracesOptions = {}): fc.Arbitrary<number[]> {
  const maxSteps = o.maxSteps ?? 100;
  const model = new MmModel(s.cfg, k);
  return fc.array(fc.nat(), { maxLength: maxSteps, size: 'max' }).map((choices) => walk(model, choices, { maxSteps, extend: false }).path);
}

/** The arbitraries of pincow's public API. */
export const arbitraries = { scenarioText, tracesOf } as const;
