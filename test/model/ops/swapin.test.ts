/**
 * Swap-in, do_swap_page (reference §B.9, §C.2 row 2b): the slot read back
 * into the swap cache, the exclusivity decision per era (reuse_swap_page
 * <=5.17, page_count()==1 5.18, the swap PTE's exclusive bit 5.19+),
 * do_wp_page in the same PTL section; and what zap, fork and the COW
 * decision do with swap entries (model/swap.ts).
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../../explorer/bfs.js';
import { invariantByName } from '../../../invariants/index.js';
import * as L from '../../../model/layout.js';
import type { MmModel } from '../../../model/mmModel.js';
import { ASSERT_SWAPIN_PAE } from '../../../model/ops/swapin.js';
import {
  actor, afterSetup, edit, expectPage, expectPte, FREE, isEnabled, makeModel, nextStep, runActor, type StepLog,
} from '../harness.js';

const consistent = (m: MmModel, s: Uint8Array): boolean => invariantByName('refcount-consistent')!.make(m)(m.view(s));
const inCache = (m: MmModel, s: Uint8Array, p: number): boolean => m.view(s).hasFlag(p, L.PGF_SWAPCACHE);
/** P0's page A written and reclaimed: a swap PTE naming the slot of frame 1. */
const OUT = 'setup:\n  P0: mmap A anon; write A\n  reclaim: pageout P0 A\n';

describe('a read fault on a swapped-out page', () => {
  it.each([['5.10', false], ['5.18', false], ['6.1', true]] as const)('%s: the slot is read into the swap cache and mapped R/O (PageAnonExclusive %s)', (k, pae) => {
    const m = makeModel(`${OUT}P0:\n  read A\n`, k);
    const s0 = afterSetup(m);
    expect(m.view(s0).pflags(1)).toBe(L.PGF_SWAPSLOT);
    const log: StepLog = [];
    const s = runActor(m, s0, actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['user.read', 'fault.entry', 'swapin.lookup', 'swapin.map', 'user.read']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: false });
    // The mapping's and the swap cache's references; the content came back from the slot.
    expectPage(m, s, 1, { alloc: true, refcount: 2, mapcount: 1, pae, content: L.CONTENT_MM + 0 });
    expect(inCache(m, s, 1)).toBe(true);
    expect(m.view(s).hasFlag(1, L.PGF_LOCKED)).toBe(false);
    expect(consistent(m, s)).toBe(true);
  });
});

describe('a write fault on a swapped-out exclusive page', () => {
  it.each(['5.7', '5.10', '5.18', '6.1'])('%s: reused in place, writable, out of the swap cache', (k) => {
    const m = makeModel(`${OUT}P0:\n  write A\n`, k);
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['user.write', 'fault.entry', 'swapin.lookup', 'swapin.map', 'user.write']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true, dirty: true });
    expectPage(m, s, 1, { refcount: 1, mapcount: 1, pae: k === '6.1' });
    expect(inCache(m, s, 1)).toBe(false);
    expect(consistent(m, s)).toBe(true);
  });
});

describe('a write fault on a swap entry fork shared', () => {
  const SHARED = `${OUT}  P0: fork P1\nP0:\n  write A\n`;

  it.each(['5.10', '5.18', '6.1'])('%s: mapped R/O, then do_wp_page in the same PTL section copies', (k) => {
    const m = makeModel(SHARED, k);
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['user.write', 'fault.entry', 'swapin.lookup', 'swapin.map', 'swapin.wp', 'wp.alloc', 'wp.install', 'user.write']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 2, write: true });
    expectPte(m, s, 'P1', 'A', { kind: 'swap', pfn: 1 });
    // Still in the swap cache for P1's entry, no longer mapped.
    expectPage(m, s, 1, { refcount: 1, mapcount: 0 });
    expect(inCache(m, s, 1)).toBe(true);
    expect(consistent(m, s)).toBe(true);
  });

  it('the PTL is held from the R/O mapping to do_wp_page\'s decision', () => {
    const m = makeModel(SHARED, '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'P0'), 4);
    expect(nextStep(m, s, actor(m, 'P0'))).toBe('swapin.wp');
    expect(m.view(s).ptlHeld(0)).toBe(true);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: false });
  });
});

