/**
 * pinned-not-cow-shared (reference §E.2.2): a pinned anon page is never
 * mapped by two processes; with PAE (5.19+) a pinned anon page is PAE.
 */
import { describe, expect, it } from 'vitest';
import { pinnedNotCowShared } from '../../invariants/pinnedNotCowShared.js';
import * as L from '../../model/layout.js';
import type { MmModel } from '../../model/mmModel.js';
import { afterSetup, edit, makeModel, runActor } from '../model/harness.js';

const holds = (m: MmModel, s: Uint8Array): boolean => pinnedNotCowShared.make(m)(m.view(s));
const FORK_AFTER_PIN = 'setup:\n  P0: mmap A anon; write A; pin A rw\nP0:\n  fork P1\n';

describe('pinned-not-cow-shared', () => {
  it('is violated when fork shares a pinned page (5.7) and names the pin, the page and both mappings', () => {
    const m = makeModel(FORK_AFTER_PIN, '5.7');
    const s0 = afterSetup(m);
    expect(holds(m, s0)).toBe(true);
    const s = runActor(m, s0, 0);
    expect(holds(m, s)).toBe(false);
    expect(pinnedNotCowShared.explain(m, m.view(s))).toBe(
      'pin0 holds page#1, which is COW-shared by P0:A, P1:A: the next write COWs one side away from the pin.',
    );
  });

  it.each(['5.10', '5.15', '6.1'])('holds when fork copies the pinned page (%s)', (k) => {
    const m = makeModel(FORK_AFTER_PIN, k);
    expect(holds(m, runActor(m, afterSetup(m), 0))).toBe(true);
  });

  it('6.1: a pinned anon page that is not PAE violates it even when mapped once (constructed)', () => {
    const m = makeModel(FORK_AFTER_PIN, '6.1');
    const v = edit(m, afterSetup(m));
    expect(pinnedNotCowShared.make(m)(v)).toBe(true);
    v.setFlag(1, L.PGF_PAE, false);
    expect(pinnedNotCowShared.make(m)(v)).toBe(false);
    expect(pinnedNotCowShared.explain(m, v)).toBe(
      'pin0 holds page#1, which is not PageAnonExclusive: the pin is not known exclusive, so a later write may COW away from it.',
    );
  });

  it('5.10: no PAE requirement before 5.19 (a non-PAE pinned page mapped once is fine)', () => {
    const m = makeModel(FORK_AFTER_PIN, '5.10');
    const v = edit(m, afterSetup(m));
    expect(v.pae(1)).toBe(false);
    expect(pinnedNotCowShared.make(m)(v)).toBe(true);
  });

  it('ignores FOLL_GET references and the zeropage', () => {
    const m1 = makeModel('setup:\n  P0: mmap A anon; write A; get A rw\nP0:\n  fork P1\n', '5.10');
    const s1 = runActor(m1, afterSetup(m1), 0);
    expect(m1.view(s1).mapcount(1)).toBe(2);
    expect(holds(m1, s1)).toBe(true);
    const m2 = makeModel('setup:\n  P0: mmap A anon; read A; pin A ro\nP0:\n  fork P1\n', '5.7');
    const s2 = runActor(m2, afterSetup(m2), 0);
    expect(m2.view(s2).pinPfn(0)).toBe(L.ZERO_PFN);
    expect(holds(m2, s2)).toBe(true);
  });
});
