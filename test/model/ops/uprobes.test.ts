/**
 * uprobes (reference §B.15, §C.2 row 12): uprobe_write_opcode +
 * __replace_page up to 6.15 (a new anon copy replaces the page, no pin
 * check), and the 2025 rewrite (switch uprobe-write-rewrite: COW break by
 * FOLL_WRITE GUP, write in place under a temporary ptep_clear_flush;
 * unregister zaps only a page without unexpected references).
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../../api/check.js';
import { explore, exploreOptions } from '../../../explorer/bfs.js';
import { invariantByName } from '../../../invariants/index.js';
import { toggleSwitches } from '../../../model/kernels.js';
import * as L from '../../../model/layout.js';
import { MmModel } from '../../../model/mmModel.js';
import { compileText } from '../../../scenario/catalog.js';
import {
  actor, afterSetup, configOf, expectPage, expectPte, FREE, kernelOf, makeModel, nextStep, pinInfo, runActor, type StepLog,
} from '../harness.js';

const rewrite = (text: string, k: string): MmModel => new MmModel(configOf(text), toggleSwitches(kernelOf(k), ['uprobe-write-rewrite'], []));
const PINNED = 'setup:\n  P0: mmap A anon; write A; pin A ro\n';

describe('up to 6.15: __replace_page', () => {
  it.each(['5.7', '5.10', '6.1'])('register replaces the page by a new anon copy, mapped R/O (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nuprobes:\n  register P0 A\n', k);
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'uprobes'), Infinity, log);
    expect(log).toEqual(['uprobe.write_opcode', 'uprobe.replace_page']);
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 2, write: false });
    expectPage(m, s, 2, { alloc: true, refcount: 1, mapcount: 1, pae: k === '6.1', content: L.CONTENT_MM });
    expectPage(m, s, 1, FREE);
    expect(m.view(s).mm(0, L.MM_MMAP_WRITER)).toBe(0);
  });

  it.each(['5.10', '6.1'])('a pinned page is replaced all the same: the pin is left on an unmapped page (%s)', (k) => {
    const m = makeModel(`${PINNED}uprobes:\n  register P0 A\n`, k);
    const s = runActor(m, afterSetup(m), actor(m, 'uprobes'));
    expectPte(m, s, 'P0', 'A', { pfn: 2 });
    expectPage(m, s, 1, { alloc: true, refcount: 1024, pins: 1, mapcount: 0 });
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
  });

  it('unregister replaces it again (the copy with the original opcode)', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nuprobes:\n  register P0 A\n  unregister P0 A\n', '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'uprobes'));
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1, mapcount: 1 });
    expectPage(m, s, 2, FREE);
  });

  it('nothing mapped: nothing to do', () => {
    const m = makeModel('setup:\n  P0: mmap A anon\nuprobes:\n  register P0 A\n', '6.1');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'uprobes'), Infinity, log);
    expect(log).toEqual(['uprobe.write_opcode']);
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
  });
});

describe('the 2025 rewrite (uprobe-write-rewrite)', () => {
  it('register writes a pinned exclusive page in place, unmapping it for a moment', () => {
    const m = rewrite(`${PINNED}uprobes:\n  register P0 A\n`, '6.12');
    let s = runActor(m, afterSetup(m), actor(m, 'uprobes'), 2);
    expectPte(m, s, 'P0', 'A', { kind: 'cleared', pfn: 1 });
    expect(m.view(s).ptlHeld(0)).toBe(true);
    s = runActor(m, s, actor(m, 'uprobes'));
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true, dirty: true });
    expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1, pae: true });
    expect(m.view(s).ptlHeld(0)).toBe(false);
    expect(m.view(s).mm(0, L.MM_MMAP_WRITER)).toBe(0);
  });

  it('register on a COW-shared page breaks COW first (FOLL_WRITE GUP): the probe goes into P0\'s own copy', () => {
    const m = rewrite('setup:\n  P0: mmap A anon; write A; fork P1\nuprobes:\n  register P0 A\n', '6.12');
    const s = runActor(m, afterSetup(m), actor(m, 'uprobes'));
    expectPte(m, s, 'P0', 'A', { pfn: 2, write: true, dirty: true });
    expectPte(m, s, 'P1', 'A', { pfn: 1, write: false });
    expectPage(m, s, 1, { refcount: 1, mapcount: 1 });
    expectPage(m, s, 2, { refcount: 1, mapcount: 1, pae: true });
  });

  it('unregister zaps a page nobody else references ...', () => {
    const m = rewrite('setup:\n  P0: mmap A anon; write A\nuprobes:\n  unregister P0 A\n', '6.12');
    const s = runActor(m, afterSetup(m), actor(m, 'uprobes'));
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPage(m, s, 1, FREE);
  });

  it('... and keeps a pinned one (refcount != mapcount + 1)', () => {
    const m = rewrite(`${PINNED}uprobes:\n  unregister P0 A\n`, '6.12');
    const s = runActor(m, afterSetup(m), actor(m, 'uprobes'));
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, dirty: true });
    expectPage(m, s, 1, { refcount: 1025, mapcount: 1 });
  });
});

/** [kernel, rewrite, states, transitions, depth] of catalog/uprobe-*-pinned (regression pins). */
const COUNTS: readonly [string, boolean, number, number, number][] = [
  ['5.10', false, 16, 16, 11],
  ['6.12', false, 16, 16, 11],
  ['6.12', true, 16, 18, 12],
];

