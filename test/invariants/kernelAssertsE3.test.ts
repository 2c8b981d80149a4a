/**
 * The reference §E.3 assertions registered with codes 50-57 (kernel-asserts):
 * each is reached either by a what-if switch or a constructed state (so its
 * wiring and its text are tested), or shown not to fire by exhaustive
 * exploration of scenarios that run the step containing it, on the paths
 * named by the step explanations the exploration collects.
 */
import { describe, expect, it } from 'vitest';
import { ASSERTIONS, kernelAsserts } from '../../invariants/kernelAsserts.js';
import { toggleSwitches } from '../../model/kernels.js';
import * as L from '../../model/layout.js';
import { MmModel } from '../../model/mmModel.js';
import { doWpPage } from '../../model/ops/wpFault.js';
import { actor, afterSetup, configOf, edit, expectPte, kernelOf, makeModel, nextStep, pinInfo, runActor, step } from '../model/harness.js';

/** The full graph of a small scenario: every step explanation taken, every assertion code that fired. */
function exhaust(m: MmModel): { states: number; said: Set<string>; fired: Set<number> } {
  const seen = new Set<string>();
  const said = new Set<string>();
  const fired = new Set<number>();
  const queue = [m.initialState()];
  seen.add(Buffer.from(queue[0]!).toString('latin1'));
  const out = new Int32Array(Math.max(1, m.actionCount));
  while (queue.length > 0) {
    const s = queue.pop()!;
    const actions = Array.from(out.subarray(0, m.enabled(s, out)));
    for (const a of actions) {
      const d = m.describe(s, a)!;
      const next = new Uint8Array(s.length);
      m.apply(s, a, next);
      said.add(`${d.step.name}: ${d.step.explain?.(m.view(s), m.view(next), d.ctx) ?? ''}`);
      if (m.view(next).assertFired !== 0) fired.add(m.view(next).assertFired);
      const key = Buffer.from(next).toString('latin1');
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(next);
      }
    }
  }
  return { states: seen.size, said, fired };
}

const saidSome = (said: Set<string>, re: RegExp): boolean => [...said].some((t) => re.test(t));
const text = (code: number): string => `${ASSERTIONS[code]} fires.`;

describe('wp_page_reuse (50), wp_page_copy (51), faultin_page (52): the unshare fault', () => {
  const UNSHARE = 'setup:\n  P0: mmap A anon; write A; fork P1\nP0:\n  pin A ro\n  write A\nP1:\n  write A\n';

  it.each(['6.1', '6.12'])('%s: unshare faults copy R/O, write faults reuse or copy; none fires', (k) => {
    const r = exhaust(makeModel(UNSHARE, k));
    expect(r.fired).toEqual(new Set());
    expect(saidSome(r.said, /^gup\.follow: R\/O pin, page#\d not exclusive -> unshare fault/)).toBe(true); // faultin_page with FAULT_FLAG_UNSHARE
    expect(saidSome(r.said, /^fault\.entry: do_wp_page: unshare fault .* -> copy/)).toBe(true);
    expect(saidSome(r.said, /^wp\.install: pte_same/)).toBe(true); // wp_page_copy's install, unshare and write
    expect(saidSome(r.said, /^fault\.entry: do_wp_page: write fault .*PageAnonExclusive -> reuse, PTE -> RW/)).toBe(true);
  });

  it('wp_page_reuse without FAULT_FLAG_WRITE fires 50 (6.1, do_wp_page called by hand)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; mprotect A ro\nP0:\n  write A\n', '6.1');
    const s = afterSetup(m);
    expectPte(m, s, 'P0', 'A', { kind: 'present', write: false }); // R/O, PageAnonExclusive: do_wp_page reuses
    const { ctx } = m.describe(s, actor(m, 'P0'))!;
    const v = edit(m, s);
    v.lockRead(0); // handle_mm_fault's mmap_lock, which faultReturn drops
    doWpPage(v, ctx); // neither FAULT_FLAG_WRITE nor FAULT_FLAG_UNSHARE in the frame
    expect(v.assertFired).toBe(50);
    expect(kernelAsserts.explain(m, v)).toBe(text(50));
    expect(text(50)).toContain('FAULT_FLAG_WRITE');
  });

  it('5.18 has no such assertion: the same call holds', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  write A\n', '5.18');
    const s = afterSetup(m);
    const { ctx } = m.describe(s, actor(m, 'P0'))!;
    const v = edit(m, s);
    v.lockRead(0);
    doWpPage(v, ctx);
    expect(v.assertFired).toBe(0);
  });
});

