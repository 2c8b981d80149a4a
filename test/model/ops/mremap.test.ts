/**
 * mremap (reference §B.8): move_ptes moves the PTE with its page, counts
 * and PageAnonExclusive unchanged; MREMAP_FIXED unmaps the target first;
 * MREMAP_DONTUNMAP keeps the old VMA empty; pins follow their PTE.
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../../explorer/bfs.js';
import * as L from '../../../model/layout.js';
import {
  afterSetup, expectPage, expectPte, FREE, makeModel, pinInfo, pinOf, runActor, vaOf, vmaFlags,
} from '../harness.js';

describe('mremap A B', () => {
  it.each(['5.10', '6.1'])('moves the PTE and the VMA; the page is unchanged (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  mremap A B\n', k);
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPte(m, s, 'P0', 'B', { kind: 'present', pfn: 1, write: true, dirty: true });
    expect(vmaFlags(m, s, 'P0', 'A')).toBe(0);
    expect(vmaFlags(m, s, 'P0', 'B') & (L.VMA_MAPPED | L.VMA_WRITE)).toBe(L.VMA_MAPPED | L.VMA_WRITE);
    expectPage(m, s, 1, { refcount: 1, mapcount: 1, pae: k === '6.1' });
  });

  it('a pin follows its PTE to the new address and stays coherent there', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; pin A rw\nP0:\n  mremap A B\n  write B\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expect(m.view(s).pinVa(pinOf(m, 'pin0'), vaOf(m, 'A'))).toBe(vaOf(m, 'B'));
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
    expectPte(m, s, 'P0', 'B', { pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1025, mapcount: 1 });
  });

  it('MREMAP_DONTUNMAP keeps the old VMA, empty: a write there faults in a new page', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  mremap A B dontunmap\n  write A\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 2, write: true });
    expectPte(m, s, 'P0', 'B', { pfn: 1 });
    expect(vmaFlags(m, s, 'P0', 'A') & L.VMA_MAPPED).toBe(L.VMA_MAPPED);
  });

  it('MREMAP_FIXED over a mapped target unmaps it first: its page goes, its pins are marked user-unmapped', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; mmap B anon; write A; write B; pin B rw\nP0:\n  mremap A B\n', '5.10');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'B', { pfn: 1 });
    expectPage(m, s, 2, { refcount: 1024, mapcount: 0 });
    expect(pinInfo(m, s, 'pin0').userUnmapped).toBe(true);
  });

  it('nothing mapped at the old address: -EFAULT, nothing changes', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; munmap A\nP0:\n  mremap A B\n', '6.1');
    const s0 = afterSetup(m);
    const s = runActor(m, s0, 0);
    expectPte(m, s, 'P0', 'B', { kind: 'none' });
    expect(vmaFlags(m, s, 'P0', 'B')).toBe(0);
    expectPage(m, s, 1, FREE);
  });
});

/** [kernel, states, transitions, depth] of catalog/mremap-pinned-fork (regression pins). */
const COUNTS: readonly [string, number, number, number][] = [
  ['5.7', 52, 66, 25],
  ['6.1', 39, 48, 21],
];

describe('state counts', () => {
  it.each(COUNTS)('mremap-pinned-fork on %s: %i states, %i transitions, depth %i', (k, states, transitions, depth) => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; pin A rw longterm\nP0:\n  mremap A B dontunmap\n  write A\n  fork P1\n  write B\ndevice:\n  dma-write pin0\n', k);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    expect(r.end).toBe('exhausted');
    expect({ states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth }).toEqual({ states, transitions, depth });
  });
});
