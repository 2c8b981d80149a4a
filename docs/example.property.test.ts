/**
 * An example of a property test a pincow user writes (vitest + fast-check),
 * using only the public API: for random small scenarios on 6.1, the model
 * never breaks its own bookkeeping — refcounts always match their holders
 * (`refcount-consistent`) and no kernel assertion (VM_BUG_ON and friends)
 * fires (`kernel-asserts`). If it fails, fast-check prints the shrunk
 * scenario text: paste it into a .pincow file and run `pincow check` on it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraries, check, compileText, resolveKernels } from '../api/index.js';

const kernel = resolveKernels('6.1')[0]!;

describe('random small scenarios on 6.1', () => {
  it('never break refcount-consistent or kernel-asserts', () => {
    fc.assert(fc.property(arbitraries.scenarioText(), (text) => {
      const s = compileText(text, 'random.pincow', false);
      const r = check(s, kernel, { invariants: ['refcount-consistent', 'kernel-asserts'], maxStates: 200_000 });
      const broken = r.invariants.filter((i) => i.verdict === 'violated');
      // the counterexample's text says what went wrong, step by step
      expect(broken.map((i) => i.text ?? i.invariant)).toEqual([]);
    }), { numRuns: 30 });
  });
});
