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
import { pinCoherent } from '../../../invariants/pinCoherent.js';
import { pinStaysMapped } from '../../../invariants/pinStaysMapped.js';
import {
  actor, afterSetup, configOf, expectPage, expectPte, finished, isEnabled, kernelOf, makeModel, mmField, nextStep, pinInfo, runActor, step, type StepLog,
} from '../harness.js';

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

describe('change_pte_range split for GUP-fast (numa.change_prot | numa.modify_prot, reference §E.1)', () => {
  const RACE = 'setup:\n  P0: mmap A anon; write A\nnuma:\n  scan P0 A\nP0.T1:\n  pin A rw fast\nP0:\n  write A\n';

  it.each(['5.10', '5.15', '6.1', '6.12'])('%s: a GUP-fast pin between the skip check and the clear is left on a PROT_NONE PTE', (k) => {
    const m = makeModel(RACE, k);
    const numa = actor(m, 'numa');
    let s = step(m, afterSetup(m), numa); // the skip check: nothing pinned yet
    expect(nextStep(m, s, numa)).toBe('numa.modify_prot');
    expect(mmField(m, s, 'P0', L.MM_PTL)).toBe(1);
    const log: StepLog = [];
    s = runActor(m, s, actor(m, 'P0.T1'), Infinity, log); // GUP-fast takes no PTL
    expect(log).not.toContain('gup.entry');
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
    s = runActor(m, s, numa); // ptep_modify_prot_start/commit: no recheck
    expectPte(m, s, 'P0', 'A', { kind: 'protnone', pfn: 1 });
    expect(mmField(m, s, 'P0', L.MM_PTL)).toBe(0);
    expect(pinStaysMapped.make(m)(m.view(s))).toBe(false);
    expect(pinCoherent.make(m)(m.view(s))).toBe(true);
    s = runActor(m, s, actor(m, 'P0')); // the write's hint fault restores it writable: no COW
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true });
    expect(pinCoherent.make(m)(m.view(s))).toBe(true);
  });

  it('the seed 002 RFC (avoid-unmap-pinned) checks before the clear too: the same race is open', () => {
    const m = new MmModel(configOf(RACE), toggleSwitches(kernelOf('6.12'), ['avoid-unmap-pinned'], []));
    let s = step(m, afterSetup(m), actor(m, 'numa'));
    s = runActor(m, s, actor(m, 'P0.T1'));
    s = runActor(m, s, actor(m, 'numa'));
    expectPte(m, s, 'P0', 'A', { kind: 'protnone', pfn: 1 });
    expect(pinStaysMapped.make(m)(m.view(s))).toBe(false);
  });

  it('a GUP-fast grab before the check is seen by the 5.17+ skip rule (page_count, maybe_dma_pinned)', () => {
    for (const [k, next] of [['5.15', 'numa.modify_prot'], ['6.1', undefined], ['6.12', undefined]] as const) {
      const m = makeModel(RACE, k);
      const t1 = actor(m, 'P0.T1');
      let s = runActor(m, afterSetup(m), t1, 3); // entry, read_pte, grab: refcount 1025
      s = step(m, s, actor(m, 'numa'));
      expect(nextStep(m, s, actor(m, 'numa'))).toBe(next);
    }
  });

  it('a GUP-fast walk that read the PTE before the clear fails its recheck after it and falls back', () => {
    const m = makeModel(RACE, '6.12');
    const t1 = actor(m, 'P0.T1');
    let s = runActor(m, afterSetup(m), t1, 2); // entry, read_pte
    s = runActor(m, s, actor(m, 'numa')); // both steps
    const log: StepLog = [];
    s = runActor(m, s, t1, Infinity, log);
    expect(log.slice(0, 3)).toEqual(['gupfast.grab', 'gupfast.recheck', 'gup.entry']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true }); // slow GUP took the hint fault
    expect(pinStaysMapped.make(m)(m.view(s))).toBe(true);
  });

  it('while the PTL is held, faults and slow GUP wait; a user access to the present PTE does not', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nnuma:\n  scan P0 A\nP0.T1:\n  pin A rw\nP0:\n  read A\n', '5.10');
    const s = step(m, afterSetup(m), actor(m, 'numa'));
    const log: StepLog = [];
    const t1 = runActor(m, s, actor(m, 'P0.T1'), Infinity, log);
    expect(log).toEqual(['gup.entry']); // gup.follow (follow_page_pte) needs the PTL
    expect(isEnabled(m, t1, actor(m, 'P0.T1'))).toBe(false);
    expect(pinInfo(m, t1, 'pin0').state).toBe('unused');
    expect(finished(m, runActor(m, s, actor(m, 'P0')), actor(m, 'P0'))).toBe(true);
  });
});

/**
 * [kernel, states, transitions, depth] of catalog/numa-pinned (regression pins).
 * 5.15 went from 35/45/14 to 42/59/15 when change_pte_range was split in two
 * steps (numa.change_prot | numa.modify_prot): the scan no longer skips the
 * pinned page there, and P0's read, write and the device's DMA interleave
 * with the window in which the daemon holds the PTL. 6.1 skips the page in
 * the first step, so its counts did not change.
 */
const NUMA_PINNED = 'setup:\n  P0: mmap A anon; write A; pin A rw\nnuma:\n  scan P0 A\nP0:\n  read A\n  write A\ndevice:\n  dma-write pin0\n';
const COUNTS: readonly [string, number, number, number][] = [
  ['5.15', 42, 59, 15],
  ['6.1', 22, 29, 12],
];

describe('state counts', () => {
  it.each(COUNTS)('numa-pinned on %s: %i states, %i transitions, depth %i', (k, states, transitions, depth) => {
    const m = makeModel(NUMA_PINNED, k);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    expect({ states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth }).toEqual({ states, transitions, depth });
  });
});
