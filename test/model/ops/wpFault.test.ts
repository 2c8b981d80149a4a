/**
 * do_wp_page / wp_page_copy (reference §B.2): the write fault on a R/O
 * present PTE, per era. ≤5.8 reuses by mapcount (GUP references are
 * invisible), 5.9–5.18 by page_count()==1 (a pin forces a copy), 5.19+
 * reuses a PageAnonExclusive page whatever its refcount. The decision is
 * made under the PTL; the copy is installed later after a pte_same check.
 */
import { describe, expect, it } from 'vitest';
import * as L from '../../../model/layout.js';
import { toggleSwitches } from '../../../model/kernels.js';
import { MmModel } from '../../../model/mmModel.js';
import { actor, afterSetup, configOf, expectPage, expectPte, FREE, kernelOf, makeModel, pinInfo, runActor, type StepLog } from '../harness.js';

const ALL = ['5.7', '5.8', '5.10', '5.15', '5.18', '6.1', '6.12'];
/** eras with the anon-exclusive switch (5.19+) among ALL */
const hasPae = (k: string): boolean => k.startsWith('6.');

describe('parent writes a page COW-shared with a live child', () => {
  it.each(ALL)('copies on every era: parent gets page#2 RW, the child keeps page#1 (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\nP0:\n  write A\n', k);
    let s = afterSetup(m);
    expectPage(m, s, 1, { refcount: 2, mapcount: 2, pae: false });
    const log: StepLog = [];
    s = runActor(m, s, actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['user.write', 'fault.entry', 'wp.alloc', 'wp.install', 'user.write']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 2, write: true, dirty: true });
    expectPte(m, s, 'P1', 'A', { kind: 'present', pfn: 1, write: false });
    expectPage(m, s, 1, { alloc: true, refcount: 1, mapcount: 1, pae: false, content: L.CONTENT_MM + 0 });
    expectPage(m, s, 2, { alloc: true, refcount: 1, mapcount: 1, pae: hasPae(k), content: L.CONTENT_MM + 0 });
  });

  it('holds a reference on the old page between decide and install (5.10)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\nP0:\n  write A\n', '5.10');
    let s = runActor(m, afterSetup(m), 0, 2); // user.write, fault.entry (decide: copy)
    expectPage(m, s, 1, { refcount: 3, mapcount: 2 });
    expect(m.view(s).act(0, L.A_HOLD)).toBe(1);
    s = runActor(m, s, 0, 1); // wp.alloc
    expectPage(m, s, 2, { alloc: true, refcount: 1, mapcount: 0, content: L.CONTENT_MM + 0 });
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    s = runActor(m, s, 0, 1); // wp.install
    expectPage(m, s, 1, { refcount: 1, mapcount: 1 });
    expect(m.view(s).act(0, L.A_HOLD)).toBe(L.NO_PFN);
  });
});

describe('parent writes after the child exited (mapcount 1, PTE still R/O)', () => {
  const text = 'setup:\n  P0: mmap A anon; write A; fork P1\n  P1: exit\nP0:\n  write A\n';

  it.each(ALL)('reuses page#1 in place (%s)', (k) => {
    const m = makeModel(text, k);
    let s = afterSetup(m);
    expectPage(m, s, 1, { refcount: 1, mapcount: 1 });
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    const log: StepLog = [];
    s = runActor(m, s, 0, Infinity, log);
    expect(log).toEqual(['user.write', 'fault.entry', 'user.write']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true, dirty: true });
    expectPage(m, s, 1, { alloc: true, refcount: 1, mapcount: 1, pae: hasPae(k) });
    expectPage(m, s, 2, FREE);
  });
});

