/**
 * khugepaged's collapse_huge_page (model/ops/khugepaged.ts, reference
 * §B.14, §E.1): scan, PMD flush, the IPI sync (when the architecture or
 * 2ba99c5e0881 has one), isolate with is_refcount_suitable, copy and
 * install; and its race with GUP-fast (reference §C.2 row 10).
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../../explorer/bfs.js';
import { resolveKernels, toggleSwitches } from '../../../model/kernels.js';
import * as L from '../../../model/layout.js';
import { MmModel } from '../../../model/mmModel.js';
import { stepById } from '../../../model/ops/index.js';
import { collapseRefusal } from '../../../model/ops/khugepaged.js';
import {
  actor, afterSetup, configOf, expectPage, expectPte, FREE, isEnabled, makeModel, mmField, nextStep, pinInfo, runActor, runInstr, type StepLog,
} from '../harness.js';

/** The step actor a waits at (enabled or not). */
const pending = (m: MmModel, s: Uint8Array, a: number): string => stepById(m.view(s).act(a, L.A_STEP)).name;

/** A THP region holding two small pages (first touched by a read: the PTE-level zeropage, no THP). */
const SMALL = 'setup:\n  P0: mmap A thp; read A.0; write A.0; write A.1\n';

const pmdKind = (m: MmModel, s: Uint8Array, mm = 0): number => m.view(s).pmdKind(mm, 0);

