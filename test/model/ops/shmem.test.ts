/**
 * Shared anonymous mappings (`mmap A shared`, model/shmem.ts): faults map
 * the shmem object's page-cache page (never the zeropage, never a copy),
 * fork copies no PTE, zap leaves the page in the page cache, the last VMA
 * truncates it, GUP pins it as it is in every era, mprotect(RW) makes it
 * writable, and wp_page_shared never COWs.
 */
import { describe, expect, it } from 'vitest';
import { produce } from 'immer';
import { decodeState, encodeState } from '../../../model/decode.js';
import * as L from '../../../model/layout.js';
import type { MmModel } from '../../../model/mmModel.js';
import { refcountConsistent } from '../../../invariants/refcountConsistent.js';
import {
  actor, afterSetup, expectPage, expectPte, FREE, makeModel, pinInfo, runActor, runInstr, vaOf, vmaFlags, type StepLog,
} from '../harness.js';

const ERAS = ['5.7', '5.8', '5.10', '5.15', '5.18', '6.1', '6.2', '6.5', '6.8', '6.15'];

/** The page-cache frame of VA `va` (layout.ts vaShmem). */
const cacheOf = (m: MmModel, va = 'A'): number => m.lay.vaShmem[vaOf(m, va)]!;

const consistent = (m: MmModel, s: Uint8Array): boolean => refcountConsistent.make(m)(m.view(s));

describe('a fault on a none PTE of a shared mapping maps the page-cache page', () => {
  it.each(ERAS)('read fault: the page-cache page, writable (vm_page_prot of a shared RW VMA), not the zeropage (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A shared; read A\nP0:\n  exit\n', k);
    const s = afterSetup(m);
    const p = cacheOf(m);
    expect(p).toBeGreaterThan(0);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: p, write: true, dirty: false, special: false });
    // the page cache's reference + the PTE's
    expectPage(m, s, p, { alloc: true, refcount: 2, mapcount: 1, anon: false, pae: false, content: L.CONTENT_ZERO });
    expect(m.view(s).hasFlag(p, L.PGF_SHMEM)).toBe(true);
    expectPage(m, s, 1, FREE); // nothing from the anon pool
    expect(consistent(m, s)).toBe(true);
  });

  it('write fault: the same page, writable and dirty, written', () => {
    const m = makeModel('setup:\n  P0: mmap A shared; write A\nP0:\n  exit\n', '6.1');
    const s = afterSetup(m);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: cacheOf(m), write: true, dirty: true });
    expectPage(m, s, cacheOf(m), { refcount: 2, mapcount: 1, content: L.CONTENT_MM + 0 });
  });

  it('a R/O shared mapping maps it R/O; a write is SIGSEGV', () => {
    const m = makeModel('setup:\n  P0: mmap A shared ro; read A\nP0:\n  write A\n', '6.1');
    let s = afterSetup(m);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: cacheOf(m), write: false });
    const log: StepLog = [];
    s = runActor(m, s, actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['user.write', 'fault.entry', 'user.write']); // access_error: SIGSEGV, the store never happens
    expectPage(m, s, cacheOf(m), { content: L.CONTENT_ZERO, refcount: 2 });
  });
});

