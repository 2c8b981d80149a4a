/**
 * userfaultfd missing faults (reference §B.16, seed 001): handle_userfault
 * drops mmap_lock and sleeps; UFFDIO_COPY / UFFDIO_ZEROPAGE install and
 * wake, UFFDIO_WAKE only wakes, read(uffd) consumes the fault message; the
 * woken fault returns VM_FAULT_RETRY and GUP (or the access) retries with
 * FAULT_FLAG_TRIED. Up to 5.6 (`--without fault-retry-multiple`) the retry
 * has no FAULT_FLAG_ALLOW_RETRY, so a second userfault is VM_FAULT_SIGBUS
 * (GUP -EFAULT, access SIGBUS) with the DEBUG_VM warning (assert 40).
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../../api/check.js';
import { explore, exploreOptions } from '../../../explorer/bfs.js';
import { toggleSwitches } from '../../../model/kernels.js';
import * as L from '../../../model/layout.js';
import { MmModel } from '../../../model/mmModel.js';
import { decodeState, encodeState } from '../../../model/decode.js';
import { ASSERT_UFFD_NO_ALLOW_RETRY } from '../../../model/ops/userfault.js';
import { compileText } from '../../../scenario/catalog.js';
import {
  actor, afterSetup, compile, configOf, enabledActors, expectPage, expectPte, FREE, isEnabled, kernelOf, makeModel, mmField, nextStep,
  pinInfo, runActor, runInstr, vmaFlags, type StepLog,
} from '../harness.js';

const UFFD = 'setup:\n  P0: mmap A uffd\n';

/** The model of `text` on `kernel` as it was before 5.7 (no FAULT_FLAG_ALLOW_RETRY on the retry). */
function before57(text: string, kernel = '5.7'): MmModel {
  return new MmModel(configOf(text), toggleSwitches(kernelOf(kernel), [], ['fault-retry-multiple']));
}

describe('handle_userfault from slow GUP', () => {
  const text = `${UFFD}P0:\n  pin A rw\nP0.T1:\n  uffd-read A\n  uffd-copy A\n`;

  it('the GUP write-faults on the none PTE, drops mmap_lock and sleeps; nothing is allocated', () => {
    const m = makeModel(text, '6.1');
    const log: StepLog = [];
    const s = runActor(m, afterSetup(m), actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['gup.entry', 'gup.follow', 'fault.entry']);
    expect(nextStep(m, s, actor(m, 'P0'))).toBeUndefined(); // asleep: no enabled step
    expect(m.view(s).act(actor(m, 'P0'), L.A_STEP)).not.toBe(0);
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
    expect(mmField(m, s, 'P0', L.MM_HAS_PINNED)).toBe(1); // set before the walk
    expect(pinInfo(m, s, 'pin0').state).toBe('unused');
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPage(m, s, 1, FREE);
  });

  it('read(uffd) blocks until a fault is pending, then consumes its message', () => {
    const m = makeModel(text, '6.1');
    const t1 = actor(m, 'P0.T1');
    let s = afterSetup(m);
    expect(isEnabled(m, s, t1)).toBe(false);
    s = runActor(m, s, actor(m, 'P0'));
    expect(nextStep(m, s, t1)).toBe('uffd.read');
    s = runInstr(m, s, t1);
    expect(nextStep(m, s, actor(m, 'P0'))).toBeUndefined(); // still asleep after the read
    expect(nextStep(m, s, t1)).toBe('uffd.copy');
  });

  it('UFFDIO_COPY maps a new exclusive anon page RW and wakes the GUP, which retakes mmap_lock and pins it', () => {
    for (const [k, pae] of [['5.10', false], ['6.1', true]] as const) {
      const m = makeModel(text, k);
      const p0 = actor(m, 'P0');
      let s = runActor(m, afterSetup(m), p0);
      s = runActor(m, s, actor(m, 'P0.T1'));
      expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: 1, write: true, dirty: true });
      expectPage(m, s, 1, { refcount: 1, mapcount: 1, pae, anon: true, content: L.CONTENT_MM + 0 });
      expect(nextStep(m, s, p0)).toBe('uffd.wait');
      const log: StepLog = [];
      s = runActor(m, s, p0, Infinity, log);
      expect(log).toEqual(['uffd.wait', 'gup.follow']);
      expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
      expectPage(m, s, 1, { refcount: 1025, pins: 1, mapcount: 1 });
      expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
    }
  });

  it('the retry waits for mmap_lock: a fork holding it for write delays it', () => {
    const m = makeModel(`${UFFD}P0:\n  pin A ro\nP0.T1:\n  uffd-read A\n  uffd-copy A\n  fork P1\n`, '6.1');
    const p0 = actor(m, 'P0');
    const t1 = actor(m, 'P0.T1');
    let s = runActor(m, afterSetup(m), p0);
    s = runInstr(m, s, t1);
    s = runInstr(m, s, t1);
    s = runActor(m, s, t1, 1); // fork.begin: mmap_lock(W)
    expect(nextStep(m, s, p0)).toBeUndefined();
    s = runActor(m, s, t1); // the rest of fork: the page is now COW-shared
    expectPage(m, s, 1, { mapcount: 2, pae: false });
    const log: StepLog = [];
    s = runActor(m, s, p0, Infinity, log);
    // 6.1: the retried R/O pin meets a non-exclusive page and unshares (copies).
    expect(log).toEqual(['uffd.wait', 'gup.follow', 'fault.entry', 'wp.alloc', 'wp.install', 'gup.follow']);
    expect(pinInfo(m, s, 'pin0').pfn).toBe(2);
    expectPage(m, s, 2, { pae: true, pins: 1, mapcount: 1 });
  });

  it('munmap while the GUP sleeps: UFFDIO_COPY finds no VMA (-ENOENT), UFFDIO_WAKE wakes it, the retry fails with -EFAULT', () => {
    const m = makeModel(`${UFFD}P0:\n  pin A rw\nP0.T1:\n  uffd-read A\n  munmap A\n  uffd-copy A\n  uffd-wake A\n`, '6.1');
    const p0 = actor(m, 'P0');
    let s = runActor(m, afterSetup(m), p0);
    s = runActor(m, s, actor(m, 'P0.T1'), 3); // read, munmap, copy
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPage(m, s, 1, FREE);
    expect(nextStep(m, s, p0)).toBeUndefined(); // the failed copy woke nobody
    s = runActor(m, s, actor(m, 'P0.T1'));
    s = runActor(m, s, p0);
    expect(pinInfo(m, s, 'pin0').state).toBe('failed');
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
  });
});