describe('collapse of two small pages', () => {
  it.each([
    ['5.18', ['collapse.scan', 'collapse.flush', 'collapse.isolate', 'collapse.install'], false],
    ['6.1', ['collapse.scan', 'collapse.flush', 'collapse.sync', 'collapse.isolate', 'collapse.install'], true],
  ])('copies them into a new THP mapped by a writable huge PMD (%s)', (k, steps, pae) => {
    const m = makeModel(`${SMALL}khugepaged:\n  collapse P0 A\n`, k);
    let s = afterSetup(m);
    const [p0, p1] = [m.view(s).pfn(0, 0), m.view(s).pfn(0, 1)];
    const log: StepLog = [];
    s = runActor(m, s, actor(m, 'khugepaged'), Infinity, log);
    expect(log).toEqual(steps);
    const h = m.lay.largeBase;
    const v = m.view(s);
    expect([v.pmdKind(0, 0), v.pmdPfn(0, 0), v.pmdFlags(0, 0) & L.PTEF_WRITE]).toEqual([L.PMD_HUGE, h, L.PTEF_WRITE]);
    expectPte(m, s, 'P0', 'A.0', { kind: 'none' });
    expectPage(m, s, h, { refcount: 1, pins: 0, pae, content: L.CONTENT_MM });
    expectPage(m, s, h + 1, { pae, content: L.CONTENT_MM });
    expect(v.entireMapcount(h)).toBe(1);
    expectPage(m, s, p0, FREE);
    expectPage(m, s, p1, FREE);
    expect(mmField(m, s, 'P0', L.MM_MMAP_WRITER)).toBe(0);
  });

  it('holds mmap_lock for write from the flush to the install: a fault waits', () => {
    const m = makeModel(`${SMALL}P0:\n  read A.1\nkhugepaged:\n  collapse P0 A\n`, '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'khugepaged'), 2); // scan, flush
    expect(pmdKind(m, s)).toBe(L.PMD_DETACHED);
    expect(mmField(m, s, 'P0', L.MM_MMAP_WRITER)).toBe(1);
    // The PMD is cleared, so the load faults; the fault needs mmap_lock(R).
    const t = runActor(m, s, actor(m, 'P0'), 1);
    expect(pending(m, t, actor(m, 'P0'))).toBe('fault.entry');
    expect(isEnabled(m, t, actor(m, 'P0'))).toBe(false);
  });

  it('collapses a PTE-mapped THP into a new one (the source is a large folio, checked once)', () => {
    const m = makeModel('setup:\n  P0: mmap A thp; write A.0; mprotect A.1 ro; mprotect A.1 rw; write A.1\nkhugepaged:\n  collapse P0 A\n', '6.1');
    let s = afterSetup(m);
    const old = m.lay.largeBase;
    expect(pmdKind(m, s)).toBe(L.PMD_TABLE);
    s = runActor(m, s, actor(m, 'khugepaged'));
    const h = m.view(s).pmdPfn(0, 0);
    expect(pmdKind(m, s)).toBe(L.PMD_HUGE);
    expect(h).not.toBe(old);
    expectPage(m, s, old, FREE);
    expectPage(m, s, h, { refcount: 1, pae: true });
  });
});

describe('what stops a collapse', () => {
  function scanOutcome(setup: string, k = '6.1'): { log: StepLog; pmd: number; alloc: boolean; explain: string | undefined } {
    const m = makeModel(`${setup}khugepaged:\n  collapse P0 A\n`, k);
    const log: StepLog = [];
    const before = afterSetup(m);
    const d = m.describe(before, actor(m, 'khugepaged'))!;
    const after = new Uint8Array(before.length);
    m.apply(before, actor(m, 'khugepaged'), after);
    const explain = d.step.explain?.(m.view(before), m.view(after), d.ctx);
    const s = runActor(m, before, actor(m, 'khugepaged'), Infinity, log);
    const folios = (x: Uint8Array): number => {
      let n = 0;
      for (let h = m.lay.largeBase; h < m.lay.nFrames; h += L.THP_NR) if (m.view(x).hasFlag(h, L.PGF_ALLOC)) n++;
      return n;
    };
    return { log, pmd: pmdKind(m, s), alloc: folios(s) > folios(before), explain };
  }

  it.each([
    ['a pinned page', 'SCAN_PAGE_COUNT', 'setup:\n  P0: mmap A thp; read A.0; write A.0; write A.1; pin A.0 rw\n'],
    ['a FOLL_GET reference', 'SCAN_PAGE_COUNT', 'setup:\n  P0: mmap A thp; read A.0; write A.0; write A.1; get A.1 ro\n'],
    ['no writable PTE', 'SCAN_PAGE_RO', 'setup:\n  P0: mmap A thp; read A.0; write A.0; write A.1; mprotect A ro\n'],
    ['only none or zero PTEs', 'SCAN_EXCEED_NONE_PTE', 'setup:\n  P0: mmap A thp; read A.0\n'],
    ['shared pages beyond max_ptes_shared', 'SCAN_EXCEED_SHARED_PTE', 'setup:\n  P0: mmap A thp; read A.0; write A.0; write A.1; fork P1\n'],
    ['one subpage unmapped: no VMA covers the range', 'SCAN_VMA_CHECK', 'setup:\n  P0: mmap A thp; read A.0; write A.0; write A.1; munmap A.1\n'],
    ['already a huge PMD', 'SCAN_PMD_MAPPED', 'setup:\n  P0: mmap A thp; write A.0\n'],
  ])('%s (%s): the scan gives up, nothing allocated', (_what, why, setup) => {
    const r = scanOutcome(setup);
    expect(r.log).toEqual(['collapse.scan']);
    expect(r.explain).toBe(`${why}: no collapse`);
    expect(r.alloc).toBe(false);
    expect(r.pmd).not.toBe(L.PMD_DETACHED);
  });

  it('MADV_COLLAPSE is not bound by max_ptes_shared: the same shared range fails it only for want of a writable PTE', () => {
    const m = makeModel('setup:\n  P0: mmap A thp; read A.0; write A.0; write A.1; fork P1\n', '6.1');
    const v = m.view(afterSetup(m));
    expect(collapseRefusal(v, 0, 0, true)).toBe('SCAN_EXCEED_SHARED_PTE');
    expect(collapseRefusal(v, 0, 0, false)).toBe('SCAN_PAGE_RO');
  });

  it('a pin taken between the scan and the isolate: SCAN_PAGE_COUNT, the PMD table is restored', () => {
    const m = makeModel(`${SMALL}P0:\n  pin A.0 rw\nkhugepaged:\n  collapse P0 A\n`, '5.18');
    let s = runActor(m, afterSetup(m), actor(m, 'khugepaged'), 1); // scan (+alloc)
    s = runActor(m, s, actor(m, 'P0')); // slow GUP pins (mmap_lock is free between scan and flush)
    const log: StepLog = [];
    s = runActor(m, s, actor(m, 'khugepaged'), Infinity, log);
    expect(log).toEqual(['collapse.flush', 'collapse.isolate']);
    expect(pmdKind(m, s)).toBe(L.PMD_TABLE);
    expectPage(m, s, m.lay.largeBase, FREE);
    expect(pinInfo(m, s, 'pin0').pfn).toBe(m.view(s).pfn(0, 0));
    expect(mmField(m, s, 'P0', L.MM_MMAP_WRITER)).toBe(0);
  });
});

describe('MADV_COLLAPSE (madvise A collapse, 7d8faaf15545)', () => {
  const PTE_MAPPED = 'setup:\n  P0: mmap A thp; write A.0; mprotect A.1 ro; mprotect A.1 rw';

  it('6.1: collapses a partly COW-shared range (no max_ptes_shared); the child keeps the old folio', () => {
    const m = makeModel(`${PTE_MAPPED}; madvise A.1 dontfork; fork P1; madvise A dofork\nP0:\n  madvise A collapse\n`, '6.1');
    let s = afterSetup(m);
    const old = m.lay.largeBase;
    expect(m.view(s).pmdKind(0, 0)).toBe(L.PMD_TABLE);
    const log: StepLog = [];
    s = runActor(m, s, actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['collapse.scan', 'collapse.flush', 'collapse.sync', 'collapse.isolate', 'collapse.install']);
    const h = m.view(s).pmdPfn(0, 0);
    expect([m.view(s).pmdKind(0, 0), h === old]).toEqual([L.PMD_HUGE, false]);
    expectPage(m, s, h, { refcount: 1, pae: true });
    expectPage(m, s, old, { refcount: 1, pae: false }); // the child's PTE of subpage 0
    expectPte(m, s, 'P1', 'A.0', { pfn: old });
  });

  it('6.1: a fully COW-shared range is refused: fork write-protected every PTE (SCAN_PAGE_RO, cow.c SKIPs it)', () => {
    const m = makeModel(`${PTE_MAPPED}; fork P1\nP0:\n  madvise A collapse\n`, '6.1');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['collapse.scan']);
    expect(m.view(s).pmdKind(0, 0)).toBe(L.PMD_TABLE);
  });

  it('5.18: madvise(MADV_COLLAPSE) is -EINVAL, nothing happens', () => {
    const m = makeModel(`${PTE_MAPPED}\nP0:\n  madvise A collapse\n`, '5.18');
    const s0 = afterSetup(m);
    const s = runActor(m, s0, actor(m, 'P0'));
    expect(m.view(s).pmdKind(0, 0)).toBe(L.PMD_TABLE);
    expect(Array.from(s.subarray(m.lay.pgBase, m.lay.pinBase))).toEqual(Array.from(s0.subarray(m.lay.pgBase, m.lay.pinBase)));
  });
});

