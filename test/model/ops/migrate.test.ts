/**
 * Migration (reference §B.10, §C.2 row 8): the `migration:` daemon's
 * `migrate P A` — isolate, try_to_migrate as clear | try_share-or-entry
 * (5.19+ restore on a pin), the refcount freeze, remove_migration_ptes to
 * the new page or back to the old one; faults and slow GUP wait on a
 * migration entry, GUP-fast falls back; fork, mprotect and the seed 002
 * RFC on migration entries.
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../../explorer/bfs.js';
import { invariantByName } from '../../../invariants/index.js';
import { toggleSwitches } from '../../../model/kernels.js';
import * as L from '../../../model/layout.js';
import { MmModel } from '../../../model/mmModel.js';
import { ASSERT_MIGRATE_WRITE_NOT_EXCL } from '../../../model/ops/migrate.js';
import { stepById } from '../../../model/ops/index.js';
import {
  actor, afterSetup, configOf, edit, expectPage, expectPte, FREE, isEnabled, kernelOf, makeModel, pinInfo, runActor, step, type StepLog,
} from '../harness.js';

const consistent = (m: MmModel, s: Uint8Array): boolean => invariantByName('refcount-consistent')!.make(m)(m.view(s));
const MIG = 'migration:\n  migrate P0 A\n';
/** The step actor a is at, enabled or not. */
const pending = (m: MmModel, s: Uint8Array, a: number): string => stepById(m.view(s).act(a, L.A_STEP)).name;

