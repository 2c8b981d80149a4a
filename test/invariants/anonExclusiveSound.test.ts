/**
 * anon-exclusive-sound (reference §A.1, seed 003): a PAE page is mapped by
 * one process and referenced by no other.
 */
import { describe, expect, it } from 'vitest';
import { anonExclusiveSound } from '../../invariants/anonExclusiveSound.js';
import * as L from '../../model/layout.js';
import type { MmModel } from '../../model/mmModel.js';
import { actor, afterSetup, edit, makeModel, runActor } from '../model/harness.js';

const holds = (m: MmModel, s: Uint8Array): boolean => anonExclusiveSound.make(m)(m.view(s));

describe('anon-exclusive-sound', () => {
  it('holds for a new exclusive page and after fork (fork clears PAE)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\n', '6.1');
    const s0 = afterSetup(m);
    expect(m.view(s0).pae(1)).toBe(true);
    expect(holds(m, s0)).toBe(true);
    const s = runActor(m, s0, 0);
    expect(m.view(s).pae(1)).toBe(false);
    expect(holds(m, s)).toBe(true);
  });

  it('is violated by a PAE page mapped by two processes (constructed), naming both mappings', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\nP0:\n  read A\n', '6.1');
    const v = edit(m, afterSetup(m));
    v.setFlag(1, L.PGF_PAE, true);
    expect(anonExclusiveSound.make(m)(v)).toBe(false);
    expect(anonExclusiveSound.explain(m, v)).toBe('page#1 is PageAnonExclusive but is mapped by P0:A, P1:A or referenced from another process.');
  });

  it('is violated by a PAE page that another process holds a GUP reference on (constructed)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\nP1:\n  get A ro\n  exit\n', '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'P1'));
    expect(holds(m, s)).toBe(true); // not PAE: fine
    const v = edit(m, s);
    v.setFlag(1, L.PGF_PAE, true); // mapped only by P0, referenced by P1's pin0
    expect(anonExclusiveSound.make(m)(v)).toBe(false);
    expect(anonExclusiveSound.explain(m, v)).toContain('page#1');
    expect(anonExclusiveSound.explain(m, v)).toContain('P0:A');
  });

  it('a PAE page held by a pin of its own mapper is fine', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw\n', '6.1');
    expect(holds(m, runActor(m, afterSetup(m), 0))).toBe(true);
  });
});
