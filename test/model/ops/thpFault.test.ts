/**
 * THP at the PMD level (model/thp.ts, model/ops/thpFault.ts, reference
 * §B.1, §B.2 "THP PMD"): the huge anon fault, do_huge_pmd_wp_page per era,
 * __split_huge_pmd with the PTE-level fallback, and the large-folio counts
 * (refcount on the head, entire mapcount on the first tail, +1 per pin).
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../../explorer/bfs.js';
import * as L from '../../../model/layout.js';
import type { MmModel } from '../../../model/mmModel.js';
import {
  actor, afterSetup, expectPage, expectPte, FREE, makeModel, nextStep, page, pinInfo, runActor, runInstr, type StepLog,
} from '../harness.js';

/** The PMD of region `r` of process `m` (decoded). */
function pmd(m: MmModel, s: Uint8Array, mm = 0, r = 0): { kind: number; pfn: number; write: boolean } {
  const v = m.view(s);
  return { kind: v.pmdKind(mm, r), pfn: v.pmdPfn(mm, r), write: (v.pmdFlags(mm, r) & L.PTEF_WRITE) !== 0 };
}

const entire = (m: MmModel, s: Uint8Array, h: number): number => m.view(s).entireMapcount(h);

describe('write fault on a none PMD (do_huge_pmd_anonymous_page)', () => {
  it.each([['5.10', false], ['6.1', true]])('allocates a THP and maps it by a writable huge PMD (%s)', (k, pae) => {
    const m = makeModel('setup:\n  P0: mmap A thp\nP0:\n  write A.0\n', k);
    const h = m.lay.largeBase;
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['user.write', 'fault.entry', 'thp.alloc', 'thp.install', 'user.write']);
    expect(pmd(m, s)).toEqual({ kind: L.PMD_HUGE, pfn: h, write: true });
    expectPte(m, s, 'P0', 'A.0', { kind: 'none' }); // no PTE table
    expectPage(m, s, h, { refcount: 1, pins: 0, mapcount: 1, pae, content: L.CONTENT_MM });
    expectPage(m, s, h + 1, { refcount: 1, mapcount: 1, pae, content: L.CONTENT_ZERO }); // the folio's counts
    expect(entire(m, s, h)).toBe(1);
    expect(m.view(s).page(h, L.PG_MAPCOUNT)).toBe(0); // no PTE maps a subpage
  });

  it('a read fault falls back to the PTE level: the zeropage, and the region gets a page table', () => {
    const m = makeModel('setup:\n  P0: mmap A thp\nP0:\n  read A.1\n  write A.1\n', '6.1');
    let s = runInstr(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A.1', { kind: 'present', pfn: L.ZERO_PFN, special: true });
    expect(pmd(m, s).kind).toBe(L.PMD_TABLE);
    s = runInstr(m, s, 0);
    const p = m.view(s).pfn(0, 1);
    expect(p).toBeLessThan(m.lay.largeBase); // a small page: the table is there, no THP any more
    expectPte(m, s, 'P0', 'A.1', { write: true });
  });

  it('two threads racing to fault the same none PMD: one THP wins, the other is freed (exact state count)', () => {
    const m = makeModel('setup:\n  P0: mmap A thp\nP0:\n  write A.0\nP0.T1:\n  write A.1\n', '6.1');
    const s = afterSetup(m);
    let t = runActor(m, s, actor(m, 'P0'), 3); // write, fault.entry, thp.alloc
    t = runActor(m, t, actor(m, 'P0.T1'), 4); // write, fault.entry, thp.alloc, thp.install (wins)
    expect(nextStep(m, t, actor(m, 'P0'))).toBe('thp.install');
    const h2 = m.view(t).pmdPfn(0, 0);
    t = runActor(m, t, actor(m, 'P0'));
    expect(pmd(m, t).pfn).toBe(h2); // the loser's folio was released
    const loser = h2 === m.lay.largeBase ? m.lay.largeBase + L.THP_NR : m.lay.largeBase;
    expectPage(m, t, loser, FREE);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    expect({ end: r.end, states: r.stats.states, transitions: r.stats.transitions }).toEqual({ end: 'exhausted', states: 46, transitions: 73 });
  });
});

