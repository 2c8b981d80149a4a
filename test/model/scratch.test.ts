import { it } from 'vitest';
import fc from 'fast-check';
import * as H from './harness.js';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import { MmModel } from '../../model/mmModel.js';
import { resolveKernels } from '../../model/kernels.js';
import { invariantByName } from '../../invariants/index.js';
import { StateView } from '../../model/view.js';
import { replay } from '../../counterexamples/trace.js';

const T_OPS = ['read A', 'write A', 'madvise A dontneed', 'mprotect A ro', 'mprotect A rw', 'munmap A', 'madvise A dontfork', 'read B', 'write B'];
const PIN_OPS = ['pin A ro', 'pin A rw', 'pin A ro fast', 'pin A rw fast', 'get A ro', 'get A rw fast', 'pin A ro longterm', 'pin B rw'];

const arbScenario = fc.record({
  setupWrite: fc.boolean(),
  p0: fc.array(fc.oneof(fc.constantFrom(...T_OPS), fc.constantFrom(...PIN_OPS)), { maxLength: 3 }),
  forkAt: fc.option(fc.nat(3)),
  t1: fc.array(fc.oneof(fc.constantFrom(...T_OPS), fc.constantFrom(...PIN_OPS)), { maxLength: 2 }),
  p1: fc.array(fc.oneof(fc.constantFrom(...T_OPS, 'exit'), fc.constantFrom(...PIN_OPS)), { maxLength: 2 }),
  dev: fc.array(fc.constantFrom('dma-write', 'unpin'), { maxLength: 2 }),
});

function build(x: fc.infer<typeof arbScenario>): string {
  let n = 0;
  const pins: { name: string; get: boolean }[] = [];
  const conv = (op: string) => {
    if (op.startsWith('pin') || op.startsWith('get')) { const name = `x${n++}`; pins.push({ name, get: op.startsWith('get') }); return `${op} as ${name}`; }
    return op;
  };
  const p0 = x.p0.map(conv);
  if (x.forkAt !== null) p0.splice(Math.min(x.forkAt, p0.length), 0, 'fork P1');
  const t1 = x.t1.map(conv);
  const p1 = x.forkAt !== null ? x.p1.map(conv) : [];
  const dev: string[] = [];
  x.dev.forEach((d, i) => { const p = pins[i % Math.max(1, pins.length)]; if (!p) return; dev.push(d === 'unpin' ? `${p.get ? 'put' : 'unpin'} ${p.name}` : `dma-write ${p.name}`); });
  let t = `setup:\n  P0: mmap A anon; mmap B anon${x.setupWrite ? '; write A' : ''}\n`;
  if (p0.length) t += `P0:\n${p0.map(s => `  ${s}\n`).join('')}`;
  if (t1.length) t += `P0.T1:\n${t1.map(s => `  ${s}\n`).join('')}`;
  if (p1.length) t += `P1:\n${p1.map(s => `  ${s}\n`).join('')}`;
  if (dev.length) t += `device:\n${dev.map(s => `  ${s}\n`).join('')}`;
  if (!p0.length && !t1.length && !p1.length && !dev.length) t += 'P0:\n  read A\n';
  return t;
}

it('scratch', () => {
  const kernels = resolveKernels('all');
  const found = new Map<string, string>();
  let total = 0; let maxStates = 0;
  fc.assert(fc.property(arbScenario, (x) => {
    const text = build(x);
    const cfg = H.configOf(text);
    for (const k of kernels) {
      const m = new MmModel(cfg, k);
      const names = ['refcount-consistent', 'kernel-asserts', 'anon-exclusive-sound', 'writable-implies-exclusive'];
      const props = names.map(nm => { const p = invariantByName(nm)!.make(m); const v = new StateView(m.lay); return { name: nm, holds: (s: Uint8Array) => { v.b = s; return p(v); } }; });
      const r = explore(m, exploreOptions({ maxDepth: 1000, properties: props, deadlock: true }));
      total += r.stats.states; maxStates = Math.max(maxStates, r.stats.states);
      for (const v of r.violations) {
        const key = `${v.property} ${k.era.id}`;
        if (v.property === 'writable-implies-exclusive' || v.property === 'anon-exclusive-sound') { if (k.era.index < 5 && v.property==='anon-exclusive-sound') continue; }
        const prev = found.get(key);
        const tr = replay(m, v.path);
        const desc = `${text}\n${v.path.length}\n` + tr.steps.map(s => `${s.actor} ${s.stepName} ${s.explain ?? ''} [${s.changes.join('; ')}]`).join('\n') + '\n=> ' + (v.property === 'no-deadlock' ? 'deadlock' : invariantByName(v.property)!.explain(m, m.view(tr.states[tr.states.length - 1]!)));
        if (!prev || prev.length > desc.length) found.set(key, desc);
      }
    }
  }), { numRuns: 300, seed: 1 });
  console.log('total', total, 'max', maxStates);
  for (const [k, d] of found) console.log('=====', k, '\n', d);
}, 600000);
