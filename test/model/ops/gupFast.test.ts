/**
 * GUP-fast (reference §B.5, §E.1): entry (MMF_HAS_PINNED, read
 * write_protect_seq), read PTE, grab, recheck PTE, 5.19+ unshare check,
 * finish (seqcount retry). Whatever it refuses falls back to slow GUP.
 */
import { describe, expect, it } from 'vitest';
import * as L from '../../../model/layout.js';
import {
  actor, afterSetup, edit, expectPage, expectPte, FREE, makeModel, mmField, nextStep, pinInfo, runActor, type StepLog,
} from '../harness.js';

const PREV_SHARED = 'setup:\n  P0: mmap A anon; write A; fork P1\n  P1: exit\n';

describe('pin A rw fast on a writable PTE', () => {
  it.each([
    ['5.10', ['gupfast.entry', 'gupfast.read_pte', 'gupfast.grab', 'gupfast.recheck', 'gupfast.finish']],
    ['6.1', ['gupfast.entry', 'gupfast.read_pte', 'gupfast.grab', 'gupfast.recheck', 'gupfast.unshare_check', 'gupfast.finish']],
  ])('takes the lockless path only (%s)', (k, steps) => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw fast\n', k);
    let s = afterSetup(m);
    const log: StepLog = [];
    s = runActor(m, s, 0, 3, log); // through grab
    expect(pinInfo(m, s, 'pin0').state).toBe('grabbed');
    expectPage(m, s, 1, { refcount: 1025, pins: 1 });
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0); // lockless
    s = runActor(m, s, 0, Infinity, log);
    expect(log).toEqual(steps);
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
    expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1 });
    expect(mmField(m, s, 'P0', L.MM_HAS_PINNED)).toBe(1);
  });
});

describe('pin A rw fast on a R/O PTE (previously shared, child exited)', () => {
  it.each(['5.10', '5.15', '6.1'])('refuses it and falls back to slow GUP; the result is pinned and RW (%s)', (k) => {
    const m = makeModel(`${PREV_SHARED}P0:\n  pin A rw fast\n`, k);
    const log: StepLog = [];
    let s = runActor(m, afterSetup(m), 0, 2, log);
    expect(nextStep(m, s, 0)).toBe('gup.entry');
    expect(pinInfo(m, s, 'pin0').state).toBe('unused');
    expectPage(m, s, 1, { refcount: 1, pins: 0 });
    s = runActor(m, s, 0, Infinity, log);
    expect(log).toEqual(['gupfast.entry', 'gupfast.read_pte', 'gup.entry', 'gup.follow', 'fault.entry', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true, dirty: true });
    expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1, pae: k === '6.1' });
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
  });

  it('5.8 refuses even a R/O pin on a R/O PTE (GUP-fast walks with FOLL_WRITE), then breaks COW', () => {
    const m = makeModel(`${PREV_SHARED}P0:\n  pin A ro fast\n`, '5.8');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gupfast.entry', 'gupfast.read_pte', 'gup.entry', 'gup.follow', 'fault.entry', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
  });
});

describe('pin A ro fast on a non-exclusive R/O page', () => {
  it('6.1: grabs, then the unshare check drops the pin and slow GUP unshares', () => {
    const m = makeModel(`${PREV_SHARED}P0:\n  pin A ro fast\n`, '6.1');
    const log: StepLog = [];
    let s = runActor(m, afterSetup(m), 0, 4, log); // entry, read_pte, grab, recheck
    expectPage(m, s, 1, { refcount: 1025, pae: false });
    expect(nextStep(m, s, 0)).toBe('gupfast.unshare_check');
    s = runActor(m, s, 0, 1, log);
    expectPage(m, s, 1, { refcount: 1, pins: 0 });
    expect(pinInfo(m, s, 'pin0').state).toBe('unused');
    s = runActor(m, s, 0, Infinity, log);
    expect(log).toEqual([
      'gupfast.entry', 'gupfast.read_pte', 'gupfast.grab', 'gupfast.recheck', 'gupfast.unshare_check',
      'gup.entry', 'gup.follow', 'fault.entry', 'gup.follow',
    ]);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1025, pins: 1, pae: true });
    expect(m.view(s).assertFired).toBe(0);
  });

  it('5.10: takes the R/O PTE locklessly (no unshare check before 5.19)', () => {
    const m = makeModel(`${PREV_SHARED}P0:\n  pin A ro fast\n`, '5.10');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gupfast.entry', 'gupfast.read_pte', 'gupfast.grab', 'gupfast.recheck', 'gupfast.finish']);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1025, pae: false });
  });

  it('6.1: get A ro fast is not subject to the unshare check (FOLL_GET)', () => {
    const m = makeModel(`${PREV_SHARED}P0:\n  get A ro fast\n`, '6.1');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gupfast.entry', 'gupfast.read_pte', 'gupfast.grab', 'gupfast.recheck', 'gupfast.unshare_check', 'gupfast.finish']);
    expectPage(m, s, 1, { refcount: 2, pins: 0, pae: false });
  });
});

