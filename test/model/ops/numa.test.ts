/**
 * NUMA balancing (reference §B.11, §C.2 row 11): the `numa:` daemon's
 * `scan P A` (change_prot_numa: which pages each era skips, PROT_NONE with
 * or without savedwrite) and the hint fault do_numa_page; GUP on PROT_NONE
 * (GUP-fast refuses, slow GUP faults it in); fork and mprotect of a
 * PROT_NONE PTE.
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../../explorer/bfs.js';
import { toggleSwitches } from '../../../model/kernels.js';
import * as L from '../../../model/layout.js';
import { MmModel } from '../../../model/mmModel.js';
import { actor, afterSetup, configOf, expectPage, expectPte, kernelOf, makeModel, pinInfo, runActor, type StepLog } from '../harness.js';

const SCAN = 'numa:\n  scan P0 A\n';
const savedWrite = (m: MmModel, s: Uint8Array): boolean => (m.view(s).pteFlags(0, 0) & L.PTEF_WRITE) !== 0;

describe('change_prot_numa on an exclusive page', () => {
  it.each([['5.10', true], ['6.1', true], ['6.2', false], ['6.12', false]] as const)('%s: PROT_NONE, write bit saved: %s; still mapped', (k, saved) => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A\n${SCAN}`, k);
    const s = runActor(m, afterSetup(m), actor(m, 'numa'));
    expectPte(m, s, 'P0', 'A', { kind: 'protnone', pfn: 1 });
    expect(savedWrite(m, s)).toBe(saved);
    expectPage(m, s, 1, { refcount: 1, mapcount: 1 });
  });

  it.each(['5.10', '6.1', '6.12'])('%s: the hint fault on a read restores the PTE writable (savedwrite, or PAE since 6.2)', (k) => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A\n${SCAN}P0:\n  wait scanned\n  read A\n`.replace(`${SCAN}`, 'numa:\n  scan P0 A\n  signal scanned\n'), k);
    let s = runActor(m, afterSetup(m), actor(m, 'numa'));
    const log: StepLog = [];
    s = runActor(m, s, actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['wait', 'user.read', 'fault.entry', 'user.read']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true });
  });

  it('6.2+: the restore maps a non-exclusive page R/O (can_change_pte_writable)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\n  P1: exit\nnuma:\n  scan P0 A\n  signal scanned\nP0:\n  wait scanned\n  read A\n', '6.2');
    let s = runActor(m, afterSetup(m), actor(m, 'numa'));
    expectPte(m, s, 'P0', 'A', { kind: 'protnone' });
    s = runActor(m, s, actor(m, 'P0'));
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: false });
  });
});

describe('which pages change_prot_numa skips', () => {
  const PINNED = `setup:\n  P0: mmap A anon; write A; pin A rw\n${SCAN}`;
  it.each([['5.10', 'protnone'], ['5.15', 'protnone'], ['5.18', 'present'], ['6.1', 'present'], ['6.12', 'present']] as const)(
    'a pinned exclusive page on %s: %s (page_count()!=1 skips it since 80d47f5de5e3)', (k, kind) => {
      const m = makeModel(PINNED, k);
      const s = runActor(m, afterSetup(m), actor(m, 'numa'));
      expectPte(m, s, 'P0', 'A', { kind, pfn: 1 });
    });

  it.each(['5.7', '5.15', '6.12'])('%s: a fork-shared page and the zeropage are skipped', (k) => {
    for (const setup of ['P0: mmap A anon; write A; fork P1', 'P0: mmap A anon; read A']) {
      const m = makeModel(`setup:\n  ${setup}\n${SCAN}`, k);
      const s = runActor(m, afterSetup(m), actor(m, 'numa'));
      expectPte(m, s, 'P0', 'A', { kind: 'present' });
    }
  });

  it('a FOLL_GET reference: skipped on page_count (5.17-6.9), not since 6.10 (maybe_dma_pinned || mapped shared)', () => {
    const text = `setup:\n  P0: mmap A anon; write A; get A ro\n${SCAN}`;
    for (const [k, kind] of [['5.15', 'protnone'], ['6.1', 'present'], ['6.12', 'protnone']] as const) {
      const m = makeModel(text, k);
      expectPte(m, runActor(m, afterSetup(m), actor(m, 'numa')), 'P0', 'A', { kind });
    }
  });

  it('the seed 002 RFC (avoid-unmap-pinned) skips a maybe-pinned page on every era', () => {
    const m = new MmModel(configOf(PINNED), toggleSwitches(kernelOf('5.10'), ['avoid-unmap-pinned'], []));
    expectPte(m, runActor(m, afterSetup(m), actor(m, 'numa')), 'P0', 'A', { kind: 'present', pfn: 1 });
  });
});

describe('GUP, fork and mprotect on a PROT_NONE PTE', () => {
  const PROT = 'setup:\n  P0: mmap A anon; write A\n  numa: scan P0 A\n';

  it('GUP-fast refuses it; slow GUP takes the hint fault and pins the restored page', () => {
    const m = makeModel(`${PROT}P0:\n  pin A rw fast\n`, '5.10');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['gupfast.entry', 'gupfast.read_pte', 'gup.entry', 'gup.follow', 'fault.entry', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true });
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
  });

  it('fork keeps it PROT_NONE in both (copy_present_pte copies the PTE); the saved write bit goes', () => {
    const m = makeModel(`${PROT}P0:\n  fork P1\n`, '5.10');
    const s = runActor(m, afterSetup(m), actor(m, 'P0'));
    expectPte(m, s, 'P0', 'A', { kind: 'protnone', pfn: 1, write: false });
    expectPte(m, s, 'P1', 'A', { kind: 'protnone', pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 2, mapcount: 2 });
  });

  it.each([['5.10', false], ['6.1', true]] as const)('mprotect rw makes it an ordinary PTE on %s (writable: %s, can_change_pte_writable)', (k, w) => {
    const m = makeModel(`${PROT}P0:\n  mprotect A rw\n`, k);
    expectPte(m, runActor(m, afterSetup(m), actor(m, 'P0')), 'P0', 'A', { kind: 'present', pfn: 1, write: w });
  });
});

/** [kernel, states, transitions, depth] of catalog/numa-pinned (regression pins). */
const NUMA_PINNED = 'setup:\n  P0: mmap A anon; write A; pin A rw\nnuma:\n  scan P0 A\nP0:\n  read A\n  write A\ndevice:\n  dma-write pin0\n';
const COUNTS: readonly [string, number, number, number][] = [
  ['5.15', 35, 45, 14],
  ['6.1', 22, 29, 12],
];

describe('state counts', () => {
  it.each(COUNTS)('numa-pinned on %s: %i states, %i transitions, depth %i', (k, states, transitions, depth) => {
    const m = makeModel(NUMA_PINNED, k);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    expect({ states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth }).toEqual({ states, transitions, depth });
  });
});
