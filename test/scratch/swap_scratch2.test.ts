import { it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { check } from '../../api/check.js';
import { ERAS, kernelOfEra } from '../../model/kernels.js';
import { compile } from '../model/harness.js';

const DIR = process.env.SDIR ?? '/tmp/cowswap';
const EXTRA = (process.env.EXTRA ?? 'refcount-consistent,kernel-asserts,no-deadlock').split(',').filter((x) => x);
it('scratch', () => {
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.pincow')).sort()) {
    const s = compile(readFileSync(`${DIR}/${f}`, 'utf8'));
    const invs = [...new Set([...s.invariants, ...EXTRA])];
    const rows: Record<string, string> = {};
    let states = 0;
    for (const e of ERAS) {
      const r = check({ ...s, file: f } as never, kernelOfEra(e), { invariants: invs });
      states += r.stats?.states ?? 0;
      for (const i of r.invariants) rows[i.invariant] = (rows[i.invariant] ?? '') + (i.verdict === 'violated' ? 'V' : '.');
      if (r.verdict === 'incomplete') rows['INCOMPLETE'] = (rows['INCOMPLETE'] ?? '') + e.id;
    }
    console.log(`${f} (${states} states)`);
    for (const [k, v] of Object.entries(rows)) console.log(`   ${v}  ${k}`);
  }
});