describe('the zeropage (pte_special) is refused', () => {
  it('pin A ro fast on the zeropage falls back and the slow path pins it', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; read A\nP0:\n  pin A ro fast\n', '5.15');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['gupfast.entry', 'gupfast.read_pte', 'gup.entry', 'gup.follow']);
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: L.ZERO_PFN, userUnmapped: false });
  });
});

describe('write_protect_seq (5.11+)', () => {
  const text = 'setup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\nP0.T1:\n  pin A rw fast\n';

  it('5.15: an odd seq (fork copying) sends GUP-fast to the slow path, which waits for fork', () => {
    const m = makeModel(text, '5.15');
    const p0 = actor(m, 'P0');
    const t1 = actor(m, 'P0.T1');
    let s = runActor(m, afterSetup(m), p0, 1); // fork.begin
    expect(mmField(m, s, 'P0', L.MM_WPSEQ)).toBe(1);
    const log: StepLog = [];
    s = runActor(m, s, t1, 1, log); // gupfast.entry: odd -> fallback
    expect(log).toEqual(['gupfast.entry']);
    expect(m.view(s).act(t1, L.A_STEP)).not.toBe(0);
    expect(m.describe(s, t1)).toBeUndefined(); // gup.entry needs mmap_lock(R)
    expect(mmField(m, s, 'P0', L.MM_HAS_PINNED)).toBe(1);
    expectPage(m, s, 1, { refcount: 1, pins: 0 });
    s = runActor(m, s, p0); // fork finishes: page shared R/O
    expectPage(m, s, 1, { refcount: 2, mapcount: 2 });
    s = runActor(m, s, t1, Infinity, log);
    expect(log).toEqual(['gupfast.entry', 'gup.entry', 'gup.follow', 'fault.entry', 'wp.alloc', 'wp.install', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { pfn: 2, write: true });
    expectPte(m, s, 'P1', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1, mapcount: 1 });
    expectPage(m, s, 2, { refcount: 1025, mapcount: 1 });
  });

  it('5.15: seq changed between entry and finish -> unpin and fall back (fork copied for the child meanwhile)', () => {
    const m = makeModel(text, '5.15');
    const p0 = actor(m, 'P0');
    const t1 = actor(m, 'P0.T1');
    let s = runActor(m, afterSetup(m), t1, 4); // entry (seq 0), read_pte, grab, recheck
    expect(nextStep(m, s, t1)).toBe('gupfast.finish');
    s = runActor(m, s, p0); // the whole fork: the grabbed page looks pinned -> child gets a copy
    expect(mmField(m, s, 'P0', L.MM_WPSEQ)).toBe(2);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
    expectPte(m, s, 'P1', 'A', { pfn: 2, write: true });
    const log: StepLog = [];
    s = runActor(m, s, t1, 1, log);
    expect(log).toEqual(['gupfast.finish']);
    expect(pinInfo(m, s, 'pin0').state).toBe('unused');
    expectPage(m, s, 1, { refcount: 1, pins: 0 });
    s = runActor(m, s, t1, Infinity, log);
    expect(log).toEqual(['gupfast.finish', 'gup.entry', 'gup.follow']);
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
    expectPage(m, s, 1, { refcount: 1025, mapcount: 1 });
  });

  it('5.10: the same race leaves a pinned page COW-shared (reference §C.2 row 4)', () => {
    const m = makeModel(text, '5.10');
    const p0 = actor(m, 'P0');
    const t1 = actor(m, 'P0.T1');
    let s = runActor(m, afterSetup(m), p0, 2); // fork.begin, fork.copy: has_pinned 0 -> share
    s = runActor(m, s, t1); // GUP-fast completes on the still-writable PTE
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
    s = runActor(m, s, p0); // fork.dup write-protects and shares the pinned page
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPte(m, s, 'P1', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1026, pins: 1, mapcount: 2 });
  });

  it('5.15: the same interleaving is impossible: GUP-fast falls back during the copy', () => {
    const m = makeModel(text, '5.15');
    const p0 = actor(m, 'P0');
    const t1 = actor(m, 'P0.T1');
    let s = runActor(m, afterSetup(m), p0, 2); // fork.begin, fork.copy
    s = runActor(m, s, t1); // entry: seq odd -> gup.entry, blocked on mmap_lock
    expect(pinInfo(m, s, 'pin0').state).toBe('unused');
    expect(nextStep(m, s, t1)).toBeUndefined();
  });

  it('FOLL_GET does not read the seq: get A rw fast proceeds while it is odd', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  get A rw fast\n', '5.15');
    const v = edit(m, afterSetup(m));
    v.setMm(0, L.MM_WPSEQ, 1);
    const log: StepLog = [];
    const s = runActor(m, v.b, 0, Infinity, log);
    expect(log).toEqual(['gupfast.entry', 'gupfast.read_pte', 'gupfast.grab', 'gupfast.recheck', 'gupfast.finish']);
    expectPage(m, s, 1, { refcount: 2 });
  });

  it('5.10 has no seq: an odd value is ignored by pin fast', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw fast\n', '5.10');
    const v = edit(m, afterSetup(m));
    v.setMm(0, L.MM_WPSEQ, 1);
    const log: StepLog = [];
    runActor(m, v.b, 0, Infinity, log);
    expect(log).toEqual(['gupfast.entry', 'gupfast.read_pte', 'gupfast.grab', 'gupfast.recheck', 'gupfast.finish']);
  });
});

