/**
 * KSM (reference §B.13, §C.2 row 9): ksmd's `merge P A Q B` —
 * write_protect_page (clear | count check + 5.19+ try_share + R/O) on the
 * KSM page and on the page to replace, then replace_page (pte_same only);
 * the pre-5.19 R/O-and-clean shortcut; the PTL held across the split.
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../../explorer/bfs.js';
import * as L from '../../../model/layout.js';
import { stepById } from '../../../model/ops/index.js';
import { ASSERT_KSM_REPLACE_PAE } from '../../../model/ops/ksm.js';
import {
  actor, afterSetup, edit, enabledActors, expectPage, expectPte, FREE, makeModel, nextStep, pinInfo, runActor, type StepLog,
} from '../harness.js';

const TWO = 'setup:\n  P0: mmap A anon; mmap B anon; write A; write B\n';

describe('merge P0 A P0 B of two identical unpinned pages', () => {
  it.each(['5.7', '5.10', '6.1'])('B maps the KSM page A had, R/O; B\'s page is freed (%s)', (k) => {
    const m = makeModel(`${TWO}ksmd:\n  merge P0 A P0 B\n`, k);
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'ksmd'), Infinity, log);
    expect(log).toEqual(['ksm.wp_clear', 'ksm.wp_check', 'ksm.wp_clear', 'ksm.wp_check', 'ksm.replace']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: false, dirty: false });
    expectPte(m, s, 'P0', 'B', { kind: 'present', pfn: 1, write: false, dirty: false });
    expectPage(m, s, 1, { alloc: true, refcount: 2, mapcount: 2, pae: false });
    expect(m.view(s).hasFlag(1, L.PGF_KSM)).toBe(true);
    expect(m.view(s).hasFlag(1, L.PGF_LOCKED)).toBe(false);
    expectPage(m, s, 2, FREE);
    expect(m.view(s).mm(0, L.MM_MMAP_READERS)).toBe(0);
    expect(m.view(s).ptlHeld(0)).toBe(false);
  });

  it('between the clear and the check the PTE is cleared and the PTL held: faults wait, GUP-fast does not', () => {
    const m = makeModel(`${TWO}ksmd:\n  merge P0 A P0 B\nP0.T1:\n  write B\nP0.T2:\n  pin B ro fast\n`, '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'ksmd'), 3); // A done, B cleared
    expectPte(m, s, 'P0', 'B', { kind: 'cleared', pfn: 2 });
    expect(m.view(s).ptlHeld(0)).toBe(true);
    expectPage(m, s, 2, { refcount: 2, mapcount: 1 }); // the cleared PTE still holds its reference; + KSM's
    // The writer's store faults (no present PTE) and its fault entry waits on the PTL.
    const w = runActor(m, s, actor(m, 'P0.T1'), 1);
    expect(stepById(m.view(w).act(actor(m, 'P0.T1'), L.A_STEP)).name).toBe('fault.entry');
    expect(enabledActors(m, w)).not.toContain(actor(m, 'P0.T1'));
    // GUP-fast is lockless: it runs, sees no present PTE and falls back to slow GUP, which waits.
    const g = runActor(m, s, actor(m, 'P0.T2'), 2);
    expect(stepById(m.view(g).act(actor(m, 'P0.T2'), L.A_STEP)).name).toBe('gup.entry');
    // ... and slow GUP's follow_page_pte waits for the PTL too.
    const f = runActor(m, g, actor(m, 'P0.T2'));
    expect(stepById(m.view(f).act(actor(m, 'P0.T2'), L.A_STEP)).name).toBe('gup.follow');
    expect(enabledActors(m, f)).not.toContain(actor(m, 'P0.T2'));
  });

  it('pages with different contents are not merged; B is left R/O and clean', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; mmap B anon; write A; fork P1\n  P1: write B\nksmd:\n  merge P0 A P1 B\n', '5.10');
    const s = runActor(m, afterSetup(m), actor(m, 'ksmd'));
    expectPte(m, s, 'P1', 'B', { kind: 'present', pfn: 2, write: false, dirty: false });
    expectPage(m, s, 2, { refcount: 1, mapcount: 1 });
    expect(m.view(s).hasFlag(2, L.PGF_KSM)).toBe(false);
    expect(m.view(s).hasFlag(1, L.PGF_KSM)).toBe(true); // phase 0 made A's page the KSM page
    expect(m.view(s).hasFlag(2, L.PGF_LOCKED)).toBe(false);
  });

  it('a second merge into an existing KSM page skips phase 0 (stable tree hit)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; mmap B anon; mmap C anon; write A; write B; write C\nksmd:\n  merge P0 A P0 B\n  merge P0 A P0 C\n', '6.1');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'ksmd'), Infinity, log);
    expect(log.slice(5)).toEqual(['ksm.wp_clear', 'ksm.wp_clear', 'ksm.wp_check', 'ksm.replace']);
    expectPage(m, s, 1, { refcount: 3, mapcount: 3, pae: false });
    expectPage(m, s, 2, FREE);
    expectPage(m, s, 3, FREE);
  });
});

describe('write_protect_page on a pinned page', () => {
  it.each(['5.7', '5.10', '6.1'])('the count check sees the pin: the PTE is restored RW, nothing is merged (%s)', (k) => {
    const m = makeModel(`${TWO}  P0: pin B rw\nksmd:\n  merge P0 A P0 B\n`, k);
    const s = runActor(m, afterSetup(m), actor(m, 'ksmd'));
    expectPte(m, s, 'P0', 'B', { kind: 'present', pfn: 2, write: true, dirty: true });
    expectPage(m, s, 2, { refcount: 1025, pins: 1, mapcount: 1, pae: k === '6.1' });
    expect(pinInfo(m, s, 'pin0').pfn).toBe(2);
  });

  it('pre-5.19 shortcut: a pinned page whose PTE is already R/O and clean is replaced (no count check)', () => {
    const m = makeModel(`${TWO}  P0: pin B ro\nksmd:\n  merge P0 A P0 B\n`, '5.10');
    const e = edit(m, afterSetup(m));
    e.setPteFlags(0, 1, 0); // B: R/O and clean (as after a read fault on swap-in)
    const log: StepLog = [];
    const s = runActor(m, e.b, actor(m, 'ksmd'), Infinity, log);
    expect(log).toEqual(['ksm.wp_clear', 'ksm.wp_check', 'ksm.wp_clear', 'ksm.replace']);
    expectPte(m, s, 'P0', 'B', { pfn: 1 });
    expectPage(m, s, 2, { refcount: 1024, pins: 1, mapcount: 0 });
    expect(m.view(s).pinGhost(0) & L.PING_KSM_REPLACED).toBe(L.PING_KSM_REPLACED);
  });

  it.each([['5.10', ['ksm.wp_clear', 'ksm.wp_check', 'ksm.wp_clear', 'ksm.replace']], ['6.1', ['ksm.wp_clear', 'ksm.wp_check', 'ksm.wp_clear', 'ksm.wp_check']]] as const)(
    'the shortcut reached without editing (catalog/ksm-ro-clean-pinned): a read swap-in, then a R/O pin (%s)', (k, steps) => {
      const m = makeModel(`${TWO}  reclaim: pageout P0 B\n  P0: read B; pin B ro\nksmd:\n  merge P0 A P0 B\n`, k);
      const s0 = afterSetup(m);
      expectPte(m, s0, 'P0', 'B', { kind: 'present', pfn: 2, write: false, dirty: false });
      const log: StepLog = [];
      const s = runActor(m, s0, actor(m, 'ksmd'), Infinity, log);
      expect(log).toEqual(steps);
      expectPte(m, s, 'P0', 'B', { pfn: k === '5.10' ? 1 : 2 });
    });

  it('5.19+: an exclusive page goes through the block even when R/O and clean; the pin makes it fail', () => {
    const m = makeModel(`${TWO}  P0: pin B ro\nksmd:\n  merge P0 A P0 B\n`, '6.1');
    const e = edit(m, afterSetup(m));
    e.setPteFlags(0, 1, 0);
    const log: StepLog = [];
    const s = runActor(m, e.b, actor(m, 'ksmd'), Infinity, log);
    expect(log).toEqual(['ksm.wp_clear', 'ksm.wp_check', 'ksm.wp_clear', 'ksm.wp_check']);
    expectPte(m, s, 'P0', 'B', { kind: 'present', pfn: 2 });
    expectPage(m, s, 2, { pae: true, mapcount: 1 });
  });

  it('5.19+: write_protect_page clears PageAnonExclusive (page_try_share_anon_rmap) of an unpinned page', () => {
    const m = makeModel(`${TWO}ksmd:\n  merge P0 A P0 B\n`, '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'ksmd'), 4);
    expectPte(m, s, 'P0', 'B', { kind: 'present', pfn: 2, write: false, dirty: false });
    expectPage(m, s, 2, { pae: false, refcount: 2 });
    expect(nextStep(m, s, actor(m, 'ksmd'))).toBe('ksm.replace');
  });
});

describe('replace_page checks only pte_same()', () => {
  it('a write fault between write_protect_page and replace_page changes the PTE: no merge', () => {
    const m = makeModel(`${TWO}ksmd:\n  merge P0 A P0 B\nP0.T1:\n  write B\n`, '6.1');
    let s = runActor(m, afterSetup(m), actor(m, 'ksmd'), 4);
    s = runActor(m, s, actor(m, 'P0.T1')); // KSM holds page#2's lock and a reference: the fault copies
    expectPte(m, s, 'P0', 'B', { pfn: 3, write: true });
    s = runActor(m, s, actor(m, 'ksmd'));
    expectPte(m, s, 'P0', 'B', { pfn: 3 });
    expectPage(m, s, 2, FREE);
  });
});

describe('kernel assertions (reference §E.3)', () => {
  it('replace_page: VM_BUG_ON_PAGE(PageAnonExclusive(page)) fires on a page made exclusive behind its back (constructed)', () => {
    const m = makeModel(`${TWO}ksmd:\n  merge P0 A P0 B\n`, '6.1');
    const e = edit(m, runActor(m, afterSetup(m), actor(m, 'ksmd'), 4)); // before replace_page
    e.setFlag(2, L.PGF_PAE, true);
    const s = runActor(m, e.b, actor(m, 'ksmd'));
    expect(m.view(s).assertFired).toBe(ASSERT_KSM_REPLACE_PAE);
  });

  it('never fires on the merges above', () => {
    const m = makeModel(`${TWO}ksmd:\n  merge P0 A P0 B\n`, '6.1');
    expect(m.view(runActor(m, afterSetup(m), actor(m, 'ksmd'))).assertFired).toBe(0);
  });
});

/** [kernel, states, transitions, depth] of catalog/ksm-vs-gup-fast (regression pins, see stateCounts.test.ts). */
const COUNTS: readonly [string, number, number, number][] = [
  ['5.7', 65, 92, 21],
  ['5.8', 60, 87, 24],
  ['5.10', 65, 92, 21],
  ['6.1', 81, 116, 25],
];

describe('state counts', () => {
  it.each(COUNTS)('ksm-vs-gup-fast on %s: %i states, %i transitions, depth %i', (k, states, transitions, depth) => {
    const m = makeModel(`${TWO}ksmd:\n  merge P0 A P0 B\nP0.T1:\n  pin B ro fast\n`, k);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    expect(r.end).toBe('exhausted');
    expect({ states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth }).toEqual({ states, transitions, depth });
  });
});
