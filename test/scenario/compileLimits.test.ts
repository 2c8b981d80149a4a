/**
 * Scenarios the packed state cannot represent, or that create a process
 * twice, are refused at compile time with a position — they used to
 * compile and give wrong verdicts (a wrapped program counter or setup
 * phase, a second fork of a live process leaking a reference).
 */
import { describe, expect, it } from 'vitest';
import { PincowError } from '../../model/errors.js';
import { LIMITS } from '../../scenario/compile.js';
import { compileText } from '../../scenario/catalog.js';

function error(text: string): PincowError {
  try {
    compileText(text, 't.pincow', false);
  } catch (e) {
    if (e instanceof PincowError) return e;
    throw e;
  }
  throw new Error('compiled');
}

describe('compile refuses what the model cannot represent', () => {
  it('a second fork of the same process', () => {
    const e = error('scenario x\nsetup:\n  P0: mmap A anon; write A; fork P1\nP0:\n  fork P1\n');
    expect(e.code).toBe('invalid-scenario');
    expect(e.message).toBe('t.pincow:5:8: P1 is already created by the "fork P1" at line 3: each process is forked once');
  });
  it('fork P0', () => {
    expect(error('scenario x\nP0:\n  mmap A\n  fork P1\nP1:\n  fork P0\n').message).toBe('t.pincow:6:8: P0 is the initial process: fork creates a new one, like "fork P1"');
  });
  it.each([
    ['instructions', `scenario x\nP0:\n${'  signal e\n'.repeat(LIMITS.instructions + 1)}`, `t.pincow:${LIMITS.instructions + 3}:3: too many instructions for P0`],
    ['setup instructions', `scenario x\nsetup:\n${'  P0: signal e\n'.repeat(LIMITS.instructions + 1)}P0:\n  signal f\n`, `t.pincow:${LIMITS.instructions + 3}:7: too many instructions for P0`],
    ['pins', `scenario x\nsetup:\n  P0: mmap A anon\nP0:\n${'  pin A ro\n'.repeat(LIMITS.pins + 1)}`, `t.pincow:${LIMITS.pins + 5}:3: too many pins and references`],
    ['VAs', `scenario x\nP0:\n${Array.from({ length: LIMITS.vas + 1 }, (_, i) => `  mmap V${i}\n`).join('')}`, `t.pincow:${LIMITS.vas + 3}:8: too many VAs`],
    ['processes', `scenario x\nsetup:\n${Array.from({ length: LIMITS.processes }, (_, i) => `  P0: fork P${i + 1}\n`).join('')}P0:\n  signal f\n`, `t.pincow:${LIMITS.processes + 2}:12: too many processes`],
    ['actors', `scenario x\nsetup:\n  P0: mmap A\n${Array.from({ length: LIMITS.actors }, (_, i) => `P0.T${i + 1}:\n  read A\n`).join('')}`, `too many actors`],
  ])('too many %s', (_what, text, message) => {
    const e = error(text);
    expect(e.code).toBe('invalid-scenario');
    expect(e.message).toContain(message);
  });
  it('the limits themselves compile', () => {
    expect(() => compileText(`scenario x\nP0:\n${'  signal e\n'.repeat(LIMITS.instructions)}`, 't.pincow', false)).not.toThrow();
  });
});
