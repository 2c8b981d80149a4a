// Open mode (api/explore.ts, scenario/open.ts): exact state counts of tiny
// configurations, the verdicts that docs/open-mode.md quotes, the spec and
// its command line, and counterexamples with choice actions replaying
// through ITF (replayItf) and generated tests (replayActions).
import { describe, expect, it } from 'vitest';
import { exploreOpen, openScenario, resolveScenario } from '../../api/explore.js';
import { replayActions, replayItf, toItf, toVitest } from '../../api/replay.js';
import { PincowError } from '../../model/errors.js';
import * as L from '../../model/layout.js';
import { MmModel } from '../../model/mmModel.js';
import { resolveKernels } from '../../model/kernels.js';
import { loadScenario } from '../../scenario/catalog.js';
import { DEFAULT_OPEN_OPS, openCommand, openConfig, openSpec, parseOpenCommand } from '../../scenario/open.js';

const kernel = (k: string) => resolveKernels(k)[0]!;
/** State counts are of the full graph: no partial-order or symmetry reduction. */
const FULL = { por: false, symmetry: false } as const;

function error(f: () => unknown): PincowError {
  try { f(); } catch (e) { if (e instanceof PincowError) return e; throw e; }
  throw new Error('no error');
}

describe('open-mode state counts', () => {
  // Setup (mmap A, then a write to an empty PTE: store faults, handle_mm_fault,
  // do_anonymous_page alloc and install, store again) is 6 states after the initial one.
  it.each([
    // then one write to the present writable page (only the pc changes)
    [{ procs: 1, pages: 1, maxOps: 1, ops: ['write'] }, '6.1', 1 + 6 + 1],
    [{ procs: 1, pages: 1, maxOps: 2, ops: ['write'] }, '6.1', 1 + 6 + 2],
    // write/exit, then write/exit after a write (an exited process runs nothing more)
    [{ procs: 1, pages: 1, maxOps: 2, ops: ['write,exit'] }, '6.1', 1 + 6 + 2 + 2],
    // fork: dup_mmap, copy_present_pte of A, the end of the copy loop, the end of dup_mmap;
    // on 5.10 the copy of A is two steps (the pin check, then the wrprotect-and-share)
    [{ procs: 2, pages: 1, maxOps: 1, ops: ['fork'] }, '6.1', 1 + 6 + 4],
    [{ procs: 2, pages: 1, maxOps: 1, ops: ['fork'] }, '5.10', 1 + 6 + 5],
  ])('%o on %s: %i states', (raw, k, states) => {
    const r = exploreOpen(openSpec(raw), kernel(k), FULL);
    expect([r.verdict, r.bound.exhausted, r.stats.states]).toEqual(['holds', true, states]);
  });

  it.each([
    // pinned: the default alphabet on the smallest configurations with a fork
    [{ procs: 2, pages: 1, maxOps: 1 }, '6.1', 'holds', 42],
    [{ procs: 2, pages: 1, maxOps: 1 }, '5.10', 'violated', 39],
    [{ procs: 2, pages: 2, maxOps: 2 }, '6.1', 'holds', 32657],
  ])('%o on %s: %s, %i states', (raw, k, verdict, states) => {
    const r = exploreOpen(openSpec(raw), kernel(k), FULL);
    expect([r.verdict, r.stats.states]).toEqual([verdict, states]);
  });
});