describe('row 2b: the pipe\'s reference is invisible to reuse_swap_page', () => {
  const ROW2B = `${OUT}  P0: fork P1\nP1:\n  get A ro\n  munmap A\nP0:\n  write A\n`;

  it.each([['5.10', true], ['5.18', false], ['6.1', false]] as const)('%s: missed COW %s', (k, leak) => {
    const m = makeModel(ROW2B, k);
    let s = runActor(m, afterSetup(m), actor(m, 'P1'));
    expectPte(m, s, 'P1', 'A', { kind: 'none' });
    expectPage(m, s, 1, { refcount: 2, mapcount: 0 }); // the pipe (FOLL_GET) and the swap cache
    s = runActor(m, s, actor(m, 'P0'));
    expectPte(m, s, 'P0', 'A', { pfn: leak ? 1 : 2, write: true });
    expect(m.view(s).b[L.G_MISSED_COW] !== 0).toBe(leak);
  });
});

describe('waiting and backing out', () => {
  it('swapin.lookup sleeps while another holder has the folio locked', () => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A\n  reclaim: pageout P0 A\n  P0: read A\n  reclaim: pageout P0 A\nP0.T1:\n  read A\n`, '5.10');
    // The second pageout kept nothing: read A swapped in and mapped it; reclaim swapped it out again.
    const s0 = afterSetup(m);
    expectPte(m, s0, 'P0', 'A', { kind: 'swap', pfn: 1 });
    const s1 = runActor(m, s0, actor(m, 'P0.T1'), 2); // user.read, fault.entry
    expect(nextStep(m, s1, actor(m, 'P0.T1'))).toBe('swapin.lookup');
    const v = edit(m, s1);
    v.setPage(1, L.PG_FLAGS, L.PGF_ALLOC | L.PGF_ANON | L.PGF_SWAPCACHE | L.PGF_LOCKED);
    v.setPage(1, L.PG_REFS, 1);
    expect(isEnabled(m, v.b, actor(m, 'P0.T1'))).toBe(false);
    v.setFlag(1, L.PGF_LOCKED, false);
    expect(isEnabled(m, v.b, actor(m, 'P0.T1'))).toBe(true);
  });

  it('a second fault on the same swap PTE sleeps on the folio lock the first holds', () => {
    const m = makeModel(`${OUT}P0:\n  read A\nP0.T1:\n  read A\n`, '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'P0.T1'), 3); // user.read, fault.entry, swapin.lookup
    expect(nextStep(m, s, actor(m, 'P0.T1'))).toBe('swapin.map');
    const p0 = runActor(m, s, actor(m, 'P0'));
    expect(nextStep(m, p0, actor(m, 'P0'))).toBeUndefined(); // folio_lock_or_retry sleeps
    expect(m.view(p0).act(actor(m, 'P0'), L.A_STEP)).not.toBe(0);
  });

  it('MADV_DONTNEED between lookup and map: pte_same fails, the fault backs out and retries', () => {
    const m = makeModel(`${OUT}P0:\n  madvise A dontneed\nP0.T1:\n  read A\n`, '6.1');
    let s = runActor(m, afterSetup(m), actor(m, 'P0.T1'), 3);
    expectPage(m, s, 1, { refcount: 2, mapcount: 0 }); // the swap cache's and the lookup's
    s = runActor(m, s, actor(m, 'P0'));
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expect(inCache(m, s, 1)).toBe(true); // locked: free_swap_and_cache cannot drop it
    const log: StepLog = [];
    s = runActor(m, s, actor(m, 'P0.T1'), Infinity, log);
    expect(log).toEqual(['swapin.map', 'user.read', 'fault.entry', 'user.read']); // back out; the retry maps the zeropage
    expectPage(m, s, 1, { refcount: 1, mapcount: 0 }); // only the (stale) swap cache holds it now
    expect(m.view(s).hasFlag(1, L.PGF_LOCKED)).toBe(false);
    expect(consistent(m, s)).toBe(true);
  });

  it('do_swap_page BUG_ON: a swap-cache page a swap PTE names must not be PageAnonExclusive', () => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A; fork P1\n  reclaim: pageout P0 A\n  P1: read A\nP0:\n  read A\n`, '6.1');
    const s0 = afterSetup(m);
    expect(m.view(s0).pae(1)).toBe(false); // P1's swap-in: not exclusive (fork cleared the bit)
    const v = edit(m, s0);
    v.setFlag(1, L.PGF_PAE, true); // what no kernel path does
    const s = runActor(m, v.b, actor(m, 'P0'));
    expect(m.view(s).assertFired).toBe(ASSERT_SWAPIN_PAE);
  });
});