describe('the MADV_DONTNEED race of seed 001 (a second userfault on the retry)', () => {
  const text = `${UFFD}P0:\n  pin A rw\nP0.T1:\n  uffd-read A\n  uffd-copy A\n  madvise A dontneed\n  uffd-copy A\n`;

  function raced(m: MmModel): Uint8Array {
    const p0 = actor(m, 'P0');
    let s = runActor(m, afterSetup(m), p0);
    s = runActor(m, s, actor(m, 'P0.T1'), 3); // read, copy (wakes), DONTNEED
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    return runActor(m, s, p0, 2); // uffd.wait (woken), gup.follow -> fault -> handle_userfault again
  }

  it('5.7 (4426e945df58): the retry keeps FAULT_FLAG_ALLOW_RETRY, sleeps again and pins the second copy', () => {
    const m = makeModel(text, '5.7');
    let s = raced(m);
    s = runActor(m, s, actor(m, 'P0'));
    expect(nextStep(m, s, actor(m, 'P0'))).toBeUndefined();
    expect(pinInfo(m, s, 'pin0').state).toBe('unused');
    s = runActor(m, s, actor(m, 'P0.T1'));
    s = runActor(m, s, actor(m, 'P0'));
    expect(pinInfo(m, s, 'pin0')).toEqual({ state: 'held', pfn: 1, userUnmapped: false });
    expect(m.view(s).assertFired).toBe(0);
  });

  it('<=5.6: VM_FAULT_SIGBUS, the GUP fails with -EFAULT and the DEBUG_VM warning fires', () => {
    const m = before57(text);
    const log: StepLog = [];
    const s = runActor(m, raced(m), actor(m, 'P0'), Infinity, log);
    expect(log).toEqual(['fault.entry', 'gup.follow']);
    expect(pinInfo(m, s, 'pin0').state).toBe('failed');
    expect(m.view(s).assertFired).toBe(ASSERT_UFFD_NO_ALLOW_RETRY);
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
  });

  it('UFFDIO_WAKE without a copy: the retry faults again (5.7 sleeps, <=5.6 fails)', () => {
    const wake = `${UFFD}P0:\n  pin A rw\nP0.T1:\n  uffd-read A\n  uffd-wake A\n`;
    for (const [m, state] of [[makeModel(wake, '6.1'), 'unused'], [before57(wake, '6.1'), 'failed']] as const) {
      let s = runActor(m, afterSetup(m), actor(m, 'P0'));
      s = runActor(m, s, actor(m, 'P0.T1'));
      s = runActor(m, s, actor(m, 'P0'));
      expect(pinInfo(m, s, 'pin0').state).toBe(state);
    }
  });
});