describe('open-mode verdicts', () => {
  it('5.10 with one op per actor: the child R/O-pins the page it COW-shares with its parent', () => {
    const r = exploreOpen(openSpec({ procs: 2, pages: 2, maxOps: 1 }), kernel('5.10'));
    expect(r.verdict).toBe('violated');
    const iv = r.invariants.find((i) => i.verdict === 'violated')!;
    expect(iv.invariant).toBe('pinned-not-cow-shared');
    expect(iv.trace!.steps.filter((s) => s.starts).map((s) => `${s.actor}: ${s.starts}`).slice(-2)).toEqual(['P0: fork P1', 'P1: pin A ro']);
    expect(iv.text).toContain('Reproduce: npx pincow explore --procs 2 --pages 2 --max-ops 1 --kernel\n5.10');
  });

  it('5.10 with two ops: the write COWs away from the R/O pin (pin-coherent)', () => {
    const r = exploreOpen(openSpec({ procs: 2, pages: 1, maxOps: 2 }), kernel('5.10'), { invariants: ['pin-coherent'] });
    const iv = r.invariants[0]!;
    expect(iv.verdict).toBe('violated');
    expect(iv.trace!.steps.filter((s) => s.starts).map((s) => `${s.actor}: ${s.starts}`).slice(-3)).toEqual(['P0: fork P1', 'P1: pin A ro', 'P1: write A']);
  });

  it('a kernel daemon joins as its own actor picking any page: uprobes replaces a pinned page on 6.1 (reference §C.1 row 12)', () => {
    const spec = openSpec({ procs: 2, pages: 1, maxOps: 1, ops: ['default,uprobe-register'] });
    const cfg = openConfig(spec);
    const uprobes = cfg.actors.find((a) => a.name === 'uprobes')!;
    expect(uprobes.program[0]!.alts!.map((a) => a.text)).toEqual(['register P0 A', 'register P1 A']);
    const r = exploreOpen(spec, kernel('6.1'), { invariants: ['pin-coherent'] });
    expect(r.verdict).toBe('violated');
    expect(r.invariants[0]!.trace!.steps.filter((x) => x.starts).map((x) => `${x.actor}: ${x.starts}`).slice(-2)).toEqual(['P0: pin A ro', 'uprobes: register P0 A']);
  });

  it('GUP-fast racing fork needs two threads of P0 and is fixed in 5.11', () => {
    const spec = openSpec({ procs: 2, pages: 1, maxOps: 1, threads: 2, ops: ['fork,pin-rw-fast'] });
    expect(exploreOpen(spec, kernel('5.10')).invariants.find((i) => i.invariant === 'pinned-not-cow-shared')!.verdict).toBe('violated');
    expect(exploreOpen(spec, kernel('5.11')).verdict).toBe('holds');
    expect(exploreOpen({ ...spec, threads: 1 }, kernel('5.10')).verdict).toBe('holds');
  });
});

describe('open-mode laws, in every reachable state of a small configuration', () => {
  it.each(['5.10', '6.1'])('%s: the choice is clear between instructions; pins start only in a free slot, unpin and DMA only through a held one', (k) => {
    const spec = openSpec({ procs: 2, pages: 1, maxOps: 2, ops: ['default,dma-write,pin-rw-fast'] });
    const m = new MmModel(openConfig(spec), kernel(k));
    const seen = new Set<string>([m.initialState().join()]);
    const queue = [m.initialState()];
    const buf = new Int32Array(m.actionCount);
    while (queue.length) {
      const st = queue.pop()!;
      const v = m.view(st);
      for (let a = 0; a < m.nActors; a++) if (v.act(a, L.A_STEP) === 0) expect(v.act(a, L.A_CHOICE)).toBe(0);
      const n = m.enabled(st, buf);
      for (const action of buf.subarray(0, n)) {
        const d = m.describe(st, action)!;
        const starting = v.act(d.ctx.actor, L.A_STEP) === 0;
        if (starting && d.ctx.instr.kind === 'pin') expect(v.pinHolds(d.ctx.instr.pin)).toBe(false);
        if (starting && (d.ctx.instr.kind === 'unpin' || d.ctx.instr.kind === 'dma-write')) expect(v.pinState(d.ctx.instr.pin)).toBe(L.PIN_HELD);
        const next = new Uint8Array(m.stateBytes);
        m.apply(st, action, next);
        if (!seen.has(next.join())) { seen.add(next.join()); queue.push(next); }
      }
    }
    expect(seen.size).toBeGreaterThan(1000);
  });
});

