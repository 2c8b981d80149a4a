/**
 * Reduced vs full exploration on random scenarios (checker-anchors §4.7
 * item 3): fast-check generates small scenarios (api/arbitraries.ts
 * scenarioText: one or two processes, a second thread, a device, pins
 * fast and slow, fork, zaps, mprotect) and a kernel era; with POR, with
 * symmetry and with both, the violated invariants (and deadlocks) must be
 * those of the full graph, and every reduced path must replay into a
 * violation on the unreduced model. A disagreement shrinks to a minimal
 * scenario. The seed is fixed so the suite is reproducible.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scenarioText } from '../../api/arbitraries.js';
import { properties } from '../../api/check.js';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import { NO_DEADLOCK } from '../../explorer/types.js';
import { INVARIANT_NAMES } from '../../invariants/index.js';
import { ERAS, kernelOfEra } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { compileText } from '../../scenario/catalog.js';
import { replaysToViolation } from './lint.js';

const LIMIT = 20_000;

interface Run { violated: string[]; complete: boolean; paths: Map<string, readonly number[]> }

function run(m: MmModel, names: readonly string[], por: boolean, symmetry: boolean): Run {
  const r = explore(m, exploreOptions({ properties: properties(m, names), deadlock: names.includes(NO_DEADLOCK), maxStates: LIMIT, por, symmetry }));
  return {
    violated: r.violations.map((v) => v.property).sort(),
    complete: r.end === 'exhausted',
    paths: new Map(r.violations.map((v) => [v.property, v.path])),
  };
}

describe('reduced and full exploration agree on random scenarios', () => {
  it('POR, symmetry and both find exactly the full graph\'s violations, on paths that replay', () => {
    const names = INVARIANT_NAMES;
    fc.assert(
      fc.property(scenarioText({ maxOps: 3 }), fc.constantFrom(...ERAS), (text, era) => {
        const m = new MmModel(compileText(text, 'random.pincow', false).cfg, kernelOfEra(era));
        const full = run(m, names, false, false);
        fc.pre(full.complete); // too big for a unit test: discarded, not failed
        for (const [por, symmetry] of [[true, false], [false, true], [true, true]] as const) {
          const red = run(m, names, por, symmetry);
          expect({ por, symmetry, violated: red.violated, complete: red.complete }).toEqual({ por, symmetry, violated: full.violated, complete: true });
          for (const [p, path] of red.paths) expect(replaysToViolation(m, names, p, path), `${p} (por ${por}, symmetry ${symmetry})`).toBe(true);
        }
      }),
      { numRuns: 60, seed: 20240604, endOnFailure: true },
    );
  });
});
