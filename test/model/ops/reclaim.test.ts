/**
 * Reclaim (reference §B.9, §C.2 row 7): the `reclaim:` daemon's
 * `pageout P A` — add_to_swap (with the 5.11+ pinned skip), try_to_unmap
 * as clear | try_share-or-set (5.19+ restore on a pin, swap PTE exclusive
 * bit), pageout's refcount freeze; the reclaimed slot keeps the content.
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../../explorer/bfs.js';
import { invariantByName } from '../../../invariants/index.js';
import { toggleSwitches } from '../../../model/kernels.js';
import * as L from '../../../model/layout.js';
import { MmModel } from '../../../model/mmModel.js';
import {
  actor, afterSetup, configOf, expectPage, expectPte, isEnabled, kernelOf, makeModel, nextStep, pinInfo, runActor, type StepLog,
} from '../harness.js';

const swpExcl = (m: MmModel, s: Uint8Array, mm: number, va: number): boolean => (m.view(s).pteFlags(mm, va) & L.PTEF_SWP_EXCL) !== 0;
const consistent = (m: MmModel, s: Uint8Array): boolean => invariantByName('refcount-consistent')!.make(m)(m.view(s));

describe('pageout of an unpinned exclusive page', () => {
  it.each([['5.7', false], ['5.10', false], ['5.18', false], ['6.1', true], ['6.12', true]] as const)(
    '%s: swap PTE (exclusive bit %s), the folio freed, the slot keeps the content', (k, excl) => {
      const m = makeModel('setup:\n  P0: mmap A anon; write A\nreclaim:\n  pageout P0 A\n', k);
      const log: StepLog = [];
      const s = runActor(m, afterSetup(m), actor(m, 'reclaim'), Infinity, log);
      expect(log).toEqual(['reclaim.add_to_swap', 'reclaim.unmap_clear', 'reclaim.unmap_set', 'reclaim.pageout']);
      expectPte(m, s, 'P0', 'A', { kind: 'swap', pfn: 1, write: false });
      expect(swpExcl(m, s, 0, 0)).toBe(excl);
      const v = m.view(s);
      expect(v.pflags(1)).toBe(L.PGF_SWAPSLOT); // not a page any more: no PGF_ALLOC, no counts
      expect([v.page(1, L.PG_REFS), v.page(1, L.PG_PINS), v.mapcount(1)]).toEqual([0, 0, 0]);
      expect(v.page(1, L.PG_CONTENT)).toBe(L.CONTENT_MM + 0);
      expect(v.pae(1)).toBe(false); // try_share cleared it (5.19+); the slot has no flags
      expect(consistent(m, s)).toBe(true);
      expect(v.ptlHeld(0)).toBe(false);
    });

  it('a shared page: every mapping becomes a swap PTE naming the same slot', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\nreclaim:\n  pageout P0 A\n', '6.1');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'reclaim'), Infinity, log);
    expect(log).toEqual(['reclaim.add_to_swap', 'reclaim.unmap_clear', 'reclaim.unmap_set', 'reclaim.unmap_clear', 'reclaim.unmap_set', 'reclaim.pageout']);
    expectPte(m, s, 'P0', 'A', { kind: 'swap', pfn: 1 });
    expectPte(m, s, 'P1', 'A', { kind: 'swap', pfn: 1 });
    expect(swpExcl(m, s, 0, 0) || swpExcl(m, s, 1, 0)).toBe(false); // fork cleared PAE: not exclusive
    expect(m.view(s).pflags(1)).toBe(L.PGF_SWAPSLOT);
    expect(consistent(m, s)).toBe(true);
  });

  it('the zeropage and an unmapped VA: nothing to reclaim', () => {
    for (const setup of ['P0: mmap A anon; read A', 'P0: mmap A anon']) {
      const m = makeModel(`setup:\n  ${setup}\nreclaim:\n  pageout P0 A\n`, '6.1');
      const log: StepLog = [];
      const s = runActor(m, afterSetup(m), actor(m, 'reclaim'), Infinity, log);
      expect(log).toEqual(['reclaim.add_to_swap']);
      expect(m.view(s).act(actor(m, 'reclaim'), L.A_PC)).toBe(1);
    }
  });
});

describe('pageout of a pinned page', () => {
  const PINNED = 'setup:\n  P0: mmap A anon; write A; pin A rw\nreclaim:\n  pageout P0 A\n';

  it('5.9-5.10: unmapped anyway; the freeze fails on the pin, so the page stays in the swap cache', () => {
    const m = makeModel(PINNED, '5.10');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'reclaim'), Infinity, log);
    expect(log).toEqual(['reclaim.add_to_swap', 'reclaim.unmap_clear', 'reclaim.unmap_set', 'reclaim.pageout']);
    expectPte(m, s, 'P0', 'A', { kind: 'swap', pfn: 1 });
    expectPage(m, s, 1, { alloc: true, refcount: 1025, pins: 1, mapcount: 0 }); // swap cache + pin
    expect(m.view(s).hasFlag(1, L.PGF_SWAPCACHE)).toBe(true);
    expect(m.view(s).hasFlag(1, L.PGF_LOCKED)).toBe(false);
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
    expect(consistent(m, s)).toBe(true);
  });

  it.each(['5.15', '5.18', '6.1'])('%s: add_to_swap is skipped for a maybe-pinned page (feb889fb40fa)', (k) => {
    const m = makeModel(PINNED, k);
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'reclaim'), Infinity, log);
    expect(log).toEqual(['reclaim.add_to_swap']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1025, mapcount: 1 });
    expect(m.view(s).hasFlag(1, L.PGF_SWAPCACHE)).toBe(false);
  });

  // A pinned page that is in the swap cache already (swapped in by a read, then pinned R/W:
  // 5.19+ reuses the exclusive page without freeing the swap cache) passes add_to_swap.
  const CACHED = 'setup:\n  P0: mmap A anon; write A\n  reclaim: pageout P0 A\n  P0: read A; pin A rw\nreclaim:\n  pageout P0 A\n';

  it('6.1: try_to_unmap_one clears, page_try_share_anon_rmap fails on the pin, the PTE is restored', () => {
    const m = makeModel(CACHED, '6.1');
    const s0 = afterSetup(m);
    expectPage(m, s0, 1, { refcount: 1026, mapcount: 1, pae: true });
    expect(m.view(s0).hasFlag(1, L.PGF_SWAPCACHE)).toBe(true);
    const log: StepLog = [];
    const s = runActor(m, s0, actor(m, 'reclaim'), Infinity, log);
    expect(log).toEqual(['reclaim.add_to_swap', 'reclaim.unmap_clear', 'reclaim.unmap_set']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1026, mapcount: 1, pae: true });
    expect(m.view(s).hasFlag(1, L.PGF_LOCKED)).toBe(false);
    expect(m.view(s).ptlHeld(0)).toBe(false);
  });

  it('6.1 without unmap-try-share: the pinned exclusive page is unmapped (its swap PTE exclusive)', () => {
    const m = new MmModel(configOf(CACHED), toggleSwitches(kernelOf('6.1'), [], ['unmap-try-share']));
    const s = runActor(m, afterSetup(m), actor(m, 'reclaim'));
    expectPte(m, s, 'P0', 'A', { kind: 'swap', pfn: 1 });
    expect(swpExcl(m, s, 0, 0)).toBe(true);
    expectPage(m, s, 1, { refcount: 1025, mapcount: 0 }); // kept: the freeze fails on the pin
  });
});

describe('the PTL section between unmap_clear and unmap_set', () => {
  it('the PTE is cleared and the PTL held: the fault waits, GUP-fast sees no PTE and falls back', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nreclaim:\n  pageout P0 A\nP0:\n  write A\nP0.T1:\n  pin A ro fast\n', '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'reclaim'), 2);
    expectPte(m, s, 'P0', 'A', { kind: 'cleared', pfn: 1 });
    expectPage(m, s, 1, { refcount: 3, mapcount: 1 }); // the cleared PTE's, the swap cache's, the isolation's
    expect(m.view(s).ptlHeld(0)).toBe(true);
    expect(consistent(m, s)).toBe(true);
    const w = runActor(m, s, actor(m, 'P0'), 1); // the store faults ...
    expect(nextStep(m, w, actor(m, 'P0'))).toBeUndefined(); // ... and handle_mm_fault waits on the PTL
    const log: StepLog = [];
    runActor(m, s, actor(m, 'P0.T1'), 3, log);
    expect(log).toEqual(['gupfast.entry', 'gupfast.read_pte', 'gup.entry']);
    expect(isEnabled(m, s, actor(m, 'reclaim'))).toBe(true);
  });
});

/** [scenario, kernel, states, transitions, depth]: regression pins (see stateCounts.test.ts). */
const SWAP_PINNED = 'setup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw\n  signal pinned\n  wait swapped\n  read A\n  write A\nreclaim:\n  wait pinned\n  pageout P0 A\n  signal swapped\ndevice:\n  dma-write pin0\n';
const RACE = 'setup:\n  P0: mmap A anon; write A\nP0.T1:\n  pin A rw fast\nreclaim:\n  pageout P0 A\n  signal swapped\nP0:\n  wait swapped\n  read A\n  write A\ndevice:\n  dma-write pin0\n';
const COUNTS: readonly [string, string, string, number, number, number][] = [
  ['swap-pinned', '5.10', SWAP_PINNED, 48, 65, 27],
  ['swap-pinned', '6.1', SWAP_PINNED, 25, 30, 16],
  ['swap-pinned-gup-fast', '5.15', RACE, 298, 516, 31],
  ['swap-pinned-gup-fast', '6.1', RACE, 229, 407, 25],
];

