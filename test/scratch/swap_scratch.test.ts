import { it } from 'vitest';
import { check } from '../../api/check.js';
import { ERAS, kernelOfEra } from '../../model/kernels.js';
import { compile } from '../model/harness.js';

import { readFileSync } from 'node:fs';
const S = readFileSync(process.env.SCNF ?? '/tmp/s.pincow', 'utf8');
it('scratch', () => {
  const s = compile(S);
  for (const e of ERAS) {
    const r = check({ ...s, file: 't' } as never, kernelOfEra(e), {});
    const inv = r.invariants.map((i) => `${i.invariant}:${i.verdict === 'violated' ? 'V' : '.'}`).join(' ');
    console.log(e.id, r.verdict, r.stats?.states, inv);
    if (process.env.TRACE === e.id) for (const i of r.invariants) if (i.text) console.log(i.text);
  }
});
