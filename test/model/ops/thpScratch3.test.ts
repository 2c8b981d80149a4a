import { it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { compileText } from '../../../scenario/catalog.js';
import { expectedVerdict } from '../../../scenario/compile.js';
import { check } from '../../../api/check.js';
import { ERAS, kernelOfEra } from '../../../model/kernels.js';

const ALL = ['pin-coherent', 'pinned-not-cow-shared', 'no-missed-cow', 'anon-exclusive-sound', 'writable-implies-exclusive', 'refcount-consistent', 'kernel-asserts', 'no-deadlock'];
it('scratch3', () => {
  const dir = process.env.DIR ?? '/tmp/thpscratch/cat';
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.pincow')).sort()) {
    const s = compileText(readFileSync(`${dir}/${f}`, 'utf8'), f, false);
    const rows: Record<string, string> = {};
    let maxT = 0; let maxS = 0;
    for (const e of ERAS) {
      const t0 = performance.now();
      const r = check(s, kernelOfEra(e), { invariants: ALL });
      maxT = Math.max(maxT, performance.now() - t0); maxS = Math.max(maxS, r.stats?.states ?? 0);
      for (const i of r.invariants) {
        const exp = s.invariants.includes(i.invariant) ? expectedVerdict(s, i.invariant, e.id) : 'holds';
        const c = i.verdict === 'violated' ? 'V' : '.';
        const bad = (i.verdict === 'violated') !== (exp === 'violated');
        rows[i.invariant] = (rows[i.invariant] ?? '') + (bad ? (c === 'V' ? '!' : '?') : c) + ' ';
      }
    }
    console.log(`${f} states<=${maxS} t<=${(maxT / 1000).toFixed(2)}s\n` + Object.entries(rows).filter(([, v]) => /[V!?]/.test(v)).map(([k, v]) => `  ${k.padEnd(28)} ${v}`).join('\n'));
  }
});
