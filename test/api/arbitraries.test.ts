/** The public fast-check arbitraries: scenario texts compile, traces replay. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraries, compileText, MmModel, replay, resolveKernels, scenarios, loadScenario } from '../../api/index.js';

describe('arbitraries', () => {
  it('scenarioText() always compiles, with one or two processes and at most four ops per thread', () => {
    fc.assert(fc.property(arbitraries.scenarioText(), (text) => {
      const s = compileText(text, 'random.pincow', false);
      expect(s.cfg.processes.length).toBeLessThanOrEqual(2);
      for (const a of s.cfg.actors) expect(a.program.filter((i) => i.setupSeq < 0).length).toBeLessThanOrEqual(4);
    }), { numRuns: 300 });
  });
  it.each(scenarios())('tracesOf(%s) gives paths that replay', (name) => {
    const s = loadScenario(name);
    for (const label of ['5.7', '6.1']) {
      const k = resolveKernels(label)[0]!;
      const m = new MmModel(s.cfg, k);
      fc.assert(fc.property(arbitraries.tracesOf(s, k, { maxSteps: 40 }), (path) => {
        expect(path.length).toBeLessThanOrEqual(40);
        expect(replay(m, path).steps.length).toBe(path.length);
      }), { numRuns: 50 });
    }
  });
});
