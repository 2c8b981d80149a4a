/**
 * Slow GUP: __get_user_pages → follow_page_pte / faultin_page (reference
 * §B.4). A R/O pin of a page whose PTE is still R/O from fork: 5.8 forces
 * FOLL_WRITE (COW broken at GUP time), 5.9–5.18 pins the R/O PTE as is,
 * 5.19+ unshares (PAE set, PTE stays R/O). FOLL_GET never unshares.
 * FOLL_PIN sets MMF_HAS_PINNED (has_pinned) from 5.9; FOLL_GET does not.
 */
import { describe, expect, it } from 'vitest';
import * as L from '../../../model/layout.js';
import {
  afterSetup, expectPage, expectPte, FREE, makeModel, mmField, pinInfo, runActor, runInstr, type StepLog,
} from '../harness.js';

/** A page written by P0, COW-shared by fork, the child gone: mapcount 1, refcount 1, PTE R/O. */
const PREV_SHARED = 'setup:\n  P0: mmap A anon; write A; fork P1\n  P1: exit\n';
/** The same, with the child still alive: mapcount 2. */
const SHARED = 'setup:\n  P0: mmap A anon; write A; fork P1\n';

describe('pin A ro on a R/O previously-shared page (child exited)', () => {
  it('5.7: pins the R/O PTE as is (no COW break, no has_pinned)', () => {
    const m = makeModel(`${PREV_SHARED}P0:\n  pin A ro\n`, '5.7');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gup.entry', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1, pae: false });
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
    expect(mmField(m, s, 'P0', L.MM_HAS_PINNED)).toBe(0);
  });

  it('5.8: should_force_cow_break adds FOLL_WRITE: write fault reuses (mapcount 1), PTE becomes RW', () => {
    const m = makeModel(`${PREV_SHARED}P0:\n  pin A ro\n`, '5.8');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gup.entry', 'gup.follow', 'fault.entry', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true, dirty: true });
    expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1 });
    expectPage(m, s, 2, FREE);
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
  });

  it('5.10: pins the R/O PTE as is; has_pinned set', () => {
    const m = makeModel(`${PREV_SHARED}P0:\n  pin A ro\n`, '5.10');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gup.entry', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1, pae: false });
    expect(mmField(m, s, 'P0', L.MM_HAS_PINNED)).toBe(1);
  });

  it('6.1: unshare fault (refcount 1 -> reuse): PAE set, PTE stays R/O, then the pin', () => {
    const m = makeModel(`${PREV_SHARED}P0:\n  pin A ro\n`, '6.1');
    const log: StepLog = [];
    let s = runActor(m, afterSetup(m), 0, 2, log);
    expect(m.view(s).actFlag(0, L.AF_UNSHARE)).toBe(true);
    expect(m.view(s).actFlag(0, L.AF_WRITE)).toBe(false);
    s = runActor(m, s, 0, Infinity, log);
    expect(log).toEqual(['gup.entry', 'gup.follow', 'fault.entry', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1, pae: true });
    expectPage(m, s, 2, FREE);
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
    expect(m.view(s).assertFired).toBe(0);
  });
});

describe('pin A ro on a page still COW-shared with a live child', () => {
  it('5.8: the forced write fault copies: the pin lands on the parent\'s new page#2, RW', () => {
    const m = makeModel(`${SHARED}P0:\n  pin A ro\n`, '5.8');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 2, write: true });
    expectPte(m, s, 'P1', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1, mapcount: 1 });
    expectPage(m, s, 2, { refcount: 1025, mapcount: 1 });
    expect(pinInfo(m, s, 'pin0').pfn).toBe(2);
  });

  it('5.10: pins the shared page (refcount 1026, mapcount 2)', () => {
    const m = makeModel(`${SHARED}P0:\n  pin A ro\n`, '5.10');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1026, mapcount: 2 });
    expect(pinInfo(m, s, 'pin0').pfn).toBe(1);
  });

  it('6.1: unshare copies: a new exclusive page#2 mapped R/O, pinned', () => {
    const m = makeModel(`${SHARED}P0:\n  pin A ro\n`, '6.1');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gup.entry', 'gup.follow', 'fault.entry', 'wp.alloc', 'wp.install', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 2, write: false });
    expectPte(m, s, 'P1', 'A', { kind: 'present', pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1, mapcount: 1, pae: false });
    expectPage(m, s, 2, { refcount: 1025, pins: 1, mapcount: 1, pae: true, content: L.CONTENT_MM + 0 });
    expect(pinInfo(m, s, 'pin0').pfn).toBe(2);
  });
});