describe('copy_present_pte (53), page_try_dup_anon_rmap (56), page_needs_cow_for_dma (54): fork', () => {
  const FORK = 'setup:\n  P0: mmap A anon; mmap B anon; write A; write B\nP0:\n  fork P1\nP0.T1:\n  pin A ro fast\n';

  it.each(['6.1', '6.12'])('%s: fork shares (clearing PAE) or copies a maybe-pinned page, racing GUP-fast; none fires', (k) => {
    const r = exhaust(makeModel(FORK, k));
    expect(r.fired).toEqual(new Set());
    expect(saidSome(r.said, /^fork\.copy: B: share page#\d, both R\/O/)).toBe(true);
    expect(saidSome(r.said, /^fork\.copy: A: page#\d maybe pinned -> copy for child/)).toBe(true);
  });

  it('what-if 6.1 without write-protect-seq: the fork of a PageAnonExclusive page fires 54', () => {
    const text0 = 'setup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\n';
    const m = new MmModel(configOf(text0), toggleSwitches(kernelOf('6.1'), [], ['write-protect-seq']));
    const s = runActor(m, afterSetup(m), actor(m, 'P0'));
    expect(m.view(s).assertFired).toBe(54);
    expect(kernelAsserts.explain(m, m.view(s))).toBe(text(54));
    const real = makeModel(text0, '6.1');
    expect(real.view(runActor(real, afterSetup(real), actor(real, 'P0'))).assertFired).toBe(0);
    const old = makeModel(text0, '5.18'); // the assertion is checked from 5.19
    expect(old.view(runActor(old, afterSetup(old), actor(old, 'P0'))).assertFired).toBe(0);
  });

  it('a non-anon page reaching page_try_dup_anon_rmap fires 56 (6.1, constructed)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\n', '6.1');
    const v = edit(m, afterSetup(m));
    v.setFlag(1, L.PGF_ANON, false);
    const s = runActor(m, v.b, actor(m, 'P0'));
    expect(m.view(s).assertFired).toBe(56);
    expect(kernelAsserts.explain(m, m.view(s))).toBe(text(56));
  });
});

describe('__folio_try_share_anon_rmap (55): anon_exclusive read before the clear', () => {
  it.each([
    ['reclaim', 'reclaim:\n  pageout P0 A\n'],
    ['migration', 'migration:\n  migrate P0 A\n'],
  ])('%s racing fork, GUP-fast and a write on 6.1: none fires', (_who, daemon) => {
    const r = exhaust(makeModel(`setup:\n  P0: mmap A anon; write A\n${daemon}P0:\n  fork P1\nP0.T1:\n  pin A ro fast\n`, '6.1'));
    expect(r.fired).toEqual(new Set());
    expect(saidSome(r.said, /unmap_set: P0:A: clear PageAnonExclusive/)).toBe(true);
    expect(saidSome(r.said, /unmap_set: P0:A: page_try_share_anon_rmap: page#1 maybe pinned -> restore/)).toBe(true);
  });

  it('KSM racing GUP-fast and writes on 6.12: none fires', () => {
    const r = exhaust(makeModel('setup:\n  P0: mmap A anon; mmap B anon; write A; write B\nksmd:\n  merge P0 A P0 B\nP0.T1:\n  pin B ro fast\nP0:\n  write B\n', '6.12'));
    expect(r.fired).toEqual(new Set());
    expect(saidSome(r.said, /^ksm\.wp_check: counts ok: clear PageAnonExclusive/)).toBe(true);
  });

  it.each([['reclaim', 'reclaim:\n  pageout P0 A\n', 'reclaim.unmap_set'], ['ksmd', 'ksmd:\n  merge P0 A P0 B\n', 'ksm.wp_check']])(
    '%s: a page that lost PageAnonExclusive between the clear and try_share fires 55 (6.1, constructed)', (who, daemon, next) => {
      const m = makeModel(`setup:\n  P0: mmap A anon; mmap B anon; write A; write B\n${daemon}`, '6.1');
      let s = afterSetup(m);
      const d = actor(m, who);
      while (nextStep(m, s, d) !== next) s = step(m, s, d);
      expect(m.view(s).act(d, L.A_ANON_EXCL)).toBe(1); // read before the clear
      const v = edit(m, s);
      v.setFlag(1, L.PGF_PAE, false);
      const after = step(m, v.b, d);
      expect(m.view(after).assertFired).toBe(55);
      expect(kernelAsserts.explain(m, m.view(after))).toBe(text(55));
    });
});

describe('try_grab_folio (57): WARN_ON_ONCE(refcount <= 0)', () => {
  it('slow GUP on a mapped page with no reference fires 57 and fails with -ENOMEM (constructed)', () => {
    for (const k of ['5.10', '6.12']) {
      const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw\n', k);
      const v = edit(m, afterSetup(m));
      v.setPage(1, L.PG_REFS, 0);
      const s = runActor(m, v.b, actor(m, 'P0'));
      expect(m.view(s).assertFired).toBe(57);
      expect(pinInfo(m, s, 'pin0').state).toBe('failed');
      expect(kernelAsserts.explain(m, m.view(s))).toBe(text(57));
    }
  });

  it.each(['5.10', '6.12'])('%s: GUP racing zap and exit never grabs a page without references', (k) => {
    const r = exhaust(makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw\nP0.T1:\n  madvise A dontneed\n', k));
    expect(r.fired).toEqual(new Set());
    expect(saidSome(r.said, /^gup\.follow: pin page#1/)).toBe(true);
  });
});
