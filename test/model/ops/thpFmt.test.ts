import { it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { parseScenario } from '../../../scenario/parse.js';
import { formatScenario } from '../../../scenario/format.js';
it('fmt', () => {
  const dir = '/tmp/thpcat';
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.pincow'))) {
    const t = readFileSync(`${dir}/${f}`, 'utf8');
    const out = formatScenario(parseScenario(t, f));
    if (out !== t) { console.log('reformatted', f); writeFileSync(`${dir}/${f}`, out); }
  }
});