describe('migration of an unpinned page', () => {
  it.each([['5.10', false], ['6.1', true]] as const)('%s: the content moves to a new page, mapped writable (PAE %s), the old one freed', (k, pae) => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A\n${MIG}`, k);
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'migration'), Infinity, log);
    expect(log).toEqual(['migrate.isolate', 'migrate.unmap_clear', 'migrate.unmap_set', 'migrate.move']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 2, write: true });
    expectPage(m, s, 2, { alloc: true, refcount: 1, mapcount: 1, pae, content: L.CONTENT_MM + 0 });
    expectPage(m, s, 1, FREE);
    expect(consistent(m, s)).toBe(true);
  });

  it('a page fork shared: both readable entries come back R/O on the new page, not exclusive', () => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A; fork P1\n${MIG}`, '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'migration'));
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 2, write: false });
    expectPte(m, s, 'P1', 'A', { kind: 'present', pfn: 2, write: false });
    expectPage(m, s, 2, { refcount: 2, mapcount: 2, pae: false });
    expectPage(m, s, 1, FREE);
  });

  it('a GUP reference makes the refcount freeze fail: the old page comes back (-EAGAIN)', () => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A; get A ro\n${MIG}`, '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'migration'));
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 2, mapcount: 1, pae: true }); // the writable entry restored PAE
    expect(m.view(s).hasFlag(1, L.PGF_LOCKED)).toBe(false);
  });
});

describe('migration of a pinned page (row 8)', () => {
  const PINNED = `setup:\n  P0: mmap A anon; write A; pin A rw\n${MIG}`;

  it('<=5.18: a writable migration entry replaces the PTE; the freeze fails; the same page comes back writable', () => {
    const m = makeModel(PINNED, '5.10');
    let s = runActor(m, afterSetup(m), actor(m, 'migration'), 3);
    expectPte(m, s, 'P0', 'A', { kind: 'migration', pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1025, mapcount: 0 }); // pin + isolation; the entry holds nothing
    expect(consistent(m, s)).toBe(true);
    s = runActor(m, s, actor(m, 'migration'));
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1025, mapcount: 1 });
    expect(pinInfo(m, s, 'pin0').pfn).toBe(1);
  });

  it('>=5.19: page_try_share_anon_rmap fails after the clear; the PTE is restored, nothing migrates', () => {
    const m = makeModel(PINNED, '6.1');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'migration'), Infinity, log);
    expect(log).toEqual(['migrate.isolate', 'migrate.unmap_clear', 'migrate.unmap_set']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1025, mapcount: 1, pae: true });
    expect(m.view(s).ptlHeld(0)).toBe(false);
  });

  it('the seed 002 RFC (avoid-unmap-pinned) fails before unmapping', () => {
    const m = new MmModel(configOf(PINNED), toggleSwitches(kernelOf('5.10'), ['avoid-unmap-pinned'], []));
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'migration'), Infinity, log);
    expect(log).toEqual(['migrate.isolate']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true });
  });
});

describe('who waits on a migration entry', () => {
  const USERS = `setup:\n  P0: mmap A anon; write A; get A ro\n${MIG}P0:\n  write A\nP0.T1:\n  pin A rw fast\nP0.T2:\n  pin A rw\n`;

  it('a fault and slow GUP sleep in migration_entry_wait; GUP-fast refuses the entry and falls back', () => {
    const m = makeModel(USERS, '5.10');
    const s = runActor(m, afterSetup(m), actor(m, 'migration'), 3);
    expectPte(m, s, 'P0', 'A', { kind: 'migration', pfn: 1 });
    const w = runActor(m, s, actor(m, 'P0'), 1); // store -> fault
    expect(pending(m, w, actor(m, 'P0'))).toBe('fault.entry');
    expect(isEnabled(m, w, actor(m, 'P0'))).toBe(false);
    const log: StepLog = [];
    const f = runActor(m, s, actor(m, 'P0.T1'), Infinity, log);
    expect(log).toEqual(['gupfast.entry', 'gupfast.read_pte', 'gup.entry', 'gup.follow']);
    expect(pending(m, f, actor(m, 'P0.T1'))).toBe('fault.entry'); // faultin_page, waiting
    expect(isEnabled(m, f, actor(m, 'P0.T1'))).toBe(false);
    const g = runActor(m, s, actor(m, 'P0.T2'), 2); // gup.entry, gup.follow -> fault
    expect(isEnabled(m, g, actor(m, 'P0.T2'))).toBe(false);
    // After the migration (the FOLL_GET reference makes it fail) everyone goes on.
    const done = runActor(m, f, actor(m, 'migration'));
    expect(isEnabled(m, done, actor(m, 'P0.T1'))).toBe(true);
  });

  it('fork copies a migration entry readable into the child (copy_nonpresent_pte); mprotect makes a writable one readable', () => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A; get A ro\n${MIG}P0:\n  fork P1\n`, '6.1');
    const s0 = runActor(m, afterSetup(m), actor(m, 'migration'), 3);
    expect(m.view(s0).pteFlags(0, 0) & L.PTEF_WRITE).toBe(L.PTEF_WRITE);
    const s = runActor(m, s0, actor(m, 'P0'));
    expectPte(m, s, 'P0', 'A', { kind: 'migration', pfn: 1, write: false });
    expectPte(m, s, 'P1', 'A', { kind: 'migration', pfn: 1, write: false });
    expect(m.view(s).pteFlags(0, 0) & L.PTEF_SWP_EXCL).toBe(0);
    const back = runActor(m, s, actor(m, 'migration')); // the GUP reference: back to page#1, R/O in both
    expectPte(m, back, 'P0', 'A', { kind: 'present', pfn: 1, write: false });
    expectPte(m, back, 'P1', 'A', { kind: 'present', pfn: 1, write: false });
    expectPage(m, back, 1, { refcount: 3, mapcount: 2, pae: false });
    for (const [k, excl] of [['5.10', 0], ['6.1', L.PTEF_SWP_EXCL]] as const) {
      const mp = makeModel(`setup:\n  P0: mmap A anon; write A; get A ro\n${MIG}P0:\n  mprotect A ro\n`, k);
      const t = runActor(mp, runActor(mp, afterSetup(mp), actor(mp, 'migration'), 3), actor(mp, 'P0'));
      expect(mp.view(t).pteFlags(0, 0) & (L.PTEF_WRITE | L.PTEF_SWP_EXCL)).toBe(excl);
    }
  });

  it('try_to_migrate_one VM_BUG_ON_PAGE: a writable PTE of a page that is not PageAnonExclusive', () => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A\n${MIG}`, '6.1');
    const v = edit(m, afterSetup(m));
    v.setFlag(1, L.PGF_PAE, false); // what no kernel path leaves behind
    const s = runActor(m, v.b, actor(m, 'migration'));
    expect(m.view(s).assertFired).toBe(ASSERT_MIGRATE_WRITE_NOT_EXCL);
  });

  it('a GUP-fast grab between the unmap and the freeze makes migration fail; the recheck drops it', () => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A\n${MIG}P0.T1:\n  pin A rw fast\n`, '5.15');
    let s = afterSetup(m);
    s = runActor(m, s, actor(m, 'P0.T1'), 2); // entry, read_pte: a writable present PTE
    s = runActor(m, s, actor(m, 'migration'), 3); // isolate, clear, entry
    s = step(m, s, actor(m, 'P0.T1')); // grab: the refcount is not frozen yet
    expectPage(m, s, 1, { refcount: 1025 });
    s = step(m, s, actor(m, 'migration')); // move: freeze fails -> back to page#1
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true });
    s = runActor(m, s, actor(m, 'P0.T1'));
    expect(pinInfo(m, s, 'pin0').pfn).toBe(1); // the recheck saw the migration entry: dropped, slow path pinned page#1
    expect(consistent(m, s)).toBe(true);
  });
});

