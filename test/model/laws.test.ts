/**
 * Laws every operation of the MM model obeys (DESIGN.md §10), checked with
 * fast-check over random walks through the catalogue scenarios on random
 * eras, and exhaustively over the catalogue and over random small programs:
 *
 * - apply never mutates its input state, and enabled/describe never mutate;
 * - apply is deterministic: equal states and the same action give equal
 *   bytes, whatever the `into` buffer held before, in any model instance;
 * - every enabled action applies without throwing;
 * - between instructions an actor's frame is in canonical (clean) form;
 * - replaying a walk's action path reproduces its final state;
 * - refcount-consistent and kernel-asserts hold in every reachable state on
 *   every era (a self-check of the model: refcounts must account for their
 *   holders whatever the era's COW rules are).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replay } from '../../counterexamples/trace.js';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import type { Property } from '../../explorer/types.js';
import { NO_DEADLOCK } from '../../explorer/types.js';
import { invariantByName } from '../../invariants/index.js';
import { ERA_IDS, resolveKernels } from '../../model/kernels.js';
import * as L from '../../model/layout.js';
import { MmModel } from '../../model/mmModel.js';
import { StateView } from '../../model/view.js';
import { catalogNames, loadScenario } from '../../scenario/catalog.js';
import { expectedVerdict } from '../../scenario/compile.js';
import { configOf, enabledActors } from './harness.js';

const NAMES = catalogNames();
const SCENARIOS = new Map(NAMES.map((n) => [n, loadScenario(n)]));
const KERNELS = new Map(ERA_IDS.map((e) => [e, resolveKernels(e)[0]!]));

function modelOf(name: string, era: (typeof ERA_IDS)[number]): MmModel {
  return new MmModel(SCENARIOS.get(name)!.cfg, KERNELS.get(era)!);
}

const SELF_CHECKS = ['refcount-consistent', 'kernel-asserts'];

function props(m: MmModel, names: readonly string[]): Property[] {
  return names.map((n) => {
    const pred = invariantByName(n)!.make(m);
    const v = new StateView(m.lay);
    return { name: n, holds: (s: Uint8Array) => { v.b = s; return pred(v); } };
  });
}

/** A violation as readable text: the replayed trace and the invariant's explanation. */
function traceText(m: MmModel, property: string, path: readonly number[]): string {
  const t = replay(m, path);
  const lines = t.steps.map((s) => `  ${s.actor} ${s.stepName}${s.explain ? `: ${s.explain}` : ''}${s.changes.length ? ` [${s.changes.join('; ')}]` : ''}`);
  const last = m.view(t.states[t.states.length - 1]!);
  const why = property === NO_DEADLOCK ? 'deadlock' : invariantByName(property)!.explain(m, last);
  return `${property} on ${m.kernel.era.id}:\n${lines.join('\n')}\n  => ${why}`;
}

/** The frame registers of an actor between instructions. */
function frameIsClean(v: StateView, a: number): boolean {
  return v.act(a, L.A_RET) === 0 && v.act(a, L.A_FLAGS) === 0 && v.act(a, L.A_ORIG_PFN) === 0 && v.act(a, L.A_ORIG_PTE) === 0
    && v.act(a, L.A_NEW) === L.NO_PFN && v.act(a, L.A_HOLD) === L.NO_PFN && v.act(a, L.A_SEQ) === 0 && v.act(a, L.A_CUR) === 0;
}

/** Check the per-state laws on state s; returns the enabled actions. */
function checkLaws(m: MmModel, s: Uint8Array, checks: readonly Property[]): number[] {
  const before = s.slice();
  const en = enabledActors(m, s);
  expect(s, 'enabled() mutated the state').toEqual(before);
  for (const p of checks) expect(p.holds(s), p.name).toBe(true);
  const v = m.view(s);
  for (let a = 0; a < m.cfg.actors.length; a++) {
    if (v.act(a, L.A_STEP) === 0) expect(frameIsClean(v, a), `actor ${m.cfg.actors[a]!.name} frame between instructions`).toBe(true);
  }
  for (const a of en) {
    expect(m.describe(s, a), `describe(${a})`).toBeDefined();
    expect(s, 'describe() mutated the state').toEqual(before);
    const x = new Uint8Array(m.stateBytes);
    m.apply(s, a, x);
    expect(s, `apply(${a}) mutated its input`).toEqual(before);
    const y = new Uint8Array(m.stateBytes).fill(0xaa);
    m.apply(before.slice(), a, y);
    expect(y, `apply(${a}) is not deterministic`).toEqual(x);
  }
  return en;
}

describe('laws over random walks of the catalogue scenarios', () => {
  it('has catalogue scenarios to walk', () => {
    expect(NAMES.length).toBeGreaterThanOrEqual(4);
  });

  it('no mutation, determinism, every enabled action applies, clean frames, replay reproduces the state, self-checks hold', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        fc.constantFrom(...ERA_IDS),
        fc.array(fc.nat(), { minLength: 1, maxLength: 60 }),
        (name, era, choices) => {
          const m = modelOf(name, era);
          const checks = props(m, SELF_CHECKS);
          let s = m.initialState();
          const path: number[] = [];
          for (const c of choices) {
            const en = checkLaws(m, s, checks);
            if (en.length === 0) break;
            const a = en[c % en.length]!;
            const next = new Uint8Array(m.stateBytes);
            m.apply(s, a, next);
            path.push(a);
            s = next;
          }
          checkLaws(m, s, checks);
          // A fresh model instance replays the path to the same bytes.
          const again = replay(modelOf(name, era), path);
          expect(again.states[again.states.length - 1]).toEqual(s);
        },
      ),
      { numRuns: 150, seed: 20260 },
    );
  });
});

