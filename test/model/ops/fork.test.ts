/**
 * fork: dup_mmap → copy_page_range → copy_present_pte (reference §B.3).
 * ≤5.8 shares every anon page R/O; 5.9+ gives the child a copy of a
 * maybe-pinned page when the mm has pinned (70e806e4e645), the parent's PTE
 * staying writable; 5.11+ holds write_protect_seq odd around the copy;
 * VM_DONTCOPY VMAs are skipped, VM_WIPEONFORK ones are empty in the child.
 */
import { describe, expect, it } from 'vitest';
import * as L from '../../../model/layout.js';
import { check } from '../../../api/check.js';
import { compileText } from '../../../scenario/catalog.js';
import {
  actor, afterSetup, expectPage, expectPte, FREE, isEnabled, kernelOf, makeModel, mmField, nextStep, page, runActor, vmaFlags, type StepLog,
} from '../harness.js';

describe('fork of an exclusive written page', () => {
  it.each(['5.7', '5.8', '5.10', '5.15', '6.1', '6.12'])('both PTEs R/O on page#1, refcount 2, mapcount 2, PAE cleared (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\n', k);
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: false, dirty: true });
    expectPte(m, s, 'P1', 'A', { kind: 'present', pfn: 1, write: false, dirty: true });
    expectPage(m, s, 1, { alloc: true, refcount: 2, pins: 0, mapcount: 2, pae: false });
    expectPage(m, s, 2, FREE);
    expect(mmField(m, s, 'P1', L.MM_ALIVE)).toBe(L.LIFE_ALIVE);
    expect(mmField(m, s, 'P0', L.MM_MMAP_WRITER)).toBe(0);
    expect(vmaFlags(m, s, 'P1', 'A')).toBe(vmaFlags(m, s, 'P0', 'A'));
  });

  it('shares the zeropage without counting it', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; read A\nP0:\n  fork P1\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P1', 'A', { kind: 'present', pfn: L.ZERO_PFN, special: true, write: false });
    expectPage(m, s, L.ZERO_PFN, { refcount: 0, mapcount: 0 });
    expectPage(m, s, 1, FREE);
  });

  it('copies nothing for a VMA without PTEs: the child has the VMA and a none PTE', () => {
    const m = makeModel('setup:\n  P0: mmap A anon\nP0:\n  fork P1\n', '5.10');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P1', 'A', { kind: 'none' });
    expect(vmaFlags(m, s, 'P1', 'A') & L.VMA_MAPPED).toBe(L.VMA_MAPPED);
  });
});

describe('fork with a pin held (pin A rw before fork)', () => {
  const text = 'setup:\n  P0: mmap A anon; write A; pin A rw\nP0:\n  fork P1\n';

  it.each(['5.7', '5.8'])('%s: shares the pinned page, parent PTE write-protected (no pin awareness)', (k) => {
    const m = makeModel(text, k);
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPte(m, s, 'P1', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1026, pins: 1, mapcount: 2 });
    expectPage(m, s, 2, FREE);
    expect(mmField(m, s, 'P0', L.MM_HAS_PINNED)).toBe(0);
  });

  it.each(['5.10', '5.15', '6.1'])('%s: the child gets a copy; the parent keeps page#1 RW and exclusive', (k) => {
    const m = makeModel(text, k);
    let s = afterSetup(m);
    expect(mmField(m, s, 'P0', L.MM_HAS_PINNED)).toBe(1);
    s = runActor(m, s, 0);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true, dirty: true });
    expectPte(m, s, 'P1', 'A', { kind: 'present', pfn: 2, write: true, dirty: true });
    expectPage(m, s, 1, { alloc: true, refcount: 1025, pins: 1, mapcount: 1, pae: k === '6.1' });
    expectPage(m, s, 2, { alloc: true, refcount: 1, pins: 0, mapcount: 1, pae: k === '6.1', content: page(m, s, 1).content });
    // MMF_HAS_PINNED is not inherited (MMF_INIT_MASK)
    expect(mmField(m, s, 'P1', L.MM_HAS_PINNED)).toBe(0);
  });

  it('5.10: a FOLL_GET reference does not make fork copy (no has_pinned, refcount < 1024)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; get A rw\nP0:\n  fork P1\n', '5.10');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P1', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 3, mapcount: 2 });
  });

  it('5.10: has_pinned without a pin on this page shares it', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; mmap B anon; write A; write B; pin B rw\nP0:\n  fork P1\n', '5.10');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P1', 'A', { pfn: 1, write: false });
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPte(m, s, 'P1', 'B', { pfn: 3, write: true });
    expectPte(m, s, 'P0', 'B', { pfn: 2, write: true });
    expectPage(m, s, 1, { refcount: 2, mapcount: 2 });
    expectPage(m, s, 2, { refcount: 1025, mapcount: 1 });
    expectPage(m, s, 3, { refcount: 1, mapcount: 1 });
  });
});