/** After `setup`, P0 writes A.0 and the write faults on the R/O huge PMD. */
function wpOutcome(setup: string, kernel: string, pin: string) {
  const m = makeModel(`setup:\n  ${setup}\nP0:\n${pin}  write A.0\n`, kernel);
  const log: StepLog = [];
  const s = runActor(m, afterSetup(m), 0, Infinity, log);
  return { m, s, log };
}

describe('write fault on a R/O huge PMD (do_huge_pmd_wp_page)', () => {
  const prevShared = 'P0: mmap A thp; write A.0; fork P1\n  P1: exit';

  it.each(['5.7', '5.10', '5.15'])('<=5.17 reuses on page_trans_huge_mapcount() == 1 even with a pin (%s)', (k) => {
    const { m, s, log } = wpOutcome(prevShared, k, '  pin A.0 ro\n');
    expect(log.slice(-3)).toEqual(['user.write', 'fault.entry', 'user.write']);
    const h = m.lay.largeBase;
    expect(pmd(m, s)).toEqual({ kind: L.PMD_HUGE, pfn: h, write: true });
    expectPage(m, s, h, { refcount: 2, pins: 1 }); // PMD + one pin (a large folio pin counts 1)
    expect(pinInfo(m, s, 'pin0').pfn).toBe(h);
  });

  it('5.18 (3bff7e3f1f16): the pin raises page_count(), so it splits the PMD and the PTE level copies', () => {
    const { m, s, log } = wpOutcome(prevShared, '5.18', '  pin A.0 ro\n');
    expect(log.slice(-6)).toEqual(['user.write', 'fault.entry', 'fault.pte', 'wp.alloc', 'wp.install', 'user.write']);
    const h = m.lay.largeBase;
    expect(pmd(m, s).kind).toBe(L.PMD_TABLE);
    const q = m.view(s).pfn(0, 0);
    expect(q).toBeLessThan(m.lay.largeBase);
    expectPte(m, s, 'P0', 'A.1', { kind: 'present', pfn: h + 1, write: false }); // the split PTE of subpage 1
    // folio: PTE of subpage 1 + the pin; subpage 0 lost its PTE to the copy.
    expectPage(m, s, h, { refcount: 2, pins: 1, mapcount: 0 });
    expectPage(m, s, h + 1, { mapcount: 1 });
    expect(entire(m, s, h)).toBe(0);
  });

  it('6.1: a R/O pin unshares first (refcount 1: reuse, PAE set, PMD stays R/O); the write then reuses on PAE', () => {
    const { m, s, log } = wpOutcome(prevShared, '6.1', '  pin A.0 ro\n');
    expect(log).toEqual(['gup.entry', 'gup.follow', 'fault.entry', 'gup.follow', 'user.write', 'fault.entry', 'user.write']);
    const h = m.lay.largeBase;
    expect(pmd(m, s)).toEqual({ kind: L.PMD_HUGE, pfn: h, write: true });
    expectPage(m, s, h, { refcount: 2, pins: 1, pae: true });
    expectPage(m, s, h + 1, { pae: true });
    expect(m.view(s).assertFired).toBe(0);
  });

  it('the child still maps the folio: every era splits and copies the written subpage only', () => {
    for (const k of ['5.7', '5.10', '5.18', '6.1']) {
      const { m, s } = wpOutcome('P0: mmap A thp; write A.0; fork P1', k, '');
      const h = m.lay.largeBase;
      expect(pmd(m, s).kind, k).toBe(L.PMD_TABLE);
      expect(pmd(m, s, 1)).toEqual({ kind: L.PMD_HUGE, pfn: h, write: false }); // the child's PMD
      expect(m.view(s).pfn(0, 0), k).toBeLessThan(m.lay.largeBase);
      expectPage(m, s, h, { refcount: 2 }); // child's PMD + parent's PTE of subpage 1
      expect(entire(m, s, h), k).toBe(1);
    }
  });
});

