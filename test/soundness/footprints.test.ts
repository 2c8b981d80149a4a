/**
 * The footprint linter (checker-anchors §4.7 item 1) on every catalogue
 * scenario on four eras and on small extra configurations, explored
 * without reduction: footprint-independent steps commute and do not
 * disable each other, every write is declared, futures over-approximate,
 * invariant read masks are complete (also along every step), frame
 * renaming is a symmetry.
 * A failure names the steps and prints the state.
 */
import { describe, expect, it } from 'vitest';
import { properties } from '../../api/check.js';
import { INVARIANT_NAMES } from '../../invariants/index.js';
import { kernelOfEra, ERAS } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { catalogNames, compileText, loadScenario } from '../../scenario/catalog.js';
import { openConfig, openSpec } from '../../scenario/open.js';
import { lintFutures, lintIndependence, lintReads, lintReadsAlongSteps, lintSymmetry, lintWrites, reachable } from './lint.js';

const EXTRA: Record<string, string> = {
  // three actors racing fork, a R/O GUP-fast pin and writes (test/model/stateCounts.test.ts)
  'three-actors': 'scenario three-actors\nsetup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\n  write A\nP0.T1:\n  pin A ro fast\n  unpin pin0\nP1:\n  write A\n  exit\n',
  // two processes allocating in either order (frame symmetry), a zap and a slow pin
  'two-writers': 'scenario two-writers\nsetup:\n  P0: mmap A anon; mmap B anon; write A; write B; fork P1\nP0:\n  write A\n  madvise A dontneed\n  write A\nP1:\n  write B\n  pin A ro as p1\n  unpin p1\n',
  // threads of one mm, a device, events, mprotect and munmap
  'threads-device': 'scenario threads-device\nsetup:\n  P0: mmap A anon; mmap B anon; write A\nP0:\n  pin A rw as pa\n  signal go\n  mprotect B ro\n  exit\nP0.T1:\n  wait go\n  write B\n  munmap B\ndevice:\n  dma-write pa\n  unpin pa\n',
};

const ERA_SAMPLE = ['E0', 'E2', 'E5', 'E9'];

/** Open mode (choice instructions, scenario/open.ts): two processes with two ops each; one process with two threads. */
const OPEN = [{ procs: 2, pages: 1, maxOps: 2, threads: 1 }, { procs: 1, pages: 1, maxOps: 2, threads: 2 }];

const configs = [
  ...catalogNames().map((n) => ({ name: n, load: () => loadScenario(n).cfg })),
  ...Object.entries(EXTRA).map(([n, text]) => ({ name: n, load: () => compileText(text, `${n}.pincow`, false).cfg })),
].flatMap(({ name, load }) => ERA_SAMPLE.map((e) => ({ label: `${name} on ${e}`, load, era: ERAS.find((x) => x.id === e)! })))
  .concat(OPEN.flatMap((o) => ['E2', 'E5'].map((e) => ({
    label: `open mode ${JSON.stringify(o)} on ${e}`, load: () => openConfig(openSpec(o)), era: ERAS.find((x) => x.id === e)!,
  }))));

/** Each configuration's model, reachable states and properties, built once on first use. */
const cases = configs.map((c) => {
  const m = new MmModel(c.load(), kernelOfEra(c.era));
  let memo: { states: Uint8Array[]; props: ReturnType<typeof properties> } | undefined;
  const get = () => (memo ??= { states: reachable(m), props: properties(m, INVARIANT_NAMES.filter((n) => n !== 'no-deadlock')) });
  return { label: c.label, m, get };
});

describe.each(cases)('$label', ({ m, get }) => {
  it('footprint-independent steps commute and do not disable each other', () => {
    expect(lintIndependence(m, get().states)).toEqual([]);
  });
  it('changing bytes outside an invariant\'s read mask never changes its verdict', () => {
    expect(lintReads(m, get().props, get().states)).toEqual([]);
  });
  it('a step that changes no byte an invariant reads keeps its verdict (explorer/successor.ts skips the check)', () => {
    expect(lintReadsAlongSteps(m, get().props, get().states)).toEqual([]);
  });
});

// Only where POR runs: configurations outside model/porSupport.ts KNOWN are
// explored in full, whatever their footprints say.
describe.each(cases.filter((c) => c.m.por !== undefined))('$label (POR)', ({ m, get }) => {
  it('every byte a step changes is in a location its footprint writes', () => {
    expect(lintWrites(m, get().states)).toEqual([]);
  });
  it('futures cover enabled steps and grow only through touched locations', () => {
    expect(lintFutures(m, get().states)).toEqual([]);
  });
});

describe.each(cases.filter((c) => c.m.canonicalize !== undefined))('$label (symmetry)', ({ m, get }) => {
  it('renaming frames is a symmetry where the model says it is safe', () => {
    expect(lintSymmetry(m, get().props, get().states)).toEqual([]);
  });
});
