// Choice instructions (config.ts `alts`) in MmModel: action id = actor +
// nActors * choice at a choice's start, the chosen alternative kept in the
// frame (A_CHOICE) for the instruction's later steps, preconditions, and
// actors that may stop before a choice (mayStop) counting as done there.
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import type { ActorConfig, InstrConfig, ModelConfig } from '../../model/config.js';
import * as L from '../../model/layout.js';
import { MmModel } from '../../model/mmModel.js';
import { replay } from '../../counterexamples/trace.js';
import { afterSetup, enabledActors, kernelOf, pte, step } from './harness.js';

const instr = (kind: InstrConfig['kind'], text: string, f: Partial<InstrConfig> = {}): InstrConfig => ({
  kind, va: 0, child: 0, pin: 0, event: 0, writable: false, vmaFlags: 0, setupSeq: -1, source: 'test', text, ...f,
});

/** P0 mmaps A and B in setup, then chooses "write A" or "write B"; P0.T1 reads A. */
function config(mayStop: boolean, alts = [instr('write', 'write A', { va: 0 }), instr('write', 'write B', { va: 1 })]): ModelConfig {
  const p0: ActorConfig = {
    name: 'P0', mm: 0, ...(mayStop ? { mayStop } : {}),
    program: [
      instr('mmap', 'mmap A', { va: 0, vmaFlags: L.VMA_WRITE, setupSeq: 0 }),
      instr('mmap', 'mmap B', { va: 1, vmaFlags: L.VMA_WRITE, setupSeq: 1 }),
      instr('write', 'one of 2', { alts }),
    ],
  };
  const t1: ActorConfig = { name: 'P0.T1', mm: 0, program: [instr('read', 'read A', { va: 0 })] };
  return { processes: ['P0'], vas: ['A', 'B'], pins: [], events: [], actors: [p0, t1], frames: 6, setupLength: 2 };
}

describe('choice actions', () => {
  const m = new MmModel(config(false), kernelOf('6.1'));

  it('sizes the action space as actors x widest choice', () => {
    expect([m.nActors, m.maxChoices, m.actionCount, m.hasChoices]).toEqual([2, 2, 4, true]);
    expect([m.actorOf(3), m.choiceOf(3), m.actorOf(1), m.choiceOf(1)]).toEqual([1, 1, 1, 0]);
  });

  it('offers each alternative as actor + nActors * choice at the choice, one action per actor elsewhere', () => {
    const s = afterSetup(m);
    expect(enabledActors(m, s)).toEqual([0, 2, 1]); // P0 write A, P0 write B, P0.T1 read A
    const t = step(m, s, 2); // P0 starts "write B": no PTE, so it enters the fault handler
    expect(m.view(t).act(0, L.A_CHOICE)).toBe(1);
    expect(m.view(t).act(0, L.A_STEP)).not.toBe(0);
    expect(enabledActors(m, t)).toEqual([0, 1]);
    expect(m.describe(t, 0)!.ctx.instr.text).toBe('write B');
    expect(m.describe(t, 2)).toBeUndefined(); // no choice mid-instruction
  });

  it('runs the chosen alternative to its end and clears the choice with the frame', () => {
    let s = step(m, afterSetup(m), 2);
    while (m.view(s).act(0, L.A_STEP) !== 0) s = step(m, s, 0);
    expect(pte(m, s, 'P0', 'B').kind).toBe('present');
    expect(pte(m, s, 'P0', 'A').kind).toBe('none');
    expect(m.view(s).act(0, L.A_CHOICE)).toBe(0);
    expect(m.view(s).act(0, L.A_PC)).toBe(3);
  });

  it('replays a path with choices into a trace that names the alternative taken', () => {
    const s0 = afterSetup(m);
    const path: number[] = [0, 0, 2]; // the two setup mmaps (actor 0, choice 0), then "write B"
    let s = step(m, s0, 2);
    while (m.view(s).act(0, L.A_STEP) !== 0) { s = step(m, s, 0); path.push(0); }
    const t = replay(m, path);
    expect(t.steps.filter((x) => x.starts).map((x) => x.starts)).toEqual(['mmap A', 'mmap B', 'write B']);
    expect(t.states[t.states.length - 1]).toEqual(s);
  });

  it('explores every alternative (exact state counts)', () => {
    // P0 alone: the initial state, the two setup mmaps, then per alternative the
    // 5 steps of a write to an empty PTE (store faults, handle_mm_fault,
    // do_anonymous_page alloc and install, store again): 3 + 2 * 5.
    const alone = config(false);
    const solo = new MmModel({ ...alone, actors: [alone.actors[0]!] }, kernelOf('6.1'));
    const r1 = explore(solo, exploreOptions({ deadlock: true }));
    expect([r1.end, r1.violations.length, r1.stats.states]).toEqual(['exhausted', 0, 13]);
    // With P0.T1's read of A interleaved (pinned: the interleavings of the two).
    const r2 = explore(m, exploreOptions({ deadlock: true }));
    expect([r2.end, r2.violations.length, r2.stats.states]).toEqual(['exhausted', 0, 52]);
  });

  it('counts a mayStop actor as done before a choice, and only there', () => {
    const stop = new MmModel(config(true), kernelOf('6.1'));
    const s = afterSetup(stop);
    expect(stop.isFinal(s)).toBe(false); // P0.T1 has not read yet
    const t = step(stop, s, 1);
    let u = t;
    while (!stop.view(u).act(1, L.A_PC)) u = step(stop, u, 1);
    expect(stop.isFinal(u)).toBe(true); // P0 may stop before its choice
    expect(m.isFinal(step(m, u.slice(), 0))).toBe(false); // without mayStop, P0 must run it; mid-instruction never final
    expect(stop.isFinal(step(stop, u, 0))).toBe(false);
  });

  it('offers an alternative only when its precondition holds', () => {
    const pinned = config(false, [instr('unpin', 'unpin p', { pin: 0, needs: 'pin-held' }), instr('write', 'write A', { va: 0 })]);
    const cfg: ModelConfig = { ...pinned, pins: [{ name: 'p', mm: 0, va: 0, foll_pin: true, write: true, fast: false, longterm: false }] };
    const pm = new MmModel(cfg, kernelOf('6.1'));
    expect(enabledActors(pm, afterSetup(pm))).toEqual([2, 1]); // unpin needs the pin held: only "write A"
  });
});
