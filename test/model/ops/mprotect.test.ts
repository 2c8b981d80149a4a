/**
 * mprotect (reference §B.12): PROT_READ write-protects the PTE; restoring
 * PROT_WRITE maps the PTE writable at once only for an exclusive (PAE) anon
 * page (can_change_pte_writable, 6.0+; the model's switch is on from E5).
 * Before that the PTE stays R/O and the next write faults — which copies a
 * pinned page on 5.9–5.18 (reference §C.2 row 6).
 */
import { describe, expect, it } from 'vitest';
import * as L from '../../../model/layout.js';
import { afterSetup, expectPage, expectPte, makeModel, pinInfo, runActor, runInstr, vmaFlags } from '../harness.js';

describe('mprotect ro', () => {
  it.each(['5.7', '5.10', '6.1'])('clears VM_WRITE and the PTE write bit, keeps the page (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  mprotect A ro\n', k);
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: false, dirty: true });
    expect(vmaFlags(m, s, 'P0', 'A') & L.VMA_WRITE).toBe(0);
    expectPage(m, s, 1, { refcount: 1, mapcount: 1, pae: k === '6.1' });
  });

  it('a write after mprotect ro is a SIGSEGV', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; mprotect A ro\nP0:\n  write A\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { content: L.CONTENT_MM + 0 });
  });
});

describe('mprotect rw after ro', () => {
  const text = 'setup:\n  P0: mmap A anon; write A; mprotect A ro\nP0:\n  mprotect A rw\n';

  it('6.1: a PAE page is mapped writable at once', () => {
    const m = makeModel(text, '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
    expect(vmaFlags(m, s, 'P0', 'A') & L.VMA_WRITE).toBe(L.VMA_WRITE);
  });

  it('5.10: the PTE stays R/O (VM_WRITE set); the next write faults and reuses (refcount 1)', () => {
    const m = makeModel(`${text}  write A\n`, '5.10');
    let s = runInstr(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expect(vmaFlags(m, s, 'P0', 'A') & L.VMA_WRITE).toBe(L.VMA_WRITE);
    s = runActor(m, s, 0);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
  });

  it('6.1: a non-exclusive page (COW-shared) stays R/O', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1; mprotect A ro\nP0:\n  mprotect A rw\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { mapcount: 2, pae: false });
  });

  it('6.1: the zeropage stays R/O and special', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; read A; mprotect A ro\nP0:\n  mprotect A rw\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: L.ZERO_PFN, write: false, special: true });
  });
});

describe('R/W pin, mprotect ro, mprotect rw, write (reference §C.2 row 6)', () => {
  const text = 'setup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw\n  mprotect A ro\n  mprotect A rw\n  write A\n';

  it('5.10: the write copies away from the pinned page', () => {
    const m = makeModel(text, '5.10');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 2, write: true });
    expectPage(m, s, 1, { refcount: 1024, pins: 1, mapcount: 0 });
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
  });

  it('6.1: the PTE is writable again at mprotect rw; the write lands in the pinned page', () => {
    const m = makeModel(text, '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1, pae: true });
  });
});