describe('GUP on a huge PMD', () => {
  it('slow GUP FOLL_PIN (follow_trans_huge_pmd): +1 refcount and +1 _pincount, folio_maybe_dma_pinned', () => {
    const m = makeModel('setup:\n  P0: mmap A thp; write A.0\nP0:\n  pin A.1 rw\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    const h = m.lay.largeBase;
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: h + 1, userUnmapped: false });
    expectPage(m, s, h, { refcount: 2, pins: 1 });
    expect(m.view(s).maybePinned(h + 1)).toBe(true);
  });

  it('GUP-fast takes the PMD leaf: read, grab, PMD recheck, unshare check, finish', () => {
    const m = makeModel('setup:\n  P0: mmap A thp; write A.0\nP0:\n  pin A.0 rw fast\n  unpin pin0\n', '6.1');
    const log: StepLog = [];
    let s = runInstr(m, afterSetup(m), 0, log);
    expect(log).toEqual(['gupfast.entry', 'gupfast.read_pte', 'gupfast.grab', 'gupfast.recheck', 'gupfast.unshare_check', 'gupfast.finish']);
    const h = m.lay.largeBase;
    expectPage(m, s, h, { refcount: 2, pins: 1 });
    s = runInstr(m, s, 0);
    expectPage(m, s, h, { refcount: 1, pins: 0 });
  });

  it('GUP-fast drops a grab when the huge PMD changed meanwhile (split by another thread)', () => {
    const m = makeModel('setup:\n  P0: mmap A thp; write A.0\nP0:\n  pin A.0 rw fast\nP0.T1:\n  madvise A.1 dontneed\n', '6.1');
    let s = runActor(m, afterSetup(m), actor(m, 'P0'), 3); // entry, read, grab
    s = runActor(m, s, actor(m, 'P0.T1')); // split the PMD, zap subpage 1
    expect(pmd(m, s).kind).toBe(L.PMD_TABLE);
    expect(nextStep(m, s, actor(m, 'P0'))).toBe('gupfast.recheck');
    s = runActor(m, s, actor(m, 'P0'), 1);
    expect(pinInfo(m, s, 'pin0').state).toBe('unused');
    expect(nextStep(m, s, actor(m, 'P0'))).toBe('gup.entry');
  });
});

describe('fork of a huge PMD (copy_huge_pmd)', () => {
  it.each([['5.7', false], ['6.1', true]])('shares the folio: entire mapcount 2, both PMDs R/O (%s)', (k, pae) => {
    const m = makeModel('setup:\n  P0: mmap A thp; write A.0\nP0:\n  fork P1\n', k);
    const s = runActor(m, afterSetup(m), 0);
    const h = m.lay.largeBase;
    expect(pmd(m, s, 0)).toEqual({ kind: L.PMD_HUGE, pfn: h, write: false });
    expect(pmd(m, s, 1)).toEqual({ kind: L.PMD_HUGE, pfn: h, write: false });
    expectPage(m, s, h, { refcount: 2, pae: false });
    expect(entire(m, s, h)).toBe(2);
    if (pae) expect(m.view(s).pae(h + 1)).toBe(false);
  });

  it('<=5.8 shares a pinned THP too (no pin awareness)', () => {
    const m = makeModel('setup:\n  P0: mmap A thp; write A.0\nP0:\n  pin A.0 rw\n  fork P1\n', '5.8');
    const s = runActor(m, afterSetup(m), 0);
    expect(pmd(m, s, 1).kind).toBe(L.PMD_HUGE);
  });

  it.each(['5.10', '5.15', '6.1'])('splits a maybe-pinned THP and copies each subpage for the child (d042035eaf5f; %s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A thp; write A.0\nP0:\n  pin A.0 rw\n  fork P1\n', k);
    const s = runActor(m, afterSetup(m), 0);
    const h = m.lay.largeBase;
    expect(pmd(m, s, 0).kind).toBe(L.PMD_TABLE);
    expect(pmd(m, s, 1).kind).toBe(L.PMD_TABLE);
    expectPte(m, s, 'P0', 'A.0', { pfn: h, write: true }); // the parent keeps the pinned folio writable
    expectPte(m, s, 'P0', 'A.1', { pfn: h + 1, write: true });
    const c0 = m.view(s).pfn(1, 0);
    const c1 = m.view(s).pfn(1, 1);
    expect(c0).toBeLessThan(m.lay.largeBase); // small copies
    expect(c1).toBeLessThan(m.lay.largeBase);
    expect(page(m, s, c0).content).toBe(L.CONTENT_MM);
    expectPage(m, s, h, { refcount: 3, pins: 1 }); // two PTEs + the pin
  });
});