describe('get A ro (FOLL_GET) never unshares', () => {
  it.each(['5.10', '6.1', '6.12'])('takes a plain reference on the R/O PTE, no PAE, no MMF_HAS_PINNED (%s)', (k) => {
    const m = makeModel(`${PREV_SHARED}P0:\n  get A ro\n`, k);
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gup.entry', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 2, pins: 0, mapcount: 1, pae: false });
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
    expect(mmField(m, s, 'P0', L.MM_HAS_PINNED)).toBe(0);
    expect(m.view(s).assertFired).toBe(0);
  });
});

describe('MMF_HAS_PINNED', () => {
  it('is set by gup.entry of a pin (before any page is grabbed) on 5.10+, never on 5.7/5.8', () => {
    for (const [k, want] of [['5.7', 0], ['5.8', 0], ['5.10', 1], ['5.15', 1], ['6.1', 1]] as const) {
      const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw\n', k);
      const s = runActor(m, afterSetup(m), 0, 1); // gup.entry only
      expect(pinInfo(m, s, 'pin0').state).toBe('unused');
      expect(mmField(m, s, 'P0', L.MM_HAS_PINNED), k).toBe(want);
    }
  });

  it('is not set by get, not even by get rw fast', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  get A rw\n  get A rw fast\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expect(mmField(m, s, 'P0', L.MM_HAS_PINNED)).toBe(0);
    expectPage(m, s, 1, { refcount: 3, pins: 0 });
  });
});

describe('slow GUP faults in what is missing', () => {
  it('pin A rw on a none PTE: write fault allocates, the pin is on the new page', () => {
    const m = makeModel('setup:\n  P0: mmap A anon\nP0:\n  pin A rw\n', '6.1');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gup.entry', 'gup.follow', 'fault.entry', 'anon.alloc', 'anon.install', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1, pae: true });
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
  });

  it('pin A ro on a none PTE (not long-term): read fault maps the zeropage and the pin holds it', () => {
    const m = makeModel('setup:\n  P0: mmap A anon\nP0:\n  pin A ro\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: L.ZERO_PFN, special: true, write: false });
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: L.ZERO_PFN, userUnmapped: false });
    expectPage(m, s, 1, FREE);
  });

  it('pin A ro longterm on the zeropage: 6.1 pins the zeropage, 6.2+ unshares it into a new R/O page', () => {
    const m61 = makeModel('setup:\n  P0: mmap A anon; read A\nP0:\n  pin A ro longterm\n', '6.1');
    const s61 = runActor(m61, afterSetup(m61), 0);
    expect(pinInfo(m61, s61, 'pin0').pfn).toBe(L.ZERO_PFN);

    const m = makeModel('setup:\n  P0: mmap A anon; read A\nP0:\n  pin A ro longterm\n', '6.2');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gup.entry', 'gup.follow', 'fault.entry', 'wp.alloc', 'wp.install', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: false, special: false });
    expectPage(m, s, 1, { refcount: 1025, mapcount: 1, pae: true, content: L.CONTENT_ZERO });
    expect(pinInfo(m, s, 'pin0').pfn).toBe(1);
  });

  it('pin rw on a read-only VMA fails with -EFAULT and drops mmap_lock', () => {
    const m = makeModel('setup:\n  P0: mmap A anon ro\nP0:\n  pin A rw\n', '5.10');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gup.entry', 'gup.follow', 'fault.entry', 'gup.follow']);
    expect(pinInfo(m, s, 'pin0').state).toBe('failed');
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
  });

  it('pin on an unmapped VA fails at once', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; munmap A\nP0:\n  pin A ro\n', '6.1');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gup.entry', 'gup.follow']);
    expect(pinInfo(m, s, 'pin0').state).toBe('failed');
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
  });

  it('slow GUP waits for mmap_lock: blocked while fork holds it for write', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\nP0.T1:\n  pin A rw\n', '5.15');
    let s = runActor(m, afterSetup(m), 0, 1); // fork.begin: mmap_lock(W)
    expect(m.describe(s, 1)).toBeUndefined();
    s = runActor(m, s, 0);
    s = runInstr(m, s, 1);
    // after fork: the pin's write fault copies away from the child's page
    expectPte(m, s, 'P0', 'A', { pfn: 2, write: true });
    expect(pinInfo(m, s, 'pin0').pfn).toBe(2);
  });
});
