/**
 * UFFDIO_MOVE (reference §B.17, seed 003): the merged single-mm design of
 * 6.8 (PageAnonExclusive required, folio_maybe_dma_pinned before and after
 * ptep_clear_flush), the cross-mm proposal (uffd-move-cross-mm), and the
 * race the post-clear recheck closes.
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../../explorer/bfs.js';
import { toggleSwitches } from '../../../model/kernels.js';
import * as L from '../../../model/layout.js';
import { MmModel } from '../../../model/mmModel.js';
import {
  actor, afterSetup, configOf, expectPage, expectPte, kernelOf, makeModel, mmField, pinInfo, runActor, type StepLog,
} from '../harness.js';

const what = (text: string, k: string, on: string[] = [], off: string[] = []): MmModel =>
  new MmModel(configOf(text), toggleSwitches(kernelOf(k), on, off));
const SETUP = 'setup:\n  P0: mmap A anon; mmap B anon; write A\n';

describe('uffd-move A B (single mm)', () => {
  it('before 6.8 there is no UFFDIO_MOVE: nothing moves', () => {
    const m = makeModel(`${SETUP}P0:\n  uffd-move A B\n`, '6.6');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 1 });
    expectPte(m, s, 'P0', 'B', { kind: 'none' });
  });

  it('6.8+: moves an exclusive page; it keeps PageAnonExclusive, counts unchanged, dst dirty and writable', () => {
    const m = makeModel(`${SETUP}P0:\n  uffd-move A B\n`, '6.12');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['uffd.move_lock', 'uffd.move_clear', 'uffd.move_pte']);
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPte(m, s, 'P0', 'B', { kind: 'present', pfn: 1, write: true, dirty: true });
    expectPage(m, s, 1, { refcount: 1, mapcount: 1, pae: true });
    expect(m.view(s).hasFlag(1, L.PGF_LOCKED)).toBe(false);
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
    expect(m.view(s).ptlHeld(0)).toBe(false);
  });

  it.each([
    ['a pinned page (-EBUSY)', `${SETUP}  P0: pin A rw\n`, 1],
    ['a COW-shared page, not exclusive (-EBUSY)', `${SETUP}  P0: fork P1\n`, 1],
    ['onto a mapped destination (-EEXIST)', `${SETUP}  P0: write B\n`, 1],
  ])('6.8+: refuses %s', (_what, setup, pfn) => {
    const m = makeModel(`${setup}P0:\n  uffd-move A B\n`, '6.12');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['uffd.move_lock']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn });
  });

  it('the zeropage moves at once (move_zeropage_pte)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; mmap B anon; read A\nP0:\n  uffd-move A B\n', '6.12');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPte(m, s, 'P0', 'B', { kind: 'present', pfn: L.ZERO_PFN, special: true });
  });

  it('the recheck after ptep_clear_flush catches a GUP-fast grab that passed the first check', () => {
    const text = `${SETUP}P0:\n  uffd-move A B\nP0.T1:\n  pin A rw fast\n`;
    for (const recheck of [true, false]) {
      const m = what(text, '6.12', [], recheck ? [] : ['uffd-move-pin-recheck']);
      let s = runActor(m, afterSetup(m), actor(m, 'P0'), 1); // first check passed, PTL held
      s = runActor(m, s, actor(m, 'P0.T1'), 4); // entry, read PTE, grab, recheck: all before the clear
      expect(pinInfo(m, s, 'pin0').state).toBe('grabbed');
      s = runActor(m, s, actor(m, 'P0'));
      s = runActor(m, s, actor(m, 'P0.T1'));
      expect(pinInfo(m, s, 'pin0')).toMatchObject({ state: 'held', pfn: 1 });
      expectPte(m, s, 'P0', recheck ? 'A' : 'B', { kind: 'present', pfn: 1 });
      expectPte(m, s, 'P0', recheck ? 'B' : 'A', { kind: 'none' });
      expect(pinInfo(m, s, 'pin0').userUnmapped).toBe(!recheck);
    }
  });
});

describe('uffd-move A B to P1 (cross-mm proposal)', () => {
  const CROSS = 'setup:\n  P0: mmap A anon; mmap B anon; fork P1; write A; pin A rw\nP0:\n  uffd-move A B to P1\n';

  it('without the switch: -EINVAL', () => {
    const m = makeModel(CROSS, '6.12');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 1 });
    expectPte(m, s, 'P1', 'B', { kind: 'none' });
  });

  it('as posted in v3 (a 6.6 base, no pin checks): the pinned page moves into P1, which has no MMF_HAS_PINNED', () => {
    const m = what(CROSS, '6.6', ['uffd-move-cross-mm']);
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPte(m, s, 'P1', 'B', { kind: 'present', pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1, pae: true });
    expect(mmField(m, s, 'P0', L.MM_HAS_PINNED)).toBe(1);
    expect(mmField(m, s, 'P1', L.MM_HAS_PINNED)).toBe(0);
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: true });
  });

  it('on top of the merged checks (6.12): -EBUSY', () => {
    const m = what(CROSS, '6.12', ['uffd-move-cross-mm']);
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 1 });
    expectPte(m, s, 'P1', 'B', { kind: 'none' });
  });
});

/** [kernel, switches on, off, states, transitions, depth] (regression pins). */
const COUNTS: readonly [string, string[], string[], number, number, number][] = [
  ['6.12', [], [], 45, 62, 18],
  ['6.12', [], ['uffd-move-pin-recheck'], 49, 65, 18],
  ['6.6', ['uffd-move-cross-mm'], [], 45, 62, 18],
];

describe('state counts', () => {
  it.each(COUNTS)('move racing a GUP-fast pin on %s +%j -%j: %i states, %i transitions, depth %i', (k, on, off, states, transitions, depth) => {
    const m = what(`${SETUP}P0:\n  uffd-move A B\nP0.T1:\n  pin A rw fast\n`, k, on, off);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    expect(r.end).toBe('exhausted');
    expect({ states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth }).toEqual({ states, transitions, depth });
  });
});
