import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileText } from '../../../scenario/catalog.js';
import { check } from '../../../api/check.js';
import { ERAS, kernelOfEra } from '../../../model/kernels.js';

it('scratch', () => {
  const f = process.env.SCR ?? '/tmp/thpscratch/2c.pincow';
  const s = compileText(readFileSync(f, 'utf8'), f, false);
  const eras = (process.env.ERAS ?? 'E0,E1,E2,E3,E4,E5,E6,E7,E8,E9').split(',');
  for (const e of ERAS.filter((x) => eras.includes(x.id))) {
    const t0 = performance.now();
    const r = check(s, kernelOfEra(e), process.env.ALL ? { invariants: ["pin-coherent","pinned-not-cow-shared","no-missed-cow","anon-exclusive-sound","writable-implies-exclusive","refcount-consistent","kernel-asserts","no-deadlock"] } : {});
    const vs = r.invariants.filter((i) => i.verdict === 'violated').map((i) => i.invariant);
    console.log(e.id, r.verdict, vs.join(','), r.stats?.states, ((performance.now() - t0) / 1000).toFixed(2) + 's');
    if (process.env.TRACE === e.id) for (const i of r.invariants) if (i.verdict === 'violated') console.log(i.text);
  }
});
