// Regressions for model bugs found by review and fuzzing: each scenario
// once gave a wrong verdict; the expected verdicts are argued in comments.
import { describe, expect, it } from 'vitest';
import { check } from '../../api/check.js';
import { resolveKernels } from '../../model/kernels.js';
import { compileText } from '../../scenario/catalog.js';
import { PincowError } from '../../model/errors.js';

const verdicts = (text: string, kernel: string) => {
  const s = compileText(`scenario t\n${text}`, 't.pincow', false);
  return Object.fromEntries(check(s, resolveKernels(kernel)[0]!).invariants.map((i) => [i.invariant, i.verdict]));
};

describe('model fixes', () => {
  it('mmap over an existing mapping unmaps it first (no refcount leak)', () => {
    const text = 'check refcount-consistent\nP0:\n  mmap A\n  write A\n  mmap A ro\n  read A\n';
    expect(verdicts(text, '6.1')).toEqual({ 'refcount-consistent': 'holds' });
  });

  it('a GUP-fast grab not yet rechecked is no reader of a write (no-missed-cow)', () => {
    // P1 reuses its page (PAE) and writes while P0.T1's GUP-fast has grabbed
    // but not rechecked: the recheck drops the grab, nothing leaks (5.19+).
    const text = 'check no-missed-cow\nsetup:\n  P0: mmap A anon; write A; fork P1\nP0:\n  pin A ro as p0\nP0.T1:\n  pin A ro fast as p1\nP1:\n  write A\n';
    expect(verdicts(text, '6.15')).toEqual({ 'no-missed-cow': 'holds' });
  });

  it('a short-term R/O pin of the zeropage promises nothing (pin-coherent exempt)', () => {
    const text = 'check pin-coherent\nsetup:\n  P0: mmap A anon\nP0:\n  pin A ro\n  write A\n';
    expect(verdicts(text, '6.15')).toEqual({ 'pin-coherent': 'holds' });
  });

  it('a long-term R/O pin of an unfaulted page is coherent from 6.2 (unshare, 84209e87c696), not on 6.1', () => {
    const text = 'check pin-coherent\nsetup:\n  P0: mmap A anon\nP0:\n  pin A ro longterm\n  write A\n';
    expect(verdicts(text, '6.2')).toEqual({ 'pin-coherent': 'holds' });
    expect(verdicts(text, '6.1')).toEqual({ 'pin-coherent': 'violated' });
  });

  it('a setup line of a child before the setup fork that creates it is refused at its position', () => {
    expect(() => compileText('scenario t\nsetup:\n  P1: mmap A\n  P0: fork P1\nP0:\n  exit\n', 't.pincow', false))
      .toThrow(new PincowError('invalid-scenario', 'P1 has setup instructions before any setup "fork P1" creates it', { file: 't.pincow', line: 3, col: 3 }));
  });
});