describe('state counts', () => {
  it.each(COUNTS)('%s on %s: exact', (_n, k, text, states, transitions, depth) => {
    const m = makeModel(text, k);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    expect({ states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth }).toEqual({ states, transitions, depth });
  });
});

describe('the scenario syntax of the reclaim, migration and numa daemons', () => {
  it('`pageout any` is a choice among every process and VA; reclaim may pick either page', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; mmap B anon; write A; write B\nreclaim:\n  pageout any\n', '6.1');
    const ins = m.cfg.actors[actor(m, 'reclaim')]!.program[0]!;
    expect(ins.alts?.map((a) => a.text)).toEqual(['pageout P0 A', 'pageout P0 B']);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    const one = explore(makeModel('setup:\n  P0: mmap A anon; mmap B anon; write A; write B\nreclaim:\n  pageout P0 A\n', '6.1'), exploreOptions({ maxDepth: 1000 }));
    // The same setup, then either pick: each of the two reclaims takes four steps.
    expect([one.stats.states, r.stats.states]).toEqual([17, 21]);
  });

  it.each([
    ['reclaim:\n  pageout P7 A\n', 'unknown process "P7"'],
    ['reclaim:\n  pageout P0\n', 'needs a VA'],
    ['migration:\n  migrate P0 A B\n', 'unexpected "B"'],
    ['numa:\n  pageout P0 A\n', '"pageout" is not an operation of the numa'],
    ['P0:\n  scan P0 A\n', '"scan" is not an operation of a thread'],
  ])('bad input %j: a PincowError naming what is wrong', (body, msg) => {
    expect(() => makeModel(`setup:\n  P0: mmap A anon\n${body}`)).toThrow(msg);
  });
});