describe('the open-mode spec', () => {
  it('round-trips through its command line', () => {
    for (const raw of [{}, { procs: 3, pages: 2, maxOps: 4, threads: 2, setup: 'mapped', ops: ['default,pin-rw-fast'] }, { ops: ['all'] }, { ops: ['fork', 'pin-ro'] }]) {
      const s = openSpec(raw);
      expect(parseOpenCommand(openCommand(s))).toEqual(s);
    }
    expect(openCommand(openSpec({ ops: ['default,pin-rw-fast'] }))).toBe('explore --procs 2 --pages 1 --max-ops 2 --ops default,pin-rw-fast');
    expect(openSpec({}).ops).toEqual(DEFAULT_OPEN_OPS);
  });

  it.each([
    [{ procs: 0 }, '--procs must be an integer from 1 to 8, found 0'],
    [{ maxOps: '2.5' }, '--max-ops must be an integer from 1 to 50, found "2.5"'],
    [{ setup: 'full' }, '--setup must be written or mapped, found full'],
    [{ ops: ['read,pinn'] }, 'unknown op "pinn" in --ops; expected a comma list of'],
    [{ ops: ['dma-write'] }, '--ops dma-write gives the threads nothing to do'],
  ])('refuses %o', (raw, message) => {
    const e = error(() => openSpec(raw));
    expect(e.code).toBe('bad-option');
    expect(e.message).toContain(message);
  });

  it('names pin slots by thread, VA and kind, one per (thread, VA, kind in the alphabet)', () => {
    const cfg = openConfig(openSpec({ procs: 2, pages: 2, ops: ['pin-ro,pin-rw-fast,fork'] }));
    expect(cfg.pins.map((p) => p.name)).toEqual(['P0/A/ro', 'P0/A/rw-fast', 'P0/B/ro', 'P0/B/rw-fast', 'P1/A/ro', 'P1/A/rw-fast', 'P1/B/ro', 'P1/B/rw-fast']);
    expect(cfg.actors.map((a) => [a.name, a.program.length])).toEqual([['P0', 4 + 2], ['P1', 2]]);
  });

  it('resolves a SCENARIO argument that is an open-mode command, and a built-in one', () => {
    const s = resolveScenario('explore --procs 2 --pages 1 --max-ops 1');
    expect([s.name, s.builtin, s.hash]).toEqual(['open-p2-k1-n1', false, openScenario(openSpec({ maxOps: 1 })).hash]);
    expect(resolveScenario('fork-after-pin').name).toBe('fork-after-pin');
  });
});

describe('counterexamples with choices replay', () => {
  const k = kernel('5.10');
  const spec = openSpec({ procs: 2, pages: 1, maxOps: 2 });
  const s = openScenario(spec);
  const r = exploreOpen(spec, k, { invariants: ['pin-coherent'] });
  const path = r.invariants[0]!.path!;

  it('through ITF: every step, with its choice, reaches the recorded state', () => {
    const itf = JSON.parse(JSON.stringify(toItf(s, k, 'pin-coherent', path))) as { '#meta': { source: string }; states: { '#meta': { params?: { choice?: number } } }[] };
    expect(itf['#meta'].source).toBe('explore --procs 2 --pages 1 --max-ops 2');
    expect(itf.states.some((st) => (st['#meta'].params?.choice ?? 0) > 0)).toBe(true);
    const back = replayItf(itf);
    expect(back.path).toEqual(path);
    expect(back.violated).toContain('pin-coherent');
  });

  it('through a generated vitest test: actions name the alternative at each choice', () => {
    const src = toVitest(s, k, 'pin-coherent', path);
    const actions = JSON.parse(/actions: (\[.*\]),/.exec(src)![1]!) as string[];
    expect(actions).toContain('P1: pin A ro');
    expect(src).toContain('scenario: "explore --procs 2 --pages 1 --max-ops 2"');
    expect(src).toContain('// Regenerate with: npx pincow explore --procs 2 --pages 1 --max-ops 2 --kernel 5.10 --format vitest');
    const back = replayActions({ scenario: 'explore --procs 2 --pages 1 --max-ops 2', kernel: '5.10', actions });
    expect(back.path).toEqual(path);
    expect(back.violated).toContain('pin-coherent');
  });

  it('refuses an alternative the actor cannot choose, listing those it can', () => {
    const actions = JSON.parse(/actions: (\[.*\]),/.exec(toVitest(s, k, 'pin-coherent', path))![1]!) as string[];
    const i = actions.indexOf('P1: pin A ro');
    const bad = [...actions.slice(0, i), 'P1: pin A sideways'];
    const e = error(() => replayActions({ scenario: 'explore --procs 2 --pages 1 --max-ops 2', kernel: '5.10', actions: bad }));
    expect(e.message).toContain(`step ${i + 1}: "pin A sideways" is not an operation P1 can choose; expected one of: read A; write A; pin A ro;`);
  });

  it('leaves plain scenarios\' ITF without choices', () => {
    const plain = loadScenario('ro-pin-previously-shared');
    const cx = JSON.stringify(toItf(plain, k, 'pin-coherent', [0, 0, 0]));
    expect(cx).not.toContain('choice');
  });
});