describe('fork of a shared mapping', () => {
  it.each(ERAS)('copies no PTE; the child faults in the same page, both writable, no COW (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A shared; write A; pin A rw longterm; fork P1\nP1:\n  write A\n', k);
    let s = afterSetup(m);
    const p = cacheOf(m);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: p, write: true });
    expectPte(m, s, 'P1', 'A', { kind: 'none' });
    expect(vmaFlags(m, s, 'P1', 'A')).toBe(vmaFlags(m, s, 'P0', 'A'));
    expect(vmaFlags(m, s, 'P1', 'A') & L.VMA_SHARED).toBe(L.VMA_SHARED);
    // fork's pinned-page copy (page_needs_cow_for_dma) never runs: nothing was allocated
    expectPage(m, s, 1, FREE);
    s = runActor(m, s, actor(m, 'P1'));
    expectPte(m, s, 'P1', 'A', { kind: 'present', pfn: p, write: true, dirty: true });
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: p, write: true });
    // cache + two PTEs + one pin; the pin sees the child's write
    expectPage(m, s, p, { refcount: 3 + L.GUP_PIN_COUNTING_BIAS, pins: 1, mapcount: 2, content: L.CONTENT_MM + 1 });
    expect(pinInfo(m, s, 'pin0')).toMatchObject({ state: 'held', pfn: p });
    expect(m.view(s).b[L.G_MISSED_COW]).toBe(0);
    expect(consistent(m, s)).toBe(true);
  });
});

describe('zap leaves the page in the page cache; the last VMA truncates it', () => {
  it('MADV_DONTNEED: the data persists, the next fault maps the same page', () => {
    const m = makeModel('setup:\n  P0: mmap A shared; write A\nP0:\n  madvise A dontneed\n  read A\n', '6.1');
    let s = runInstr(m, afterSetup(m), actor(m, 'P0'));
    const p = cacheOf(m);
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPage(m, s, p, { alloc: true, refcount: 1, mapcount: 0, content: L.CONTENT_MM + 0 });
    expect(consistent(m, s)).toBe(true);
    s = runInstr(m, s, actor(m, 'P0'));
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: p });
    expectPage(m, s, p, { refcount: 2, mapcount: 1, content: L.CONTENT_MM + 0 });
  });

  it('munmap of the last VMA frees the page; of one of two VMAs keeps it', () => {
    const m = makeModel('setup:\n  P0: mmap A shared; write A; fork P1\nP1:\n  read A\n  munmap A\nP0:\n  munmap A\n', '6.1');
    let s = runActor(m, afterSetup(m), actor(m, 'P1'));
    const p = cacheOf(m);
    expectPage(m, s, p, { alloc: true, refcount: 2, mapcount: 1 });
    expect(m.view(s).hasFlag(p, L.PGF_SHMEM)).toBe(true);
    s = runActor(m, s, actor(m, 'P0'));
    expectPage(m, s, p, FREE);
    expect(consistent(m, s)).toBe(true);
  });

  it('a pinned page outlives the object: out of the page cache, freed by the unpin', () => {
    const m = makeModel('setup:\n  P0: mmap A shared; write A\nP0:\n  pin A rw\n  exit\ndevice:\n  wait never\n  unpin pin0\n', '6.1');
    let s = runInstr(m, afterSetup(m), actor(m, 'P0'));
    s = runInstr(m, s, actor(m, 'P0'));
    const p = cacheOf(m);
    expectPage(m, s, p, { alloc: true, refcount: L.GUP_PIN_COUNTING_BIAS, pins: 1, mapcount: 0 });
    expect(m.view(s).hasFlag(p, L.PGF_SHMEM)).toBe(false);
    expect(consistent(m, s)).toBe(true);
    const v = m.view(new Uint8Array(s));
    v.signal(m.cfg.events.indexOf('never'));
    s = runActor(m, v.b, actor(m, 'device'));
    expectPage(m, s, p, FREE);
  });

  it('mmap over the last VMA (MAP_FIXED) truncates it too', () => {
    const m = makeModel('setup:\n  P0: mmap A shared; write A\nP0:\n  mmap A anon\n', '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'P0'));
    expectPage(m, s, cacheOf(m), FREE);
    expect(vmaFlags(m, s, 'P0', 'A') & L.VMA_SHARED).toBe(0);
  });
});

