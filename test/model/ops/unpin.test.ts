/**
 * unpin_user_page / put_page (reference §B.6): one atomic step that drops
 * 1024 (FOLL_PIN) or 1 (FOLL_GET); an unmapped page is freed by the last
 * drop. 5.19+ runs sanity_check_pinned_pages first. DMA through a pin
 * reads/writes the pinned frame whatever the page tables say.
 */
import { describe, expect, it } from 'vitest';
import * as L from '../../../model/layout.js';
import {
  actor, afterSetup, edit, expectPage, expectPte, FREE, isEnabled, makeModel, pinInfo, runActor, type StepLog,
} from '../harness.js';

describe('unpin and put', () => {
  it.each(['5.7', '5.10', '6.1'])('unpin: refcount 1025 -> 1, pin released (%s)', (k) => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw\n  unpin pin0\n', k);
    let s = runActor(m, afterSetup(m), 0, 2);
    expectPage(m, s, 1, { refcount: 1025, pins: 1 });
    s = runActor(m, s, 0);
    expectPage(m, s, 1, { alloc: true, refcount: 1, pins: 0, mapcount: 1 });
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'released', pfn: 0, userUnmapped: false });
    expect(m.view(s).assertFired).toBe(0);
  });

  it('put: refcount 2 -> 1', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  get A ro\n  put pin0\n', '5.10');
    let s = runActor(m, afterSetup(m), 0, 2);
    expectPage(m, s, 1, { refcount: 2, pins: 0 });
    s = runActor(m, s, 0);
    expectPage(m, s, 1, { refcount: 1, pins: 0, mapcount: 1 });
    expect(pinInfo(m, s, 'pin0').state).toBe('released');
  });

  it.each(['munmap A', 'madvise A dontneed', 'exit'])('an unmapped pinned page (%s) lives on the pin and is freed by unpin', (op) => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A; pin A rw; ${op}\ndevice:\n  unpin pin0\n`, '6.1');
    let s = afterSetup(m);
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPage(m, s, 1, { alloc: true, refcount: 1024, pins: 1, mapcount: 0, pae: true });
    s = runActor(m, s, actor(m, 'device'));
    expectPage(m, s, 1, FREE);
    expect(m.view(s).b[L.G_BAD_FREE]).toBe(0);
  });

  it('an unmapped FOLL_GET page is freed by put', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; get A ro; munmap A\ndevice:\n  put pin0\n', '5.10');
    let s = afterSetup(m);
    expectPage(m, s, 1, { alloc: true, refcount: 1, mapcount: 0 });
    s = runActor(m, s, actor(m, 'device'));
    expectPage(m, s, 1, FREE);
  });

  it('the device waits until the pin is taken; an unpin of a failed pin drops nothing', () => {
    const m = makeModel('setup:\n  P0: mmap A anon ro\nP0:\n  pin A rw\ndevice:\n  unpin pin0\n', '5.10');
    const dev = actor(m, 'device');
    let s = afterSetup(m);
    expect(isEnabled(m, s, dev)).toBe(false);
    s = runActor(m, s, actor(m, 'P0'));
    expect(pinInfo(m, s, 'pin0').state).toBe('failed');
    expect(isEnabled(m, s, dev)).toBe(true);
    s = runActor(m, s, dev);
    expect(pinInfo(m, s, 'pin0').state).toBe('failed');
  });

  it('the device cannot unpin a pin that GUP-fast has only grabbed', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw fast\ndevice:\n  unpin pin0\n', '6.1');
    const s = runActor(m, afterSetup(m), 0, 3); // entry, read_pte, grab
    expect(pinInfo(m, s, 'pin0').state).toBe('grabbed');
    expect(isEnabled(m, s, actor(m, 'device'))).toBe(false);
  });

  it('6.1: unpinning a pinned anon page that is not PAE fires sanity_check_pinned_pages', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; pin A rw\ndevice:\n  unpin pin0\n', '6.1');
    const v = edit(m, afterSetup(m));
    v.setFlag(1, L.PGF_PAE, false);
    const s = runActor(m, v.b, actor(m, 'device'));
    expect(m.view(s).assertFired).toBe(2); // ASSERT_SANITY_CHECK_PINNED
    expectPage(m, s, 1, { refcount: 1, pins: 0 });
  });

  it('5.10 has no such assertion', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; pin A rw\ndevice:\n  unpin pin0\n', '5.10');
    const s = runActor(m, afterSetup(m), actor(m, 'device'));
    expect(m.view(s).assertFired).toBe(0);
  });
});

describe('DMA through a pin', () => {
  it('dma-write writes the pinned frame even when the VA maps another page', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; fork P1\n  P1: exit\nP0:\n  pin A ro\n  write A\ndevice:\n  wait go\n  dma-write pin0\nP0.T1:\n  signal go\n', '5.10');
    let s = runActor(m, afterSetup(m), actor(m, 'P0'));
    expectPte(m, s, 'P0', 'A', { pfn: 2 });
    expect(isEnabled(m, s, actor(m, 'device'))).toBe(false); // waits for the event
    s = runActor(m, s, actor(m, 'P0.T1'));
    const log: StepLog = [];
    s = runActor(m, s, actor(m, 'device'), Infinity, log);
    expect(log).toEqual(['wait', 'dma.write']);
    expectPage(m, s, 1, { content: L.CONTENT_DMA + 0 });
    expectPage(m, s, 2, { content: L.CONTENT_MM + 0 });
  });

  it('dma-read changes nothing but the device pc', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; write A; pin A rw\ndevice:\n  dma-read pin0\n', '6.1');
    const s0 = afterSetup(m);
    const s = runActor(m, s0, actor(m, 'device'));
    const diff = [...s].map((b, i) => (b !== s0[i] ? i : -1)).filter((i) => i >= 0);
    const pcOffset = m.lay.actBase + actor(m, 'device') * L.A_SIZE + L.A_PC;
    expect(diff).toEqual([pcOffset]);
  });
});
