/**
 * pin-stays-mapped (DESIGN.md §5, seed 002): a held FOLL_PIN on an anon
 * page keeps its VA's PTE present on the page — not cleared under a PTL,
 * not a swap/migration/PROT_NONE entry — unless userspace itself unmapped
 * or moved it away; it follows the pin through mremap.
 */
import { describe, expect, it } from 'vitest';
import { pinCoherent } from '../../invariants/pinCoherent.js';
import { pinStaysMapped } from '../../invariants/pinStaysMapped.js';
import * as L from '../../model/layout.js';
import type { MmModel } from '../../model/mmModel.js';
import type { StateView } from '../../model/view.js';
import { actor, afterSetup, edit, makeModel, runActor } from '../model/harness.js';

const holds = (m: MmModel, v: StateView): boolean => pinStaysMapped.make(m)(v);
const PINNED = 'setup:\n  P0: mmap A anon; write A; pin A rw\nP0:\n  read A\n';

describe('pin-stays-mapped', () => {
  it('holds for a pinned page mapped at its VA', () => {
    const m = makeModel(PINNED, '6.1');
    expect(holds(m, m.view(afterSetup(m)))).toBe(true);
  });

  it.each([
    ['cleared under the PTL', L.PTE_CLEARED, 'a PTE cleared under the PTL'],
    ['PROT_NONE', L.PTE_PROTNONE, 'a PROT_NONE PTE'],
    ['a migration entry', L.PTE_MIGRATION, 'a migration entry'],
  ])('is violated when the PTE is %s, though pin-coherent holds (the entry resolves to the page)', (_what, kind, words) => {
    const m = makeModel(PINNED, '6.1');
    const v = edit(m, afterSetup(m));
    v.setPte(0, 0, kind, 1, L.PTEF_WRITE | L.PTEF_DIRTY);
    expect(holds(m, v)).toBe(false);
    expect(pinCoherent.make(m)(v)).toBe(true);
    expect(pinStaysMapped.explain(m, v)).toBe(`pin0 holds page#1 but P0's A has ${words}: a direct access with page faults disabled would fail.`);
  });

  it('is violated when the VA maps another page', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; pin A ro\nuprobes:\n  register P0 A\n', '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'uprobes'));
    expect(holds(m, m.view(s))).toBe(false);
    expect(pinStaysMapped.explain(m, m.view(s))).toBe("pin0 holds page#1 but P0's A has page#2: a direct access with page faults disabled would fail.");
  });

  it('exempts a VA userspace unmapped itself, and a moved page (UFFDIO_MOVE)', () => {
    for (const [op, k] of [['munmap A', '6.1'], ['uffd-move A B', '6.12']] as const) {
      const m = makeModel(`setup:\n  P0: mmap A anon; mmap B anon; write A; pin A rw fast\nP0:\n  ${op}\n`, k);
      const v = edit(m, afterSetup(m));
      if (op.startsWith('uffd')) v.setPage(1, L.PG_PINS, 0); // unpinned for the move, the slot still held (constructed)
      const s = runActor(m, v.b, 0);
      expect(m.view(s).kind(0, 0)).toBe(L.PTE_NONE);
      expect(holds(m, m.view(s))).toBe(true);
    }
  });

  it('follows the pin through mremap: checks the new VA', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; pin A rw\nP0:\n  mremap A B\n', '6.1');
    const s = runActor(m, afterSetup(m), 0);
    expect(holds(m, m.view(s))).toBe(true);
    const v = edit(m, s);
    v.setPte(0, 1, L.PTE_CLEARED, 1, 0);
    expect(holds(m, v)).toBe(false);
  });

  it('ignores FOLL_GET references and pins of the zeropage', () => {
    const m1 = makeModel('setup:\n  P0: mmap A anon; write A; get A ro\nP0:\n  read A\n', '6.1');
    const v1 = edit(m1, afterSetup(m1));
    v1.setPte(0, 0, L.PTE_CLEARED, 1, 0);
    expect(holds(m1, v1)).toBe(true);
    const m2 = makeModel('setup:\n  P0: mmap A anon; read A; pin A ro\nP0:\n  write A\n', '5.10');
    expect(holds(m2, m2.view(runActor(m2, afterSetup(m2), 0)))).toBe(true);
  });
});