describe('GUP on a shared mapping', () => {
  const roPin = (how: string): string => `setup:\n  P0: mmap A shared; write A; mprotect A ro\nP0:\n  pin A ro ${how}longterm\n`;

  it.each(ERAS)('a R/O long-term slow pin of a R/O shared PTE pins the page-cache page, no unshare (%s)', (k) => {
    const m = makeModel(roPin(''), k);
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'P0'), Infinity, log);
    expect(pinInfo(m, s, 'pin0')).toMatchObject({ state: 'held', pfn: cacheOf(m) });
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: cacheOf(m), write: false });
    expect(log).toEqual(['gup.entry', 'gup.follow']); // no fault: neither 5.8's forced write nor 6.2's unshare
  });

  it.each([['5.7', false], ['5.10', false], ['6.1', false], ['6.2', true], ['6.15', true]] as const)(
    'GUP-fast: R/O long-term pin of a R/O PTE of a non-anon page falls back on %s: %s (gup_must_unshare(NULL, ...))', (k, falls) => {
      const m = makeModel(roPin('fast '), k);
      const log: StepLog = [];
      const s = runActor(m, afterSetup(m), actor(m, 'P0'), Infinity, log);
      expect(pinInfo(m, s, 'pin0')).toMatchObject({ state: 'held', pfn: cacheOf(m) });
      expect(log.includes('gup.follow')).toBe(falls);
    });

  it('5.8: GUP-fast forces FOLL_WRITE and falls back; slow GUP does not (not a COW mapping), so the pin works', () => {
    const m = makeModel(roPin('fast '), '5.8');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['gupfast.entry', 'gupfast.read_pte', 'gup.entry', 'gup.follow']);
    expect(pinInfo(m, s, 'pin0')).toMatchObject({ state: 'held', pfn: cacheOf(m) });
  });

  it('5.8: a R/O pin of a private R/O mapping, by contrast, is forced to write and fails', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; mprotect A ro\nP0:\n  pin A ro longterm\n', '5.8');
    const s = runActor(m, afterSetup(m), actor(m, 'P0'));
    expect(pinInfo(m, s, 'pin0').state).toBe('failed');
  });
});

describe('mprotect and MADV_WIPEONFORK on a shared mapping', () => {
  it.each(ERAS)('mprotect(RW) makes the R/O PTE writable again at once (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A shared; write A; mprotect A ro\nP0:\n  mprotect A rw\n', k);
    let s = afterSetup(m);
    expectPte(m, s, 'P0', 'A', { pfn: cacheOf(m), write: false });
    s = runActor(m, s, actor(m, 'P0'));
    expectPte(m, s, 'P0', 'A', { pfn: cacheOf(m), write: true });
  });

  it('MADV_WIPEONFORK fails with -EINVAL: the VMA is unchanged', () => {
    const m = makeModel('setup:\n  P0: mmap A shared\nP0:\n  madvise A wipeonfork\n', '6.1');
    const s0 = afterSetup(m);
    const s = runActor(m, s0, actor(m, 'P0'));
    expect(vmaFlags(m, s, 'P0', 'A')).toBe(vmaFlags(m, s0, 'P0', 'A'));
  });
});

describe('wp_page_shared: a write fault on a R/O PTE of a shared VM_WRITE mapping', () => {
  it.each(['5.7', '5.10', '6.1'])('makes the same page writable and dirty, never a copy (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A shared; read A\nP0:\n  write A\n', k);
    const base = afterSetup(m);
    // Reachable in the kernel with write notification (soft-dirty, uffd-wp): built here by hand.
    const ro = encodeState(m, produce(decodeState(m, base), (d) => {
      const a = d.mms[0]!.ptes['A']!;
      d.mms[0]!.ptes['A'] = { ...a, writable: false };
    }), base);
    const log: StepLog = [];
    const s = runActor(m, ro, actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['user.write', 'fault.entry', 'user.write']);
    expectPte(m, s, 'P0', 'A', { pfn: cacheOf(m), write: true, dirty: true });
    expectPage(m, s, cacheOf(m), { refcount: 2, mapcount: 1, content: L.CONTENT_MM + 0 });
    expectPage(m, s, 1, FREE);
  });
});
