/**
 * MADV_DONTNEED / munmap / exit (reference §B.7): zap_pte_range clears the
 * PTE and drops the mapping's mapcount and reference, with no pin check; a
 * pin keeps the page alive; the pin is marked as one whose VA userspace
 * itself unmapped (the pin-coherent exemption).
 */
import { describe, expect, it } from 'vitest';
import * as L from '../../../model/layout.js';
import {
  afterSetup, expectPage, expectPte, FREE, isEnabled, makeModel, mmField, pinInfo, runActor, vmaFlags,
} from '../harness.js';

describe('zap of an unpinned page', () => {
  it.each([
    ['madvise A dontneed', true],
    ['munmap A', false],
  ] as const)('%s: PTE none, page#1 freed, VMA kept: %s', (op, vmaKept) => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A\nP0:\n  ${op}\n`, '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { kind: 'none', pfn: 0, write: false });
    expectPage(m, s, 1, FREE);
    expect((vmaFlags(m, s, 'P0', 'A') & L.VMA_MAPPED) !== 0).toBe(vmaKept);
    expect(m.view(s).b[L.G_BAD_FREE]).toBe(0);
  });

  it('exit: every VA zapped and its VMA gone, the mm exited', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; mmap B anon; write A; read B\nP0:\n  exit\n', '5.10');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPte(m, s, 'P0', 'B', { kind: 'none' });
    expect(vmaFlags(m, s, 'P0', 'A')).toBe(0);
    expect(vmaFlags(m, s, 'P0', 'B')).toBe(0);
    expectPage(m, s, 1, FREE);
    expect(mmField(m, s, 'P0', L.MM_ALIVE)).toBe(L.LIFE_EXITED);
    expect(m.isFinal(s)).toBe(true);
  });

  it('zapping the zeropage touches no page', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; read A\nP0:\n  madvise A dontneed\n', '5.10');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPage(m, s, L.ZERO_PFN, { alloc: true, refcount: 0, mapcount: 0 });
  });

  it('zap of one of two mappings of a shared page: refcount and mapcount 2 -> 1', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\nP1:\n  madvise A dontneed\n', '5.10');
    const s = runActor(m, afterSetup(m), 1);
    expectPte(m, s, 'P1', 'A', { kind: 'none' });
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { alloc: true, refcount: 1, mapcount: 1 });
  });
});

describe('zap of a pinned page', () => {
  it.each(['madvise A dontneed', 'munmap A', 'exit'])('%s: the pin keeps page#1 alive (refcount 1024, mapcount 0) and is marked user-unmapped', (op) => {
    for (const k of ['5.7', '5.10', '6.1']) {
      const m = makeModel(`setup:\n  P0: mmap A anon; write A; pin A rw\nP0:\n  ${op}\n`, k);
      let s = afterSetup(m);
      expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
      s = runActor(m, s, 0);
      expectPte(m, s, 'P0', 'A', { kind: 'none' });
      expectPage(m, s, 1, { alloc: true, refcount: 1024, pins: 1, mapcount: 0, pae: k === '6.1' });
      expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: true });
    }
  });

  it('a later access to the zapped VA faults in a new page; the pin stays on the old one', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; pin A rw\nP0:\n  madvise A dontneed\n  write A\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 2, write: true });
    expectPage(m, s, 1, { refcount: 1024, mapcount: 0 });
    expectPage(m, s, 2, { refcount: 1, mapcount: 1, pae: true });
    expect(pinInfo(m, s, 'pin0').pfn).toBe(1);
  });

  it('the user-unmapped mark is per (mm, VA): a pin on B is not marked by zapping A', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; mmap B anon; write A; write B; pin A rw; pin B rw\nP0:\n  munmap A\n', '5.10');
    const s = runActor(m, afterSetup(m), 0);
    expect(pinInfo(m, s, 'pin0').userUnmapped).toBe(true);
    expect(pinInfo(m, s, 'pin1').userUnmapped).toBe(false);
  });

  it('a child exiting does not mark the parent\'s pins', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; pin A rw; fork P1\nP1:\n  exit\n', '5.7');
    const s = runActor(m, afterSetup(m), 1);
    expect(pinInfo(m, s, 'pin0').userUnmapped).toBe(false);
    expectPage(m, s, 1, { refcount: 1025, mapcount: 1 });
  });
});

describe('locks', () => {
  it('munmap and exit need mmap_lock for write; MADV_DONTNEED for read', () => {
    for (const [op, blockedByReader] of [['munmap A', true], ['exit', true], ['madvise A dontneed', false]] as const) {
      const m = makeModel(`setup:\n  P0: mmap A anon; write A\nP0:\n  ${op}\n`, '5.10');
      const v = m.view(new Uint8Array(afterSetup(m)));
      v.lockRead(0);
      expect(isEnabled(m, v.b, 0), op).toBe(!blockedByReader);
    }
  });
});
