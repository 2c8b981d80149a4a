// refcount-consistent's one-pass check (fastCheck) against its readable
// definition (problem): the same verdict on every reachable state of every
// catalogue scenario on four eras, and on a hand-made broken state.
import { describe, expect, it } from 'vitest';
import { fastCheck, problem } from '../../invariants/refcountConsistent.js';
import { resolveKernels } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { catalogNames, loadScenario } from '../../scenario/catalog.js';
import { reachable } from '../soundness/lint.js';


describe('refcount-consistent: fastCheck equals problem() === ""', () => {
  it.each(catalogNames())('%s on 5.7, 5.10, 6.1, 6.12', (name) => {
    for (const k of resolveKernels('5.7,5.10,6.1,6.12')) {
      const model = new MmModel(loadScenario(name).cfg, k);
      const fast = fastCheck(model);
      for (const s of reachable(model)) {
        const v = model.view(s);
        expect(fast(v)).toBe(problem(model, v) === '');
      }
    }
  });

  it('sees a broken count', () => {
    const model = new MmModel(loadScenario('fork-after-pin').cfg, resolveKernels('6.1')[0]!);
    const states = reachable(model);
    const s = states.find((x) => fastCheck(model)(model.view(x)) && model.view(x).refcount(1) > 0)!;
    const bad = s.slice();
    const v = model.view(bad);
    v.setPage(1, 0, v.page(1, 0) + 1); // PG_REFS + 1: a reference nobody holds
    expect(fastCheck(model)(v)).toBe(false);
    expect(problem(model, v)).toMatch(/^page#1 refcount/);
  });
});
