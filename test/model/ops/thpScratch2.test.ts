import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileText } from '../../../scenario/catalog.js';
import { check } from '../../../api/check.js';
import { resolveKernels, toggleSwitches } from '../../../model/kernels.js';

it('scratch2', () => {
  const f = process.env.SCR ?? '/tmp/thpscratch/10.pincow';
  const s = compileText(readFileSync(f, 'utf8'), f, false);
  for (const [k, w, wo] of [['5.18', ['tlb-flush-ipi'], []], ['5.18', ['khugepaged-ipi-sync'], []], ['5.18', ['gup-fast-pmd-recheck'], []], ['6.1', [], ['gup-fast-pmd-recheck']], ['6.1', [], ['gup-fast-pmd-recheck', 'khugepaged-ipi-sync']], ['6.1', ['tlb-flush-ipi'], ['gup-fast-pmd-recheck', 'khugepaged-ipi-sync']]] as const) {
    const kern = toggleSwitches(resolveKernels(k)[0]!, w, wo);
    const r = check(s, kern, {});
    console.log(k, w, wo, r.verdict, r.stats?.states);
  }
});