describe('khugepaged vs GUP-fast (reference §C.2 row 10)', () => {
  const ROW10 = `${SMALL}P0:\n  pin A.0 rw fast\nkhugepaged:\n  collapse P0 A\n`;

  /** T reads the PTE; H flushes and isolates; T grabs and rechecks. */
  function race(k: string): { m: MmModel; s: Uint8Array } {
    const m = new MmModel(configOf(ROW10), k.includes('+') ? toggleSwitches(resolveKernels(k.split('+')[0]!)[0]!, [k.split('+')[1]!], []) : resolveKernels(k)[0]!);
    let s = runActor(m, afterSetup(m), actor(m, 'P0'), 2); // gupfast.entry, read_pte
    s = runActor(m, s, actor(m, 'khugepaged'), 2); // scan, flush
    return { m, s };
  }

  it('5.18: a walker that read the PTE before the flush grabs after isolate and sees the detached PTE unchanged', () => {
    const { m, s: s0 } = race('5.18');
    let s = runActor(m, s0, actor(m, 'khugepaged'), 1); // isolate: refcount == mapcount, no pin yet
    expect(nextStep(m, s, actor(m, 'khugepaged'))).toBe('collapse.install');
    s = runActor(m, s, actor(m, 'P0')); // grab, recheck (PTE unchanged), finish
    const p = pinInfo(m, s, 'pin0');
    expect(p.state).toBe('held');
    s = runActor(m, s, actor(m, 'khugepaged'));
    // The collapse unmapped the page the pin holds: P0's A.0 now maps the new THP.
    expect(m.view(s).mappedPfn(0, 0)).toBe(m.lay.largeBase);
    expectPage(m, s, p.pfn, { refcount: 1024, mapcount: 0 });
  });

  it('6.1: the walker rechecks the PMD after grabbing: cleared, so it drops the page and falls back', () => {
    const { m, s: s0 } = race('6.1');
    let s = runActor(m, s0, actor(m, 'P0'), 1); // grab
    expect(pinInfo(m, s, 'pin0').state).toBe('grabbed');
    expect(pending(m, s, actor(m, 'khugepaged'))).toBe('collapse.sync');
    expect(isEnabled(m, s, actor(m, 'khugepaged'))).toBe(false); // the IPI waits for the IRQ-off walker
    s = runActor(m, s, actor(m, 'P0'), 1); // recheck: PMD changed
    expect(pinInfo(m, s, 'pin0').state).toBe('unused');
    expect(pending(m, s, actor(m, 'P0'))).toBe('gup.entry'); // waits for khugepaged's mmap_lock
    s = runActor(m, s, actor(m, 'khugepaged')); // the IPI now goes through; isolate, install
    s = runInstr(m, s, actor(m, 'P0'));
    expect(pinInfo(m, s, 'pin0')).toMatchObject({ state: 'held', pfn: m.lay.largeBase }); // the new THP
  });

  it('5.18 on an IPI-flushing architecture (tlb-flush-ipi): the flush waits for the walker, whose grab the isolate then sees', () => {
    const { m, s: s0 } = race('5.18+tlb-flush-ipi');
    expect(isEnabled(m, s0, actor(m, 'khugepaged'))).toBe(false); // sync blocked
    let s = runActor(m, s0, actor(m, 'P0')); // grab, recheck, finish: pinned (IRQs back on)
    expect(pinInfo(m, s, 'pin0').state).toBe('held');
    const log: StepLog = [];
    s = runActor(m, s, actor(m, 'khugepaged'), Infinity, log);
    expect(log).toEqual(['collapse.sync', 'collapse.isolate']);
    expect(pmdKind(m, s)).toBe(L.PMD_TABLE);
    expect(m.view(s).mappedPfn(0, 0)).toBe(pinInfo(m, s, 'pin0').pfn);
  });

  it('a walker that starts after the flush sees no PMD and falls back to slow GUP, which waits for mmap_lock', () => {
    const m = makeModel(ROW10, '5.18');
    let s = runActor(m, afterSetup(m), actor(m, 'khugepaged'), 2); // scan, flush
    s = runActor(m, s, actor(m, 'P0'), 2); // entry, read_pte: PMD none -> slow path
    expect(pending(m, s, actor(m, 'P0'))).toBe('gup.entry');
    expect(isEnabled(m, s, actor(m, 'P0'))).toBe(false); // mmap_read_lock waits for khugepaged
    s = runActor(m, s, actor(m, 'khugepaged'));
    s = runInstr(m, s, actor(m, 'P0'));
    expect(pinInfo(m, s, 'pin0')).toMatchObject({ state: 'held', pfn: m.lay.largeBase });
  });

  it.each([
    ['5.18', 55, 72, 'violated'],
    ['5.18+tlb-flush-ipi', 52, 68, 'holds'],
    ['6.1', 57, 75, 'holds'],
  ])('exact state count on %s: %i states, %i transitions (%s)', (k, states, transitions, verdict) => {
    const kern = k.includes('+') ? toggleSwitches(resolveKernels(k.split('+')[0]!)[0]!, [k.split('+')[1]!], []) : resolveKernels(k)[0]!;
    const m = new MmModel(configOf(ROW10), kern);
    const pc = (v: ReturnType<MmModel['view']>): boolean => v.mappedPfn(0, 0) === v.pinPfn(0) || v.pinState(0) !== L.PIN_HELD;
    const r = explore(m, exploreOptions({ maxDepth: 1000, properties: [{ name: 'pin-coherent-at-A0', holds: (s) => pc(m.view(s)) }] }));
    expect({ end: r.end, states: r.stats.states, transitions: r.stats.transitions }).toEqual({ end: 'exhausted', states, transitions });
    expect(r.violations.length > 0 ? 'violated' : 'holds').toBe(verdict);
  });
});
