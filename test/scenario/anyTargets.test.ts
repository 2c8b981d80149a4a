// `any` targets (scenario/compile.ts anyTargets): an instruction whose
// target word is `any` becomes a choice among every (process, VA), each
// alternative built as if the scenario had named it; the model explores
// every pick. No daemon op is needed to test it: a thread's `write` stands
// in for a daemon operation here.
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import type { InstrConfig, ModelConfig } from '../../model/config.js';
import { PincowError } from '../../model/errors.js';
import * as L from '../../model/layout.js';
import { MmModel } from '../../model/mmModel.js';
import { anyTargets } from '../../scenario/compile.js';
import { parseScenario } from '../../scenario/parse.js';
import type { Instr } from '../../scenario/ast.js';
import { afterSetup, enabledActors, kernelOf } from '../model/harness.js';

function instrOf(line: string): Instr {
  return parseScenario(`scenario t\nP0:\n  ${line}\n`, 't.pincow').actors[0]!.instrs[0]!;
}

const plain = (kind: InstrConfig['kind'], text: string, f: Partial<InstrConfig> = {}): InstrConfig => ({
  kind, va: 0, child: 0, pin: 0, event: 0, writable: false, vmaFlags: 0, setupSeq: -1, source: '3:3', text, ...f,
});

/** What an operation author passes: build the alternative for one target (here a write by that process). */
const make = (mm: number, va: number, text: string): InstrConfig => plain('write', text, { va, child: mm });

describe('anyTargets', () => {
  it('turns `any` into a choice among every process and VA, in order', () => {
    const c = anyTargets({ processes: ['P0', 'P1'], vas: ['A', 'B'] }, instrOf('write any'), make)!;
    expect(c.text).toBe('write any');
    expect(c.alts!.map((a) => [a.text, a.child, a.va])).toEqual([
      ['write P0 A', 0, 0], ['write P0 B', 0, 1], ['write P1 A', 1, 0], ['write P1 B', 1, 1],
    ]);
  });

  it('leaves a concrete target to the caller', () => {
    expect(anyTargets({ processes: ['P0'], vas: ['A'] }, instrOf('write A'), make)).toBeUndefined();
  });

  it('finds `any` at another operand position', () => {
    const c = anyTargets({ processes: ['P0'], vas: ['A', 'B'] }, instrOf('merge A any'), make, 1)!;
    expect(c.alts!.map((a) => a.text)).toEqual(['merge A P0 A', 'merge A P0 B']);
  });

  it('refuses `any` when no VA is mmapped, naming the word', () => {
    let e: unknown;
    try { anyTargets({ processes: ['P0'], vas: [] }, instrOf('write any'), make); } catch (x) { e = x; }
    expect(e).toBeInstanceOf(PincowError);
    expect((e as PincowError).message).toBe('t.pincow:3:9: "any" picks among the mmapped VAs, and none is mmapped');
  });

  it('gives the model one action per pick, and the explorer explores each', () => {
    const c = anyTargets({ processes: ['P0'], vas: ['A', 'B', 'C'] }, instrOf('write any'), make)!;
    const setup = ['A', 'B', 'C'].map((n, va) => plain('mmap', `mmap ${n}`, { va, vmaFlags: L.VMA_WRITE, setupSeq: va }));
    const cfg: ModelConfig = {
      processes: ['P0'], vas: ['A', 'B', 'C'], pins: [], events: [],
      actors: [{ name: 'P0', mm: 0, program: [...setup, c] }], frames: 4, setupLength: 3,
    };
    const m = new MmModel(cfg, kernelOf('5.10'));
    expect(enabledActors(m, afterSetup(m))).toEqual([0, 1, 2]);
    const r = explore(m, exploreOptions({ deadlock: true }));
    // initial + 3 mmaps, then each of the 3 picks: a 5-step write to an empty PTE
    expect([r.end, r.violations.length, r.stats.states]).toEqual(['exhausted', 0, 4 + 3 * 5]);
  });
});
