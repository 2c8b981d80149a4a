/**
 * do_anonymous_page (reference §B.1): a read fault maps the shared zeropage
 * R/O (special, no refcount); a write fault allocates a page (refcount 1,
 * mapcount 1, PTE writable+dirty), PageAnonExclusive from 5.19 on.
 * Allocation and installation are separate steps, so a racing thread's page
 * is freed when it finds the PTE already populated.
 */
import { describe, expect, it } from 'vitest';
import * as L from '../../../model/layout.js';
import { actor, afterSetup, expectPage, expectPte, FREE, makeModel, mmField, page, runActor, runInstr, type StepLog } from '../harness.js';

const ERAS = ['5.7', '5.8', '5.10', '5.15', '5.18', '6.1', '6.2', '6.6', '6.12', '6.15'];
const PAE_ERAS = new Set(['6.1', '6.2', '6.6', '6.12', '6.15']);

describe('read fault on an unmapped anon VA', () => {
  it.each(ERAS)('maps the zeropage R/O and special, without touching any page (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A anon\nP0:\n  read A\n', k);
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['user.read', 'fault.entry', 'user.read']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: L.ZERO_PFN, write: false, dirty: false, special: true });
    // No frame other than the zeropage is allocated; the zeropage has no refcount or mapcount.
    for (let p = 1; p < m.cfg.frames; p++) expectPage(m, s, p, FREE);
    expectPage(m, s, L.ZERO_PFN, { alloc: true, refcount: 0, mapcount: 0, pae: false });
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
  });
});

describe('write fault on an unmapped anon VA', () => {
  it.each(ERAS)('allocates page#1: refcount 1, mapcount 1, PTE RW+dirty, PAE only with anon-exclusive (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A anon\nP0:\n  write A\n', k);
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['user.write', 'fault.entry', 'anon.alloc', 'anon.install', 'user.write']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true, dirty: true, special: false });
    expectPage(m, s, 1, { alloc: true, refcount: 1, pins: 0, mapcount: 1, anon: true, pae: PAE_ERAS.has(k), content: L.CONTENT_MM + 0 });
    expectPage(m, s, 2, FREE);
    expect(m.view(s).vma(0, 0) & L.VMA_ANON_VMA).toBe(L.VMA_ANON_VMA);
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
  });

  it('does not set PAE on 5.10 but does on 6.1', () => {
    for (const [k, pae] of [['5.10', false], ['6.1', true]] as const) {
      const m = makeModel('setup:\n  P0: mmap A anon\nP0:\n  write A\n', k);
      const s = runActor(m, afterSetup(m), 0);
      expect(page(m, s, 1).pae).toBe(pae);
    }
  });

  it('the page is allocated zeroed before it is installed (anon.alloc holds it, PTE still none)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon\nP0:\n  write A\n', '6.1');
    const s = runActor(m, afterSetup(m), 0, 3); // user.write, fault.entry, anon.alloc
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPage(m, s, 1, { alloc: true, refcount: 1, mapcount: 0, pae: false, content: L.CONTENT_ZERO });
    expect(m.view(s).act(0, L.A_NEW)).toBe(1);
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(1); // the fault holds mmap_lock(R)
  });

  it('a write to the zeropage copies it into a new exclusive page (read then write)', () => {
    for (const k of ['5.7', '5.10', '6.1']) {
      const m = makeModel('setup:\n  P0: mmap A anon; read A\nP0:\n  write A\n', k);
      const log: StepLog = [];
      const s = runActor(m, afterSetup(m), 0, Infinity, log);
      expect(log).toEqual(['user.write', 'fault.entry', 'wp.alloc', 'wp.install', 'user.write']);
      expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true, dirty: true, special: false });
      expectPage(m, s, 1, { alloc: true, refcount: 1, mapcount: 1, pae: k === '6.1', content: L.CONTENT_MM });
    }
  });

  it('a write to a read-only VMA ends in SIGSEGV and maps nothing', () => {
    const m = makeModel('setup:\n  P0: mmap A anon ro\nP0:\n  write A\n  read A\n', '6.1');
    const log: StepLog = [];
    let s = runInstr(m, afterSetup(m), 0, log);
    expect(log).toEqual(['user.write', 'fault.entry', 'user.write']);
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPage(m, s, 1, FREE);
    expect(m.view(s).act(0, L.A_PC)).toBe(2); // setup's mmap is instruction 0 of P0's program
    expect(m.view(s).act(0, L.A_FLAGS)).toBe(0); // the SIGSEGV flag does not outlive the instruction
    // a read is still allowed and maps the zeropage
    s = runInstr(m, s, 0);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: L.ZERO_PFN, special: true, write: false });
  });

  it('an access to a VA without a VMA ends in SIGSEGV', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; munmap A\nP0:\n  write A\n', '5.10');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPage(m, s, 1, FREE);
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
  });
});

describe('two threads write-fault the same none PTE', () => {
  it.each(['5.10', '6.1'])('the loser of the install race frees its page and retries the store (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A anon\nP0:\n  write A\nP0.T1:\n  write A\n', k);
    const t0 = actor(m, 'P0');
    const t1 = actor(m, 'P0.T1');
    let s = afterSetup(m);
    s = runActor(m, s, t0, 3); // P0 allocated page#1
    s = runActor(m, s, t1, 3); // T1 allocated page#2
    expectPage(m, s, 1, { alloc: true, refcount: 1, mapcount: 0 });
    expectPage(m, s, 2, { alloc: true, refcount: 1, mapcount: 0 });
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(2);
    s = runActor(m, s, t0); // P0 installs page#1 and stores
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
    const log: StepLog = [];
    s = runActor(m, s, t1, Infinity, log); // T1: PTE no longer none -> free page#2; retry the store
    expect(log).toEqual(['anon.install', 'user.write']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true, dirty: true });
    expectPage(m, s, 1, { alloc: true, refcount: 1, mapcount: 1, pae: k === '6.1' });
    expectPage(m, s, 2, FREE);
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
  });
});