describe('parent writes a R/O page it has pinned (child exited before the pin)', () => {
  // pin_user_pages(R/O) then a store: reference §C.2 row 5.
  const text = 'setup:\n  P0: mmap A anon; write A; fork P1\n  P1: exit\nP0:\n  pin A ro\n  write A\n';

  it('5.7: mapcount 1 -> reuse, the pin (refcount 1025) is ignored', () => {
    const m = makeModel(text, '5.7');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1 });
    expectPage(m, s, 2, FREE);
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
  });

  it('5.10: refcount 1025 != 1 -> copy; the pin stays on page#1, which nobody maps', () => {
    const m = makeModel(text, '5.10');
    let s = runActor(m, afterSetup(m), 0, 2); // gup.entry, gup.follow: pins the R/O PTE as is
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1025, mapcount: 1 });
    s = runActor(m, s, 0);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 2, write: true, dirty: true });
    expectPage(m, s, 1, { alloc: true, refcount: 1024, pins: 1, mapcount: 0, content: L.CONTENT_MM });
    expectPage(m, s, 2, { alloc: true, refcount: 1, pins: 0, mapcount: 1 });
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
  });

  it('6.1: the R/O pin unshared (PAE); the write reuses the pinned PAE page', () => {
    const m = makeModel(text, '6.1');
    const log: StepLog = [];
    let s = runActor(m, afterSetup(m), 0, 4, log); // the pin
    expect(log).toEqual(['gup.entry', 'gup.follow', 'fault.entry', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1025, mapcount: 1, pae: true });
    s = runActor(m, s, 0, Infinity, log);
    expect(log.slice(4)).toEqual(['user.write', 'fault.entry', 'user.write']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true, dirty: true });
    expectPage(m, s, 1, { alloc: true, refcount: 1025, pins: 1, mapcount: 1, pae: true });
    expectPage(m, s, 2, FREE);
  });

  it('6.1 without the anon-exclusive/unshare switches behaves like 5.18 (copy)', () => {
    const k = toggleSwitches(kernelOf('6.1'), [], ['anon-exclusive', 'unshare-fault']);
    const m = new MmModel(configOf(text), k);
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 2, write: true });
    expectPage(m, s, 1, { refcount: 1024, mapcount: 0, pae: false });
  });
});

describe('a FOLL_GET reference (vmsplice) and the write fault', () => {
  const text = 'setup:\n  P0: mmap A anon; write A; fork P1\n  P1: exit\nP0:\n  get A ro\n  write A\n';

  it('5.7 reuses (mapcount 1), 5.10 copies (refcount 2), 6.1 copies (not PAE: get never unshares)', () => {
    const want = { '5.7': 1, '5.10': 2, '6.1': 2 } as const;
    for (const [k, pfn] of Object.entries(want)) {
      const m = makeModel(text, k);
      const s = runActor(m, afterSetup(m), 0);
      expectPte(m, s, 'P0', 'A', { pfn, write: true });
      expectPage(m, s, 1, pfn === 1 ? { refcount: 2, mapcount: 1 } : { refcount: 1, mapcount: 0, pae: false });
    }
  });
});

describe('two threads of the parent write-fault the same shared page', () => {
  it.each(['5.10', '6.1'])('the second install sees the PTE changed (pte_same fails) and drops its copy (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\nP0:\n  write A\nP0.T1:\n  write A\n', k);
    const t0 = actor(m, 'P0');
    const t1 = actor(m, 'P0.T1');
    let s = afterSetup(m);
    s = runActor(m, s, t0, 3); // decide copy + alloc page#2
    s = runActor(m, s, t1, 3); // decide copy + alloc page#3
    expectPage(m, s, 1, { refcount: 4, mapcount: 2 }); // 2 PTEs + 2 do_wp_page references
    s = runActor(m, s, t0); // install page#2 and store
    expectPte(m, s, 'P0', 'A', { pfn: 2, write: true });
    const log: StepLog = [];
    s = runActor(m, s, t1, Infinity, log);
    expect(log).toEqual(['wp.install', 'user.write']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 2, write: true });
    expectPte(m, s, 'P1', 'A', { kind: 'present', pfn: 1, write: false });
    expectPage(m, s, 1, { alloc: true, refcount: 1, mapcount: 1 });
    expectPage(m, s, 2, { alloc: true, refcount: 1, mapcount: 1 });
    expectPage(m, s, 3, FREE);
  });
});