describe('state counts', () => {
  it.each(COUNTS)('register on a pinned page, %s, rewrite %s: %i states, %i transitions, depth %i', (k, rw, states, transitions, depth) => {
    const text = `${PINNED}uprobes:\n  register P0 A\ndevice:\n  dma-write pin0\n`;
    const m = rw ? rewrite(text, k) : makeModel(text, k);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    expect(r.end).toBe('exhausted');
    expect({ states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth }).toEqual({ states, transitions, depth });
  });
});

describe('the old page unmapped under uprobes (reclaim between the GUP and the replace)', () => {
  // __replace_page's page_vma_mapped_walk (and the rewrite's folio_walk,
  // fw.page == page) fail once reclaim has made the PTE a swap entry:
  // -EAGAIN, uprobe_write_opcode retries from the GUP with mmap_lock(W)
  // still held; the retried GUP finds no page mapped and gives up.
  const text = 'setup:\n  P0: mmap A anon; write A\nreclaim:\n  pageout P0 A\nuprobes:\n  register P0 A\n';
  const consistent = (m: MmModel, s: Uint8Array): boolean => invariantByName('refcount-consistent')!.make(m)(m.view(s));

  it.each([['6.1', false, 'uprobe.replace_page'], ['6.12', true, 'uprobe.clear']] as const)(
    '%s (rewrite %s): %s sees the swap entry, retries, the GUP gives up; nothing replaced, nothing freed twice', (k, rw, walker) => {
      const m = rw ? rewrite(text, k) : makeModel(text, k);
      const up = actor(m, 'uprobes');
      let s = runActor(m, afterSetup(m), up, 1); // uprobe.write_opcode: GUP page#1 (+ the new page)
      s = runActor(m, s, actor(m, 'reclaim')); // swap PTE; the freeze fails on the GUP reference
      expectPte(m, s, 'P0', 'A', { kind: 'swap', pfn: 1 });
      const log: StepLog = [];
      s = runActor(m, s, up, 1, log);
      expect(log).toEqual([walker]);
      expect(m.view(s).mm(0, L.MM_MMAP_WRITER)).toBe(1); // goto retry: mmap_lock(W) still held
      expect(nextStep(m, s, up)).toBe('uprobe.write_opcode');
      s = runActor(m, s, up);
      expect(m.view(s).act(up, L.A_PC)).toBe(1);
      expect(m.view(s).mm(0, L.MM_MMAP_WRITER)).toBe(0);
      expectPte(m, s, 'P0', 'A', { kind: 'swap', pfn: 1 });
      expectPage(m, s, 1, { alloc: true, refcount: 1, mapcount: 0 }); // only the swap cache's reference
      expectPage(m, s, 2, FREE);
      expect(consistent(m, s)).toBe(true);
    });

  it.each([['6.1', false], ['6.1', true], ['5.10', false]] as const)('%s (rewrite %s): reclaim vs uprobes register keeps refcount-consistent (a FOLL_GET reference held)', (k, rw) => {
    // The GUP reference keeps the folio in the swap cache; without the fix the replace stole its reference.
    const kernel = rw ? toggleSwitches(kernelOf(k), ['uprobe-write-rewrite'], []) : kernelOf(k);
    const held = text.replace('write A\n', 'write A; get A ro\n');
    const r = check(compileText(`scenario t\ncheck refcount-consistent\n${held}`, 't.pincow', false), kernel);
    expect(r.invariants.map((i) => [i.invariant, i.verdict])).toEqual([['refcount-consistent', 'holds']]);
  });

  it('rewrite: a COW break of a page nobody else holds maps the copy before freeing the old page', () => {
    // The KSM page (refcount 1, never reused) is copied by the FOLL_WRITE GUP: wp_page_copy sets the new PTE first.
    const m = rewrite('setup:\n  P0: mmap A anon; write A\nksmd:\n  merge P0 A P0 A\nuprobes:\n  register P0 A\n', '6.12');
    let s = runActor(m, afterSetup(m), actor(m, 'ksmd'));
    s = runActor(m, s, actor(m, 'uprobes'));
    expect(m.view(s).b[L.G_BAD_FREE]).toBe(0);
    expect(consistent(m, s)).toBe(true);
  });
});

describe('__replace_page frees the old page\'s swap cache once unmapped (try_to_free_swap)', () => {
  it('6.1: a page swapped back in by a read stays in the swap cache; replacing it frees it', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nreclaim:\n  pageout P0 A\nP0:\n  read A\nuprobes:\n  register P0 A\n', '6.1');
    let s = runActor(m, afterSetup(m), actor(m, 'reclaim'));
    s = runActor(m, s, actor(m, 'P0'));
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: false });
    expect(m.view(s).hasFlag(1, L.PGF_SWAPCACHE)).toBe(true);
    s = runActor(m, s, actor(m, 'uprobes'));
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 2, write: false });
    expectPage(m, s, 1, FREE);
    expect(invariantByName('refcount-consistent')!.make(m)(m.view(s))).toBe(true);
  });
});
