/**
 * Reduced and full exploration agree (checker-anchors §4.7 item 2): on
 * every catalogue scenario on every era, and on small extra
 * configurations, exploring with partial-order reduction, with symmetry
 * reduction, and with both finds exactly the invariants (and deadlocks)
 * the full graph violates; every path a reduced run returns replays on the
 * unreduced model into a violating state; and with POR alone the states
 * reached project onto the same set of visible values (the bytes the
 * invariants read).
 */
import { describe, expect, it } from 'vitest';
import { properties } from '../../api/check.js';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import type { Property } from '../../explorer/types.js';
import { NO_DEADLOCK } from '../../explorer/types.js';
import { ERAS, kernelOfEra } from '../../model/kernels.js';
import type { Kernel } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { catalogNames, compileText, loadScenario } from '../../scenario/catalog.js';
import type { LoadedScenario } from '../../scenario/catalog.js';
import { openScenario } from '../../api/explore.js';
import { openSpec } from '../../scenario/open.js';
import { replaysToViolation } from './lint.js';

const MODES = [
  { por: true, symmetry: false },
  { por: false, symmetry: true },
  { por: true, symmetry: true },
] as const;

/** The violated properties of a run, sorted, and whether it finished. */
function outcome(m: MmModel, names: readonly string[], mode: { por: boolean; symmetry: boolean }) {
  const r = explore(m, exploreOptions({
    maxDepth: 10_000, properties: properties(m, names), deadlock: names.includes(NO_DEADLOCK), ...mode,
  }));
  return { r, violated: r.violations.map((v) => v.property).sort(), complete: r.end === 'exhausted' };
}

function agree(s: LoadedScenario, k: Kernel): void {
  const names = s.invariants;
  const m = new MmModel(s.cfg, k);
  const full = outcome(m, names, { por: false, symmetry: false });
  if (!m.por && !m.canonicalize) {
    // Outside what the reductions cover (model/porSupport.ts, model/symmetry.ts): both stay off.
    const red = outcome(m, names, { por: true, symmetry: true });
    expect(red.r.reductions).toMatchObject({ por: false, symmetry: false });
    expect(red.r.stats.states).toBe(full.r.stats.states);
    return;
  }
  for (const mode of MODES) {
    const red = outcome(m, names, mode);
    expect({ mode, violated: red.violated, complete: red.complete }).toEqual({ mode, violated: full.violated, complete: full.complete });
    expect(red.r.stats.states).toBeLessThanOrEqual(full.r.stats.states);
    for (const v of red.r.violations) expect(replaysToViolation(m, names, v.property, v.path), `${v.property} ${JSON.stringify(mode)}`).toBe(true);
  }
}

/** A property that records the visible projection of every state it is asked about (and always holds). */
function recorder(props: readonly Property[], seen: Set<string>): Property {
  const mask = new Uint8Array(props[0]!.reads!.length);
  for (const p of props) p.reads!.forEach((x, i) => { if (x) mask[i] = 1; });
  return {
    name: 'record', reads: mask,
    holds: (st) => { seen.add(Array.from(st.filter((_, i) => mask[i] === 1)).join()); return true; },
  };
}

/** With POR alone, the full and the reduced graph reach the same visible projections. */
function sameProjections(s: LoadedScenario, k: Kernel): void {
  const m = new MmModel(s.cfg, k);
  const props = properties(m, s.invariants);
  if (!m.por || props.length === 0 || props.some((p) => !p.reads)) return;
  const projections = (por: boolean): Set<string> => {
    const seen = new Set<string>();
    explore(m, exploreOptions({ maxDepth: 10_000, properties: [recorder(props, seen)], por }));
    return seen;
  };
  expect([...projections(true)].sort()).toEqual([...projections(false)].sort());
}

const EXTRA: Record<string, string> = {
  'three-actors': 'scenario three-actors\nsetup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\n  write A\nP0.T1:\n  pin A ro fast\n  unpin pin0\nP1:\n  write A\n  exit\n',
  'two-writers': 'scenario two-writers\nsetup:\n  P0: mmap A anon; mmap B anon; write A; write B; fork P1\nP0:\n  write A\n  madvise A dontneed\n  write A\nP1:\n  write B\n  pin A ro as p1\n  unpin p1\n',
  'threads-device': 'scenario threads-device\nsetup:\n  P0: mmap A anon; mmap B anon; write A\nP0:\n  pin A rw as pa\n  signal go\n  mprotect B ro\n  exit\nP0.T1:\n  wait go\n  write B\n  munmap B\ndevice:\n  dma-write pa\n  unpin pa\n',
  'missed-cow': 'scenario missed-cow\ncheck no-missed-cow, refcount-consistent\nsetup:\n  P0: mmap A anon; write A; fork P1\nP1:\n  get A ro\n  munmap A\n  write A\nP0:\n  write A\n  madvise A dontneed\n',
};

describe('reduced and full exploration agree on the catalogue, every era', () => {
  const cells = catalogNames().flatMap((n) => ERAS.map((e) => ({ label: `${n} on ${e.id}`, n, e })));
  it.each(cells)('$label', ({ n, e }) => {
    agree(loadScenario(n), kernelOfEra(e));
  });
});

describe('reduced and full exploration agree on extra configurations', () => {
  const cells = Object.keys(EXTRA).flatMap((n) => ['E0', 'E2', 'E5', 'E9'].map((id) => ({ label: `${n} on ${id}`, n, e: ERAS.find((x) => x.id === id)! })));
  it.each(cells)('$label', ({ n, e }) => {
    const s = compileText(EXTRA[n]!, `${n}.pincow`, false);
    agree(s, kernelOfEra(e));
    sameProjections(s, kernelOfEra(e));
  });
});

describe('reduced and full exploration agree in open mode (choice instructions)', () => {
  const specs = [{ procs: 2, pages: 1, maxOps: 2, threads: 1 }, { procs: 1, pages: 1, maxOps: 2, threads: 2 }];
  const cells = specs.flatMap((o) => ['E0', 'E2', 'E5', 'E9'].map((id) => ({ label: `${JSON.stringify(o)} on ${id}`, o, e: ERAS.find((x) => x.id === id)! })));
  it.each(cells)('$label', ({ o, e }) => {
    const s = openScenario(openSpec(o));
    agree(s, kernelOfEra(e));
    sameProjections(s, kernelOfEra(e));
  });
});

describe('visible projections agree with POR alone (catalogue, E2 and E9)', () => {
  const cells = catalogNames().flatMap((n) => ['E2', 'E9'].map((id) => ({ label: `${n} on ${id}`, n, e: ERAS.find((x) => x.id === id)! })));
  it.each(cells)('$label', ({ n, e }) => {
    sameProjections(loadScenario(n), kernelOfEra(e));
  });
});