describe('exhaustive self-checks over the catalogue', () => {
  it.each(NAMES)('%s: refcount-consistent, kernel-asserts and no-deadlock hold in every reachable state on every era', (name) => {
    for (const era of ERA_IDS) {
      const m = modelOf(name, era);
      // A kernel assertion is a model bug unless the scenario itself expects the era's kernel to trip it
      // (a proposal switched on by a `with` directive, e.g. uffd-move-cross-mm: sanity_check_pinned_pages).
      const checks = SELF_CHECKS.filter((n) => expectedVerdict(SCENARIOS.get(name)!, n, era) === 'holds');
      const r = explore(m, exploreOptions({ maxDepth: 1000, properties: props(m, checks), deadlock: true }));
      expect(r.end, `${name} ${era}`).toBe('exhausted');
      const msgs = r.violations.map((v) => traceText(m, v.property, v.path));
      expect(msgs, `${name} ${era}`).toEqual([]);
    }
  });
});

// ---------------------------------------------------------------- random programs

const THREAD_OPS = ['read A', 'write A', 'madvise A dontneed', 'mprotect A ro', 'mprotect A rw', 'munmap A', 'madvise A dontfork', 'read B', 'write B'];
const PIN_OPS = ['pin A ro', 'pin A rw', 'pin A ro fast', 'pin A rw fast', 'get A ro', 'get A rw fast', 'pin A ro longterm', 'pin B rw'];
const op = fc.oneof(fc.constantFrom(...THREAD_OPS), fc.constantFrom(...PIN_OPS));

interface Program {
  readonly setupWrite: boolean;
  readonly p0: string[];
  readonly forkAt: number | null;
  readonly t1: string[];
  readonly p1: string[];
  readonly dev: ('dma-write' | 'unpin')[];
}

const arbProgram: fc.Arbitrary<Program> = fc.record({
  setupWrite: fc.boolean(),
  p0: fc.array(op, { maxLength: 3 }),
  forkAt: fc.option(fc.nat(3)),
  t1: fc.array(op, { maxLength: 2 }),
  p1: fc.array(fc.oneof(fc.constantFrom(...THREAD_OPS, 'exit'), fc.constantFrom(...PIN_OPS)), { maxLength: 2 }),
  dev: fc.array(fc.constantFrom('dma-write', 'unpin'), { maxLength: 2 }),
});

/** A scenario text from the generated parts: P0 (maybe forking P1), a second thread, P1, the device. */
function programText(x: Program): string {
  let n = 0;
  const pins: { name: string; get: boolean }[] = [];
  const named = (o: string): string => {
    if (!o.startsWith('pin') && !o.startsWith('get')) return o;
    const name = `x${n++}`;
    pins.push({ name, get: o.startsWith('get') });
    return `${o} as ${name}`;
  };
  const p0 = x.p0.map(named);
  if (x.forkAt !== null) p0.splice(Math.min(x.forkAt, p0.length), 0, 'fork P1');
  const t1 = x.t1.map(named);
  const p1 = x.forkAt !== null ? x.p1.map(named) : [];
  const dev: string[] = [];
  x.dev.forEach((d, i) => {
    const p = pins[i % Math.max(1, pins.length)];
    if (p) dev.push(d === 'unpin' ? `${p.get ? 'put' : 'unpin'} ${p.name}` : `dma-write ${p.name}`);
  });
  const section = (who: string, ins: string[]): string => (ins.length ? `${who}:\n${ins.map((i) => `  ${i}\n`).join('')}` : '');
  let t = `scenario random\nsetup:\n  P0: mmap A anon; mmap B anon${x.setupWrite ? '; write A' : ''}\n`;
  t += section('P0', p0) + section('P0.T1', t1) + section('P1', p1) + section('device', dev);
  if (!p0.length && !t1.length && !p1.length && !dev.length) t += 'P0:\n  read A\n';
  return t;
}

describe('exhaustive self-checks over random small programs', () => {
  it('refcount-consistent and kernel-asserts hold in every reachable state, on every era', () => {
    const kernels = [...KERNELS.values()];
    fc.assert(
      fc.property(arbProgram, (x) => {
        const text = programText(x);
        const cfg = configOf(text);
        for (const k of kernels) {
          const m = new MmModel(cfg, k);
          const r = explore(m, exploreOptions({ maxDepth: 1000, maxStates: 200_000, properties: props(m, SELF_CHECKS) }));
          expect(r.end, text).toBe('exhausted');
          expect(r.violations.map((v) => traceText(m, v.property, v.path)), text).toEqual([]);
        }
      }),
      { numRuns: 80, seed: 4242 },
    );
  });
});
