// Footprint slicing of counterexamples (checker-anchors §2.3): steps the
// violation does not depend on are dropped before delta debugging, and a
// slice that would not replay or not fail is refused.
import { describe, expect, it } from 'vitest';
import { check } from '../../api/check.js';
import { slice, sliceIndices } from '../../counterexamples/slice.js';
import { invariantByName } from '../../invariants/index.js';
import { resolveKernels } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { compileText } from '../../scenario/catalog.js';

const TEXT = `scenario sliced
check pin-coherent
setup:
  P0: mmap A anon; write A; fork P1; fork P2
  P1: exit
  P2: mmap B anon
P0:
  pin A ro
  write A
device:
  dma-write pin0
P2:
  read B
`;

describe('slice', () => {
  const s = compileText(TEXT, 'sliced.pincow', false);
  const k = resolveKernels('5.10')[0]!;
  const model = new MmModel(s.cfg, k);
  const pred = invariantByName('pin-coherent')!.make(model);
  const fails = (st: Uint8Array): boolean => !pred(model.view(st));
  const found = check(s, k).invariants[0]!;
  const p2 = s.cfg.actors.findIndex((a) => a.name === 'P2');
  const enabledAfter = (prefix: readonly number[], a: number): boolean => {
    let st = model.initialState();
    for (const x of prefix) {
      const next = new Uint8Array(st.length);
      model.apply(st, x, next);
      st = next;
    }
    return model.describe(st, a) !== undefined;
  };

  it('finds the violation without P2 reading B', () => {
    expect(found.verdict).toBe('violated');
    expect(found.path!.filter((a) => a === p2)).toHaveLength(1); // its setup mmap
  });

  it('drops an unrelated process that ran in between', () => {
    const path = found.path!;
    // P2 reads B (entry, fault, zeropage install), interleaved as soon as the setup is over.
    const at = path.lastIndexOf(p2) + 1; // after P2's setup mmap
    expect(enabledAfter(path.slice(0, at), p2)).toBe(true);
    let padded = path.slice(0, at);
    while (enabledAfter(padded, p2)) padded.push(p2);
    expect(padded.length - at).toBeGreaterThan(2);
    padded = [...padded, ...path.slice(at)];
    const sliced = slice(model, padded, fails);
    expect(sliced).toEqual(path);
  });

  it('keeps the path when the slice would not fail', () => {
    const path = found.path!;
    expect(slice(model, path, () => false)).toEqual(path);
  });

  it('keeps earlier steps of an actor whose later step is kept', () => {
    const infos = [
      { actor: 0, locs: new Set([1]) },
      { actor: 1, locs: new Set([2]) },
      { actor: 0, locs: new Set([3]) },
      { actor: 2, locs: new Set([3]) },
    ];
    expect(sliceIndices(infos)).toEqual([0, 2, 3]);
  });
});