describe('swap entries elsewhere', () => {
  it('munmap of the last swap entry frees the slot; of one of two, keeps it', () => {
    const m1 = makeModel(`${OUT}P0:\n  munmap A\n`, '6.1');
    const s1 = runActor(m1, afterSetup(m1), actor(m1, 'P0'));
    expectPage(m1, s1, 1, FREE);
    expect(m1.view(s1).pflags(1)).toBe(0);
    const m2 = makeModel(`${OUT}  P0: fork P1\nP1:\n  exit\n`, '6.1');
    const s2 = runActor(m2, afterSetup(m2), actor(m2, 'P1'));
    expect(m2.view(s2).pflags(1)).toBe(L.PGF_SWAPSLOT);
    expect(consistent(m2, s2)).toBe(true);
  });

  it('zap of the last swap entry drops an unmapped folio from the swap cache (free_swap_and_cache)', () => {
    const m = makeModel(`${OUT}  P0: fork P1; read A\nP1:\n  exit\n`, '5.10');
    const s0 = afterSetup(m); // P0 swapped it in R/O; P1 still has its entry
    expect(inCache(m, s0, 1)).toBe(true);
    const s = runActor(m, s0, actor(m, 'P1'));
    expect(inCache(m, s, 1)).toBe(true); // still mapped by P0: __try_to_reclaim_swap leaves it
    expectPage(m, s, 1, { refcount: 2, mapcount: 1 });
  });

  it('fork copies a swap entry (copy_nonpresent_pte) and clears its exclusive bit (5.19+)', () => {
    const m = makeModel(`${OUT}P0:\n  fork P1\n`, '6.1');
    const s0 = afterSetup(m);
    expect(m.view(s0).pteFlags(0, 0) & L.PTEF_SWP_EXCL).toBe(L.PTEF_SWP_EXCL);
    const s = runActor(m, s0, actor(m, 'P0'));
    expectPte(m, s, 'P1', 'A', { kind: 'swap', pfn: 1 });
    expect(m.view(s).pteFlags(0, 0)).toBe(0);
    expect(m.view(s).pteFlags(1, 0)).toBe(0);
    expect(consistent(m, s)).toBe(true);
  });

  it('5.18+ do_wp_page does not free a swap slot another entry still names', () => {
    // P0 swapped in R/O (shared through P1's entry); P0's write must copy: refcount 2, slot not freeable.
    const m = makeModel(`${OUT}  P0: fork P1; read A\nP0:\n  write A\n`, '5.18');
    const s = runActor(m, afterSetup(m), actor(m, 'P0'));
    expectPte(m, s, 'P0', 'A', { pfn: 2, write: true });
    expect(inCache(m, s, 1)).toBe(true);
    expect(consistent(m, s)).toBe(true);
  });
});

/** [kernel, states, transitions, depth] of catalog/swapin-vmsplice-child-unmap (regression pins). */
const ROW2B_SCENARIO = `${OUT}  P0: fork P1\nP1:\n  get A ro\n  munmap A\n  signal unmapped\nP0:\n  wait unmapped\n  write A\n`;
const COUNTS: readonly [string, number, number, number][] = [
  ['5.10', 29, 28, 28],
  ['5.18', 32, 31, 31],
  ['6.1', 32, 31, 31],
];

describe('state counts', () => {
  it.each(COUNTS)('swapin-vmsplice-child-unmap on %s: %i states, %i transitions, depth %i', (k, states, transitions, depth) => {
    const m = makeModel(ROW2B_SCENARIO, k);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    expect({ states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth }).toEqual({ states, transitions, depth });
  });
});
