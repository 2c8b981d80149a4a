/**
 * The footprint linter (test/soundness/lint.ts) on shared-mapping
 * configurations with more concurrency than the catalogue's: two processes
 * faulting, zapping, unmapping (the last VMA truncates the page cache) and
 * pinning one shmem page, and a thread racing a fork of the mapping. They
 * get no POR (model/porSupport.ts knownOps), but the independence check and
 * the invariants' read masks must still hold: traces are sliced by
 * footprints, and a reduction added later would rely on them.
 */
import { describe, expect, it } from 'vitest';
import { properties } from '../../api/check.js';
import { INVARIANT_NAMES } from '../../invariants/index.js';
import { resolveKernels } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { compileText } from '../../scenario/catalog.js';
import { lintIndependence, lintReads, reachable } from './lint.js';

const CONFIGS: Record<string, string> = {
  'two-processes': 'scenario two-processes\nsetup:\n  P0: mmap A shared; mmap B; fork P1\nP0:\n  read A\n  madvise A dontneed\n  munmap A\nP1:\n  write A\n  pin A rw fast\n  exit\ndevice:\n  dma-write pin0\n  unpin pin0\n',
  'fork-race': 'scenario fork-race\nsetup:\n  P0: mmap A shared; write A\nP0:\n  fork P1\n  mprotect A ro\nP0.T1:\n  pin A ro longterm\n  write A\nP1:\n  read A\n  exit\n',
};

describe.each(Object.entries(CONFIGS).flatMap(([n, text]) => ['5.10', '6.2'].map((k) => ({ label: `${n} on ${k}`, text, k }))))('$label', ({ text, k }) => {
  const m = new MmModel(compileText(text, 't.pincow', false).cfg, resolveKernels(k)[0]!);
  const states = reachable(m);
  it('has no POR (the reasoning does not cover shared mappings) and its interleavings are explored (dozens of states)', () => {
    expect(m.por).toBeUndefined();
    expect(states.length).toBeGreaterThan(50);
  });
  it('footprint-independent steps commute and do not disable each other', () => {
    expect(lintIndependence(m, states)).toEqual([]);
  });
  it('changing bytes outside an invariant\'s read mask never changes its verdict', () => {
    expect(lintReads(m, properties(m, INVARIANT_NAMES.filter((n) => n !== 'no-deadlock')), states)).toEqual([]);
  });
});