describe('unmapping, mprotect and exit of a THP region', () => {
  it('munmap of the whole region: zap_huge_pmd frees the folio, the PMD is none again', () => {
    const m = makeModel('setup:\n  P0: mmap A thp; write A.0\nP0:\n  munmap A\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expect(pmd(m, s).kind).toBe(L.PMD_NONE);
    expectPage(m, s, m.lay.largeBase, FREE);
    expectPage(m, s, m.lay.largeBase + 1, FREE);
  });

  it('MADV_DONTNEED of one subpage: the PMD is split, one PTE zapped, the folio stays', () => {
    const m = makeModel('setup:\n  P0: mmap A thp; write A.0\nP0:\n  madvise A.1 dontneed\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    const h = m.lay.largeBase;
    expect(pmd(m, s).kind).toBe(L.PMD_TABLE);
    expectPte(m, s, 'P0', 'A.0', { kind: 'present', pfn: h, write: true });
    expectPte(m, s, 'P0', 'A.1', { kind: 'none' });
    expectPage(m, s, h, { refcount: 1, mapcount: 1, pae: true });
    expectPage(m, s, h + 1, { mapcount: 0 });
  });

  it('mprotect of the whole region keeps the PMD (R/O); of one subpage it splits the PMD', () => {
    const m = makeModel('setup:\n  P0: mmap A thp; write A.0\nP0:\n  mprotect A ro\n  mprotect A.0 rw\n', '6.1');
    let s = runInstr(m, afterSetup(m), 0);
    expect(pmd(m, s)).toMatchObject({ kind: L.PMD_HUGE, write: false });
    s = runInstr(m, s, 0);
    expect(pmd(m, s).kind).toBe(L.PMD_TABLE);
    expectPte(m, s, 'P0', 'A.0', { write: true }); // exclusive: can_change_pte_writable (6.0+)
    expectPte(m, s, 'P0', 'A.1', { write: false });
  });

  it('exit zaps the huge PMD and frees the folio; a pin keeps it alive until unpin', () => {
    const m = makeModel('setup:\n  P0: mmap A thp; write A.0; fork P1\nP1:\n  pin A.0 rw\n  exit\ndevice:\n  unpin pin0\n', '6.1');
    let s = runActor(m, afterSetup(m), actor(m, 'P1'));
    const h = m.lay.largeBase;
    expect(pmd(m, s, 1).kind).toBe(L.PMD_NONE);
    // P1's pin broke COW for it: its copy is a small page; the folio is P0's alone again.
    const pinned = pinInfo(m, s, 'pin0').pfn;
    expect(pinned).toBeLessThan(m.lay.largeBase);
    expectPage(m, s, pinned, { refcount: 1024 });
    s = runActor(m, s, actor(m, 'device'));
    expectPage(m, s, pinned, FREE);
    expectPage(m, s, h, { refcount: 1 });
  });
});
