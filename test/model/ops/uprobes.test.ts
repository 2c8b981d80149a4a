/**
 * uprobes (reference §B.15, §C.2 row 12): uprobe_write_opcode +
 * __replace_page up to 6.15 (a new anon copy replaces the page, no pin
 * check), and the 2025 rewrite (switch uprobe-write-rewrite: COW break by
 * FOLL_WRITE GUP, write in place under a temporary ptep_clear_flush;
 * unregister zaps only a page without unexpected references).
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../../explorer/bfs.js';
import { toggleSwitches } from '../../../model/kernels.js';
import * as L from '../../../model/layout.js';
import { MmModel } from '../../../model/mmModel.js';
import {
  actor, afterSetup, configOf, expectPage, expectPte, FREE, kernelOf, makeModel, pinInfo, runActor, type StepLog,
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