describe('<=5.8 do_wp_page sleeps in lock_page while migration holds the page lock', () => {
  it('its reference makes the freeze fail; after remove_migration_ptes it finds its PTE unchanged and copies (mapcount 2)', () => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A; fork P1\n${MIG}P1:\n  write A\n`, '5.7');
    let s = runActor(m, afterSetup(m), actor(m, 'migration'), 3); // P0:A is a migration entry, page#1 locked
    const log: StepLog = [];
    s = runActor(m, s, actor(m, 'P1'), Infinity, log);
    expect(log).toEqual(['user.write', 'fault.entry']);
    expect(pending(m, s, actor(m, 'P1'))).toBe('wp.lock_page');
    expectPage(m, s, 1, { refcount: 3, mapcount: 1 }); // P1's mapping, the isolation, the sleeper's get_page
    s = runActor(m, s, actor(m, 'migration')); // P1's PTE too, then the freeze fails (3 != 1): back to page#1
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: false });
    expectPte(m, s, 'P1', 'A', { kind: 'present', pfn: 1, write: false });
    const rest: StepLog = [];
    s = runActor(m, s, actor(m, 'P1'), Infinity, rest);
    expect(rest).toEqual(['wp.lock_page', 'wp.alloc', 'wp.install', 'user.write']);
    expectPte(m, s, 'P1', 'A', { kind: 'present', pfn: 2, write: true });
    expect(m.view(s).b[L.G_MISSED_COW]).toBe(0);
    expect(consistent(m, s)).toBe(true);
  });
});

/** [kernel, states, transitions, depth] of catalog/migrate-pinned-fork (regression pins). */
const FORK = 'setup:\n  P0: mmap A anon; write A; pin A rw\nmigration:\n  migrate P0 A\nP0:\n  fork P1\n  write A\ndevice:\n  dma-write pin0\n';
const COUNTS: readonly [string, number, number, number][] = [
  // 149 (was 153): the 5.10 split fork holds the PTL from fork.copy to fork.dup, so migration's
  // try_to_migrate_one can no longer run in between (copy_pte_range holds src and dst PTL).
  ['5.10', 149, 249, 22],
  ['6.1', 85, 142, 18],
];

describe('state counts', () => {
  it.each(COUNTS)('migrate-pinned-fork on %s: %i states, %i transitions, depth %i', (k, states, transitions, depth) => {
    const m = makeModel(FORK, k);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    expect({ states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth }).toEqual({ states, transitions, depth });
  });
});
