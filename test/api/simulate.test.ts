/**
 * simulate(): seeded random walks with fast-check shrinking. It finds the
 * catalogue's violations where every run breaks them, is deterministic
 * for a seed, reports one result per violated invariant whatever else is
 * checked, and finds nothing where check() proves the invariant.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../api/check.js';
import { simulate } from '../../api/simulate.js';
import { replay } from '../../counterexamples/trace.js';
import { invariantByName } from '../../invariants/index.js';
import { PincowError } from '../../model/errors.js';
import { resolveKernels } from '../../model/kernels.js';
import { loadScenario } from '../../scenario/catalog.js';

const k = (label: string) => resolveKernels(label)[0]!;
const opts = { seed: 1, runs: 200, maxSteps: 200 };

describe('simulate', () => {
  it('finds and shrinks the vmsplice missed COW on 5.7; the trace replays and ends in a violating state', () => {
    const s = loadScenario('vmsplice-child-unmap');
    const r = simulate(s, k('5.7'), opts);
    expect(r.verdict).toBe('violated');
    expect(r.violations.map((v) => v.invariant)).toEqual(['no-missed-cow']);
    const v = r.violations[0]!;
    expect(v.text).toContain('no-missed-cow violated');
    expect(v.text).toMatch(/Reproduce: npx pincow simulate vmsplice-child-unmap --kernel 5.7 --seed\s+1 /);
    const t = replay(r.model, v.path);
    const pred = invariantByName('no-missed-cow')!.make(r.model);
    expect(pred(r.model.view(t.states[t.states.length - 1]!))).toBe(false);
    // as short as check()'s BFS counterexample
    expect(v.path.length).toBe(check(s, k('5.7')).invariants[0]!.path!.length);
  });
  it('is deterministic: the same seed gives the same result', () => {
    const s = loadScenario('gup-fast-vs-fork');
    const strip = (r: ReturnType<typeof simulate>) => ({ ...r, model: undefined, violations: r.violations.map((v) => ({ ...v, trace: undefined })) });
    expect(strip(simulate(s, k('5.10'), { ...opts, seed: 7 }))).toEqual(strip(simulate(s, k('5.10'), { ...opts, seed: 7 })));
  });
  it('finds nothing where check() proves the invariant, and counts what it walked', () => {
    const r = simulate(loadScenario('gup-fast-vs-fork'), k('6.1'), { seed: 3, runs: 50, maxSteps: 200 });
    expect(r.verdict).toBe('no-violation');
    expect(r.stats.runs).toBe(50);
    expect(r.stats.ends.final).toBe(50);
    expect(r.stats.distinctStates).toBeGreaterThan(1);
    expect(r.stats.distinctStates).toBeLessThanOrEqual(check(loadScenario('gup-fast-vs-fork'), k('6.1')).stats.states);
  });
  it('reports each violated invariant from the first walk breaking it, whatever else is checked', () => {
    const s = loadScenario('fork-after-pin');
    const both = simulate(s, k('5.8'), opts);
    expect(both.violations.map((v) => v.invariant)).toEqual(['pin-coherent', 'pinned-not-cow-shared']);
    for (const v of both.violations) {
      const alone = simulate(s, k('5.8'), { ...opts, invariants: [v.invariant] }).violations[0]!;
      expect([alone.run, alone.choices, alone.path]).toEqual([v.run, v.choices, v.path]);
    }
  });
  it('--max-steps cuts walks short', () => {
    const r = simulate(loadScenario('vmsplice-child-unmap'), k('5.7'), { seed: 1, runs: 10, maxSteps: 5 });
    expect(r.verdict).toBe('no-violation');
    expect(r.stats.ends.maxSteps).toBe(10);
    expect(r.stats.steps).toBe(50);
  });
  it.each([
    [{ seed: -1 }], [{ seed: 1.5 }], [{ seed: 2 ** 31 }], [{ runs: 0 }], [{ maxSteps: 0 }], [{ runs: NaN }],
  ])('rejects %o with a bad-option error', (bad) => {
    expect(() => simulate(loadScenario('vmsplice-child-unmap'), k('5.7'), { ...opts, ...bad })).toThrow(PincowError);
  });
});
