// `join ACTOR`: wait until another actor has run its whole program
// (sugar for a one-shot event the compiler signals at the end of ACTOR's
// program, before a final exit). Ordering decides the 5.10 verdict of the
// R/O-pin-then-COW race, so the tests check behaviour, not just syntax.
import { describe, expect, it } from 'vitest';
import { check } from '../../api/check.js';
import { resolveKernels } from '../../model/kernels.js';
import { PincowError } from '../../model/errors.js';
import { compileText } from '../../scenario/catalog.js';

const scenario = (p0: string, t1: string): string => `scenario joined
check pin-coherent
setup:
  P0: mmap A anon; write A; fork P1
  P1: exit
P0:
${p0}
P0.T1:
${t1}
device:
  join P0.T1
  dma-write pin0
`;

const verdict = (text: string): string => check(compileText(text, 'joined.pincow', false), resolveKernels('5.10')[0]!).verdict;

describe('join', () => {
  it('pin, then the write after join: the 5.10 wrong COW is reached', () => {
    expect(verdict(scenario('  pin A ro', '  join P0\n  write A'))).toBe('violated');
  });

  it('the write first, then the pin after join: the page is exclusive, it holds', () => {
    expect(verdict(scenario('  join P0.T1\n  pin A ro', '  write A'))).toBe('holds');
  });

  it('compiles to a wait, and a signal at the end of the joined program (before a final exit)', () => {
    const s = compileText(scenario('  pin A ro\n  exit', '  join P0\n  write A'), 'joined.pincow', false);
    const p0 = s.cfg.actors.find((a) => a.name === 'P0')!.program.filter((i) => i.setupSeq < 0);
    expect(p0.map((i) => i.kind)).toEqual(['pin', 'signal', 'exit']);
    expect(s.cfg.events[p0[1]!.event]).toBe('P0-done');
    const t1 = s.cfg.actors.find((a) => a.name === 'P0.T1')!.program;
    expect(t1[0]).toMatchObject({ kind: 'wait', event: p0[1]!.event, text: 'join P0' });
  });

  const bad = (p0: string, t1: string, message: RegExp, line: number): void => {
    let e: unknown;
    try {
      compileText(scenario(p0, t1), 'joined.pincow', false);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(PincowError);
    expect((e as PincowError).message).toMatch(message);
    expect((e as PincowError).message).toMatch(new RegExp(`^joined\\.pincow:${line}:`));
  };

  it('refuses joining an actor without a program, itself, or a missing name', () => {
    bad('  pin A ro', '  join P7\n  write A', /P7 has no program to wait for; actors with a program are P0, P0\.T1, device/, 9);
    bad('  pin A ro', '  join P0.T1\n  write A', /cannot join itself/, 9);
    bad('  pin A ro', '  join\n  write A', /"join" needs the actor to wait for/, 9);
  });
});