describe('user accesses on a userfaultfd range', () => {
  it('a load sleeps in handle_userfault, UFFDIO_ZEROPAGE maps the zeropage R/O, the load completes', () => {
    const m = makeModel(`${UFFD}P0:\n  read A\nP0.T1:\n  uffd-read A\n  uffd-zeropage A\n`, '6.1');
    const p0 = actor(m, 'P0');
    let s = runActor(m, afterSetup(m), p0);
    expect(nextStep(m, s, p0)).toBeUndefined();
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
    s = runActor(m, s, actor(m, 'P0.T1'));
    expectPte(m, s, 'P0', 'A', { kind: 'present', pfn: L.ZERO_PFN, write: false, special: true });
    const log: StepLog = [];
    s = runActor(m, s, p0, Infinity, log);
    expect(log).toEqual(['uffd.wait', 'user.read']);
    expect(m.isFinal(s)).toBe(true);
  });

  it('a store after UFFDIO_ZEROPAGE write-faults and copies the zeropage (no second userfault)', () => {
    const m = makeModel(`${UFFD}P0:\n  write A\nP0.T1:\n  uffd-read A\n  uffd-zeropage A\n`, '6.1');
    let s = runActor(m, afterSetup(m), actor(m, 'P0'));
    s = runActor(m, s, actor(m, 'P0.T1'));
    s = runActor(m, s, actor(m, 'P0'));
    expectPte(m, s, 'P0', 'A', { pfn: 1, write: true });
    expectPage(m, s, 1, { refcount: 1, mapcount: 1, pae: true, content: L.CONTENT_MM + 0 });
  });

  it('<=5.6: a store whose retry meets a none PTE again gets SIGBUS', () => {
    const m = before57(`${UFFD}P0:\n  write A\nP0.T1:\n  uffd-read A\n  uffd-copy A\n  madvise A dontneed\n`);
    let s = runActor(m, afterSetup(m), actor(m, 'P0'));
    s = runActor(m, s, actor(m, 'P0.T1'));
    s = runActor(m, s, actor(m, 'P0'));
    expect(m.isFinal(s)).toBe(true);
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expect(m.view(s).assertFired).toBe(ASSERT_UFFD_NO_ALLOW_RETRY);
    expect(mmField(m, s, 'P0', L.MM_MMAP_READERS)).toBe(0);
  });
});

describe('UFFDIO_COPY / UFFDIO_ZEROPAGE refusals', () => {
  it('-EEXIST on a populated PTE: nothing changes', () => {
    const m = makeModel(`${UFFD}  P0: uffd-copy A\nP0:\n  uffd-copy A\n  uffd-zeropage A\n`, '6.1');
    const s0 = afterSetup(m);
    expectPte(m, s0, 'P0', 'A', { pfn: 1, write: true });
    const s = runActor(m, s0, actor(m, 'P0'));
    expect(Array.from(s.subarray(m.lay.mmBase, m.lay.actBase))).toEqual(Array.from(s0.subarray(m.lay.mmBase, m.lay.actBase)));
  });

  it('-ENOENT on a VMA that is not registered; a R/O registered VMA gets a R/O copy', () => {
    const m = makeModel('setup:\n  P0: mmap A anon; mmap B uffd ro\nP0:\n  uffd-copy A\n  uffd-copy B\n', '6.1');
    const s = runActor(m, afterSetup(m), actor(m, 'P0'));
    expectPte(m, s, 'P0', 'A', { kind: 'none' });
    expectPte(m, s, 'P0', 'B', { kind: 'present', pfn: 1, write: false, dirty: true });
  });
});

describe('fork of a registered VMA', () => {
  it('without UFFD_FEATURE_EVENT_FORK the child VMA is not registered: its faults are ordinary', () => {
    const m = makeModel(`${UFFD}  P0: uffd-copy A; fork P1\nP1:\n  madvise A dontneed\n  read A\n`, '6.1');
    let s = afterSetup(m);
    expect(vmaFlags(m, s, 'P0', 'A') & L.VMA_UFFD).toBe(L.VMA_UFFD);
    expect(vmaFlags(m, s, 'P1', 'A') & L.VMA_UFFD).toBe(0);
    s = runActor(m, s, actor(m, 'P1'));
    expectPte(m, s, 'P1', 'A', { pfn: L.ZERO_PFN, special: true });
  });
});

