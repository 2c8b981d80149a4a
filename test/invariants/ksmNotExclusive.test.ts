/**
 * ksm-not-exclusive (reference §E.2.5): no KSM page is PageAnonExclusive,
 * and KSM never replaces a page a FOLL_PIN holds (ghost set by
 * replace_page).
 */
import { describe, expect, it } from 'vitest';
import { ksmNotExclusive } from '../../invariants/ksmNotExclusive.js';
import * as L from '../../model/layout.js';
import type { MmModel } from '../../model/mmModel.js';
import type { StateView } from '../../model/view.js';
import { actor, afterSetup, edit, makeModel, runActor } from '../model/harness.js';

const holds = (m: MmModel, v: StateView): boolean => ksmNotExclusive.make(m)(v);
const MERGE = 'setup:\n  P0: mmap A anon; mmap B anon; write A; write B\nksmd:\n  merge P0 A P0 B\n';

describe('ksm-not-exclusive', () => {
  it.each(['5.10', '6.1'])('holds after a merge (%s)', (k) => {
    const m = makeModel(MERGE, k);
    const s = runActor(m, afterSetup(m), actor(m, 'ksmd'));
    expect(m.view(s).hasFlag(1, L.PGF_KSM)).toBe(true);
    expect(holds(m, m.view(s))).toBe(true);
  });

  it('is violated by a PageAnonExclusive KSM page (constructed)', () => {
    const m = makeModel(MERGE, '6.1');
    const v = edit(m, runActor(m, afterSetup(m), actor(m, 'ksmd')));
    v.setFlag(1, L.PGF_PAE, true);
    expect(holds(m, v)).toBe(false);
    expect(ksmNotExclusive.explain(m, v)).toBe('page#1 is a KSM page but PageAnonExclusive: a write would reuse a page other mappings share.');
  });

  it('is violated when replace_page replaced a page a pin holds (pre-5.19 R/O-and-clean shortcut)', () => {
    const m = makeModel(MERGE.replace('write B\n', 'write B; pin B ro\n'), '5.10');
    const v = edit(m, afterSetup(m));
    v.setPteFlags(0, 1, 0);
    const s = runActor(m, v.b, actor(m, 'ksmd'));
    expect(holds(m, m.view(s))).toBe(false);
    expect(ksmNotExclusive.explain(m, m.view(s))).toBe('ksmd replaced page#2 while pin0 held it: the pin is left on a page P0 no longer maps.');
  });
});