describe('MADV_DONTFORK and MADV_WIPEONFORK', () => {
  it('dontfork: the child has no VMA and no PTE; the parent keeps page#1 RW', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; madvise A dontfork\nP0:\n  fork P1\n', '5.7');
    const s = runActor(m, afterSetup(m), 0);
    expect(vmaFlags(m, s, 'P1', 'A')).toBe(0);
    expectPte(m, s, 'P1', 'A', { kind: 'none' });
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1, mapcount: 1 });
  });

  it('dofork undoes dontfork', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; madvise A dontfork; madvise A dofork\nP0:\n  fork P1\n', '5.7');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P1', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 2, mapcount: 2 });
  });

  it('wipeonfork: the child has the VMA but an empty PTE', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; madvise A wipeonfork\nP0:\n  fork P1\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expect(vmaFlags(m, s, 'P1', 'A') & (L.VMA_MAPPED | L.VMA_WIPEONFORK)).toBe(L.VMA_MAPPED | L.VMA_WIPEONFORK);
    expectPte(m, s, 'P1', 'A', { kind: 'none' });
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1, mapcount: 1, pae: true });
  });

  it('mmap dontfork sets VM_DONTCOPY from the start', () => {
    const m = makeModel('setup:\n  P0: mmap A anon dontfork; write A\nP0:\n  fork P1\n', '5.10');
    const s = runActor(m, afterSetup(m), 0);
    expect(vmaFlags(m, s, 'P1', 'A')).toBe(0);
  });
});

