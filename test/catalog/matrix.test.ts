// The whole catalogue on every era: each cell's verdicts must equal the
// scenario's declared expectations (the regression suite of the kernel's
// pin/COW history), and every violation's trace must replay to a state
// that breaks the invariant it names.
import { describe, expect, it } from 'vitest';
import { cell } from '../../api/matrix.js';
import { catalogNames, loadScenario } from '../../scenario/catalog.js';
import { ERAS, kernelOfEra } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { replay } from '../../counterexamples/trace.js';
import { invariantByName } from '../../invariants/index.js';
import { WIDTH } from '../../counterexamples/renderText.js';

describe.each(catalogNames())('catalogue scenario %s', (name) => {
  const s = loadScenario(name);
  it.each(ERAS.map((e) => [e.id, e] as const))('on %s matches its expectations', (_id, era) => {
    const k = kernelOfEra(era);
    const c = cell(s, k);
    expect(c.verdict).not.toBe('incomplete');
    for (const iv of c.invariants) expect({ inv: iv.invariant, actual: iv.actual }).toEqual({ inv: iv.invariant, actual: iv.expected });
    const model = new MmModel(s.cfg, k);
    for (const iv of c.result.invariants) {
      if (iv.verdict !== 'violated') continue;
      const t = replay(model, iv.path!);
      const last = model.view(t.states[t.states.length - 1]!);
      expect(invariantByName(iv.invariant)!.make(model)(last)).toBe(false);
      for (const line of iv.text!.split('\n')) expect(line.length).toBeLessThanOrEqual(WIDTH);
    }
  });
});

describe('the foundation verdicts named by the issue', () => {
  const verdict = (name: string, era: string) => {
    const e = ERAS.find((x) => x.id === era)!;
    return cell(loadScenario(name), kernelOfEra(e)).verdict;
  };
  it('ro-pin-previously-shared: violated 5.9-5.18 only', () => {
    expect(['E0', 'E1', 'E2', 'E3', 'E4', 'E5', 'E9'].map((e) => verdict('ro-pin-previously-shared', e))).toEqual(
      ['holds', 'holds', 'violated', 'violated', 'violated', 'holds', 'holds']);
  });
  it('vmsplice-child-unmap: violated <=5.7 only', () => {
    expect(['E0', 'E1', 'E2'].map((e) => verdict('vmsplice-child-unmap', e))).toEqual(['violated', 'holds', 'holds']);
  });
  it('gup-fast-vs-fork: violated 5.9-5.10, holds from 5.11', () => {
    expect(['E2', 'E3', 'E5'].map((e) => verdict('gup-fast-vs-fork', e))).toEqual(['violated', 'holds', 'holds']);
  });
  it('fork-after-pin: violated on 5.8, holds on 5.10', () => {
    expect(['E1', 'E2'].map((e) => verdict('fork-after-pin', e))).toEqual(['violated', 'holds']);
  });
});
