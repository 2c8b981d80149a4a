// Decoded states (immer-frozen objects) are the human face of packed
// states: decode∘encode is the identity on every reachable state of the
// catalogue, decoded states are frozen, and a test can build a state with
// immer's produce and explore from it.
import { produce } from 'immer';
import { describe, expect, it } from 'vitest';
import { decodeState, encodeState } from '../../model/decode.js';
import { MmModel } from '../../model/mmModel.js';
import { resolveKernels } from '../../model/kernels.js';
import { catalogNames, loadScenario } from '../../scenario/catalog.js';
import { pinCoherent } from '../../invariants/pinCoherent.js';

function reachable(model: MmModel, limit = 2000): Uint8Array[] {
  const seen = new Map<string, Uint8Array>();
  const queue = [model.initialState()];
  const out = new Int32Array(model.actionCount);
  while (queue.length && seen.size < limit) {
    const s = queue.pop()!;
    const key = Buffer.from(s).toString('hex');
    if (seen.has(key)) continue;
    seen.set(key, s);
    const n = model.enabled(s, out);
    for (let i = 0; i < n; i++) {
      const next = new Uint8Array(s.length);
      model.apply(s, out[i]!, next);
      queue.push(next);
    }
  }
  return [...seen.values()];
}

describe('decodeState / encodeState', () => {
  it.each(catalogNames())('round-trips every reachable state of %s on 5.10 and 6.1', (name) => {
    for (const k of resolveKernels('5.10,6.1')) {
      const model = new MmModel(loadScenario(name).cfg, k);
      for (const s of reachable(model)) expect(encodeState(model, decodeState(model, s), s)).toEqual(s);
    }
  });

  it('returns a deeply frozen object', () => {
    const model = new MmModel(loadScenario('fork-after-pin').cfg, resolveKernels('6.1')[0]!);
    const d = decodeState(model, model.initialState());
    expect(Object.isFrozen(d)).toBe(true);
    expect(Object.isFrozen(d.mms[0]!.ptes)).toBe(true);
    expect(d.mms[0]!.life).toBe('alive');
  });

  it('lets a test build a state with produce(): a pin whose VA maps another page breaks pin-coherent', () => {
    const model = new MmModel(loadScenario('ro-pin-previously-shared').cfg, resolveKernels('5.10')[0]!);
    const base = decodeState(model, model.initialState());
    const broken = produce(base, (d) => {
      d.phase = 3;
      d.mms[0]!.ptes['A'] = { vma: true, vmWrite: true, dontfork: false, wipeonfork: false, kind: 'present', pfn: 2, writable: true, dirty: true, special: false };
      d.pages.push({ pfn: 1, refcount: 1024, pins: 1, mapcount: 0, anon: true, anonExclusive: false, ksm: false, swapcache: false, locked: false, content: 0 });
      d.pages.push({ pfn: 2, refcount: 1, pins: 0, mapcount: 1, anon: true, anonExclusive: false, ksm: false, swapcache: false, locked: false, content: 1 });
      d.pins[0] = { name: 'pin0', state: 'held', pfn: 1, userUnmapped: false };
    });
    const bytes = encodeState(model, broken);
    expect(pinCoherent.make(model)(model.view(bytes))).toBe(false);
    expect(pinCoherent.explain(model, model.view(bytes))).toBe("pin0 holds page#1 but P0's A maps page#2: what the device writes, P0 never reads.");
  });
});