describe('exploration', () => {
  const TEXTS = {
    // catalog/uffd-gup-dontneed-retry
    seed: `${UFFD}P0:\n  pin A rw\nP0.T1:\n  uffd-read A\n  uffd-copy A\n  madvise A dontneed\n  uffd-copy A\ndevice:\n  dma-write pin0\n`,
    // catalog/uffd-gup-fork without the device
    fork: `${UFFD}P0:\n  pin A ro\nP0.T1:\n  uffd-read A\n  uffd-copy A\n  fork P1\n  write A\n`,
  } as const;

  /** Independent count: BFS over whole states kept as strings (no fingerprints). */
  function bruteForce(m: MmModel): { states: number; transitions: number; depth: number } {
    const key = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
    const seen = new Set<string>([key(m.initialState())]);
    let level = [m.initialState()];
    let transitions = 0;
    let depth = 0;
    for (;;) {
      const next: Uint8Array[] = [];
      for (const s of level) {
        for (const a of enabledActors(m, s)) {
          const t = new Uint8Array(m.stateBytes);
          m.apply(s, a, t);
          transitions++;
          if (!seen.has(key(t))) { seen.add(key(t)); next.push(t); }
        }
      }
      if (next.length === 0) return { states: seen.size, transitions, depth };
      depth++;
      level = next;
    }
  }

  /** [scenario, kernel, as before 5.7, states, transitions, deepest level] */
  it.each([
    ['seed', '5.7', false, 24, 29, 11],
    ['seed', '5.7', true, 28, 34, 13],
    ['seed', '6.1', false, 24, 29, 11],
    ['fork', '5.10', false, 39, 47, 18],
    ['fork', '6.1', false, 72, 106, 21],
  ] as const)('%s on %s (without fault-retry-multiple: %s): %i states, %i transitions, depth %i', (name, k, old, states, transitions, depth) => {
    const m = old ? before57(TEXTS[name], k) : makeModel(TEXTS[name], k);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    expect(r.end).toBe('exhausted');
    expect({ states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth }).toEqual({ states, transitions, depth });
    expect(bruteForce(m)).toEqual({ states, transitions, depth });
  });

  it('a thread that GUPs its own range before resolving it never wakes: no-deadlock is violated', () => {
    const s = compileText('scenario self\nsetup:\n  P0: mmap A uffd\nP0:\n  pin A rw\n  uffd-copy A\nexpect no-deadlock violated on all\n', 'self.pincow', false);
    const r = check(s, kernelOf('6.1'));
    expect(r.invariants.find((i) => i.invariant === 'no-deadlock')?.verdict).toBe('violated');
  });

  it('the scenario language: mmap VA uffd sets VM_UFFD_MISSING; the uffd ioctls are thread operations', () => {
    expect(compile(`${UFFD}P0:\n  read A\n`).cfg.actors[0]!.program[0]!.vmaFlags & L.VMA_UFFD).toBe(L.VMA_UFFD);
    expect(() => compile(`${UFFD}device:\n  uffd-copy A\n`)).toThrow(/"uffd-copy" is not an operation of the device/);
    expect(() => compile(`${UFFD}P0:\n  uffd-copy\n`)).toThrow(/needs a VA/);
  });

  it('refuses scenarios whose wait-queue counters could wrap (layout.ts PT_UFFD)', () => {
    const wakes = (n: number) => `${UFFD}P0:\n${'  uffd-wake A\n'.repeat(n)}`;
    expect(compile(wakes(15)).cfg.actors[0]!.program).toHaveLength(16);
    expect(() => compile(wakes(16))).toThrow(/at most 15 are supported/);
    const threads = Array.from({ length: 16 }, (_, i) => `P0${i ? `.T${i}` : ''}:\n  read A\n`).join('');
    expect(() => compile(`${UFFD}${threads}`)).toThrow(/at most 15 threads per process/);
  });

  it('decodes and encodes the wait queue of a VA', () => {
    const m = makeModel(`${UFFD}P0:\n  read A\nP0.T1:\n  read A\n`, '6.1');
    let s = runActor(m, afterSetup(m), actor(m, 'P0'));
    s = runActor(m, s, actor(m, 'P0.T1'));
    const d = decodeState(m, s);
    expect(d.mms[0]!.ptes['A']).toMatchObject({ uffd: true, uffdQueue: 2 });
    expect(Array.from(encodeState(m, d))).toEqual(Array.from(s));
  });
});

describe('UFFDIO_COPY / UFFDIO_ZEROPAGE take the PTL (mfill_atomic_install_pte)', () => {
  it.each(['uffd-copy', 'uffd-zeropage'])('%s waits while reclaim holds the PTL between its clear and set steps', (op) => {
    const m = makeModel(`setup:\n  P0: mmap A anon; write A; mmap B uffd\nreclaim:\n  pageout P0 A\nP0.T1:\n  ${op} B\n`, '6.1');
    let s = runActor(m, afterSetup(m), actor(m, 'reclaim'), 2); // add_to_swap, unmap_clear: PTL held
    expect(m.view(s).ptlHeld(0)).toBe(true);
    expect(isEnabled(m, s, actor(m, 'P0.T1'))).toBe(false);
    s = runActor(m, s, actor(m, 'reclaim'), 1); // unmap_set: PTL dropped
    expect(m.view(s).ptlHeld(0)).toBe(false);
    expect(isEnabled(m, s, actor(m, 'P0.T1'))).toBe(true);
  });
});