describe('grab, then the PTE changes', () => {
  const text = 'setup:\n  P0: mmap A anon; write A\nP0:\n  madvise A dontneed\nP0.T1:\n  pin A rw fast\n';

  it.each(['5.10', '6.1'])('recheck sees the zapped PTE, drops the pin (freeing page#1) and the slow path faults in page#2 (%s)', (k) => {
    const m = makeModel(text, k);
    const p0 = actor(m, 'P0');
    const t1 = actor(m, 'P0.T1');
    let s = runActor(m, afterSetup(m), t1, 3); // entry, read_pte, grab
    expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1 });
    s = runActor(m, s, p0); // MADV_DONTNEED: the grabbed page survives the zap
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPage(m, s, 1, { alloc: true, refcount: 1024, pins: 1, mapcount: 0 });
    const log: StepLog = [];
    s = runActor(m, s, t1, 1, log);
    expect(log).toEqual(['gupfast.recheck']);
    expectPage(m, s, 1, FREE);
    expect(m.view(s).b[L.G_BAD_FREE]).toBe(0);
    expect(pinInfo(m, s, 'pin0').state).toBe('unused');
    s = runActor(m, s, t1, Infinity, log);
    expect(log).toEqual(['gupfast.recheck', 'gup.entry', 'gup.follow', 'fault.entry', 'anon.alloc', 'anon.install', 'gup.follow']);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
    // page#1 was freed and is the lowest free frame: the slow path's new page reuses it
    expectPage(m, s, 1, { alloc: true, refcount: 1025, mapcount: 1, content: L.CONTENT_ZERO });
    expect(pinInfo(m, s, 'pin0').state).toBe('held');
  });

  it('grab of a page freed after the PTE was read fails (get-unless-zero) and falls back', () => {
    const m = makeModel(text, '5.15');
    const p0 = actor(m, 'P0');
    const t1 = actor(m, 'P0.T1');
    let s = runActor(m, afterSetup(m), t1, 2); // entry, read_pte (page#1)
    s = runActor(m, s, p0); // zap frees page#1
    expectPage(m, s, 1, FREE);
    const log: StepLog = [];
    s = runActor(m, s, t1, 1, log);
    expect(log).toEqual(['gupfast.grab']);
    expect(nextStep(m, s, t1)).toBe('gup.entry');
    expect(pinInfo(m, s, 'pin0').state).toBe('unused');
    expectPage(m, s, 1, FREE);
  });
});