describe('fork steps and write_protect_seq', () => {
  const text = 'setup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\n';

  it('5.15: seq goes odd at fork.begin and back to even at fork.end; mmap_lock held for write throughout', () => {
    const m = makeModel(text, '5.15');
    let s = afterSetup(m);
    expect(mmField(m, s, 'P0', L.MM_WPSEQ)).toBe(0);
    const seqs: number[] = [];
    const log: StepLog = [];
    while (m.view(s).act(0, L.A_PC) < m.cfg.actors[0]!.program.length) {
      s = runActor(m, s, 0, 1, log);
      seqs.push(mmField(m, s, 'P0', L.MM_WPSEQ));
      if (log.length < 4) {
        expect(mmField(m, s, 'P0', L.MM_MMAP_WRITER)).toBe(1);
        expect(mmField(m, s, 'P1', L.MM_ALIVE)).toBe(L.LIFE_FORKING);
      }
    }
    expect(log).toEqual(['fork.begin', 'fork.copy', 'fork.copy', 'fork.end']);
    expect(seqs).toEqual([1, 1, 1, 2]);
    expect(mmField(m, s, 'P0', L.MM_MMAP_WRITER)).toBe(0);
    expect(mmField(m, s, 'P1', L.MM_ALIVE)).toBe(L.LIFE_ALIVE);
  });

  it('5.10: seq untouched; the pin check and the write-protect are separate steps (fork.copy, fork.dup)', () => {
    const m = makeModel(text, '5.10');
    let s = afterSetup(m);
    const seqs: number[] = [];
    const log: StepLog = [];
    while (m.view(s).act(0, L.A_PC) < m.cfg.actors[0]!.program.length) {
      s = runActor(m, s, 0, 1, log);
      seqs.push(mmField(m, s, 'P0', L.MM_WPSEQ));
    }
    expect(log).toEqual(['fork.begin', 'fork.copy', 'fork.dup', 'fork.copy', 'fork.end']);
    expect(seqs).toEqual([0, 0, 0, 0, 0]);
  });

  it('5.10: after the check step the parent PTE is still writable (the GUP-fast window)', () => {
    const m = makeModel(text, '5.10');
    let s = runActor(m, afterSetup(m), 0, 2); // fork.begin, fork.copy (check: share)
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
    expect(m.view(s).actFlag(0, L.AF_DECIDED_SHARE)).toBe(true);
    s = runActor(m, s, 0, 1); // fork.dup
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expect(m.view(s).actFlag(0, L.AF_DECIDED_SHARE)).toBe(false);
  });

  it.each(['5.7', '6.1'])('%s: one copy step per present PTE, two VAs', (k) => {
    const m = makeModel('setup:\n  P0: mmap A anon; mmap B anon; mmap C anon; write A; write C\nP0:\n  fork P1\n', k);
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), 0, Infinity, log);
    expect(log).toEqual(['fork.begin', 'fork.copy', 'fork.copy', 'fork.copy', 'fork.end']);
    expectPte(m, s, 'P1', 'B', { kind: 'none' });
    expectPte(m, s, 'P1', 'C', { pfn: 2, write: false });
  });
});

describe('5.9-5.10: the split copy holds both PTLs from check to dup (copy_pte_range)', () => {
  // copy_pte_range (mm/memory.c 5.10) holds src_ptl and dst_ptl across
  // copy_present_pte: reclaim's try_to_unmap_one and migration's
  // try_to_migrate_one wait on the PTL, lockless GUP-fast does not.
  const text = (daemon: string) => `setup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\n${daemon}\nP0.T1:\n  pin A ro fast\n`;

  it.each([['reclaim:\n  pageout P0 A', 'reclaim'], ['migration:\n  migrate P0 A', 'migration']])(
    'between fork.copy and fork.dup %s waits, GUP-fast runs; both PTLs are dropped by fork.dup', (daemon, name) => {
      const m = makeModel(text(daemon), '5.10');
      let s = runActor(m, afterSetup(m), 0, 2); // fork.begin, fork.copy (check: share)
      expect([m.view(s).ptlHeld(0), m.view(s).ptlHeld(1)]).toEqual([true, true]);
      s = runActor(m, s, actor(m, name), 1); // isolate / add_to_swap: no PTL
      expect(isEnabled(m, s, actor(m, name))).toBe(false); // its try_to_unmap_one / try_to_migrate_one waits
      expect(isEnabled(m, s, actor(m, 'P0.T1'))).toBe(true);
      s = runActor(m, s, 0, 1); // fork.dup
      expect([m.view(s).ptlHeld(0), m.view(s).ptlHeld(1)]).toEqual([false, false]);
      expect(nextStep(m, s, actor(m, name))).toMatch(/\.unmap_clear$/);
    });

  it.each(['pageout', 'migrate'])('5.10: fork vs %s keeps refcount-consistent (the daemon cannot unmap between check and dup)', (op) => {
    const daemon = op === 'pageout' ? 'reclaim:\n  pageout P0 A' : 'migration:\n  migrate P0 A';
    const s = `scenario t\ncheck refcount-consistent\nsetup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\n${daemon}\n`;
    const r = check(compileText(s, 't.pincow', false), kernelOf('5.10'));
    expect(r.invariants.map((i) => [i.invariant, i.verdict])).toEqual([['refcount-consistent', 'holds']]);
  });
});
