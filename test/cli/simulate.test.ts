/** `pincow simulate`: exit codes, the seed, byte-identical output for a seed, bad options. */
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { Io } from '../../cli/common.js';

function run(...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => { out.push(t); }, err: (t) => { err.push(t); }, colour: false, progress: false };
  return { code: main(argv, io), out: out.join('\n'), err: err.join('\n') };
}

describe('pincow simulate', () => {
  it('finds the vmsplice missed COW on 5.7 (exit 1), prints the seed and the trace, the same bytes twice', () => {
    const a = run('simulate', 'vmsplice-child-unmap', '--kernel', '5.7', '--seed', '1', '--runs', '200');
    expect(a.code).toBe(1);
    expect(a.out).toContain('vmsplice-child-unmap 5.7 (E0): violated no-missed-cow');
    expect(a.out).toContain('P0 wrote page#1 in place');
    expect(a.out.trimEnd().endsWith('replay with --seed 1')).toBe(true);
    expect(a.out).not.toMatch(/\d\.\d\d s\b/);
    for (const line of a.out.split('\n')) expect(line.length).toBeLessThanOrEqual(72);
    expect(run('simulate', 'vmsplice-child-unmap', '--kernel', '5.7', '--seed', '1', '--runs', '200').out).toBe(a.out);
  });
  it('exits 0 when no walk breaks anything, and says a simulation proves nothing', () => {
    const r = run('simulate', 'vmsplice-child-unmap', '--kernel', '6.1', '--runs', '20');
    expect(r.code).toBe(0);
    expect(r.out).toContain('no violation found of no-missed-cow');
    expect(r.out).toContain('seed 1: 20 walks');
    expect(r.out).toContain('a simulation can miss violations');
  });
  it('--format json has the seed, stats and each violation with its path and text', () => {
    const r = run('simulate', 'fork-after-pin', '--kernel', '5.8', '--format', 'json', '--runs', '10');
    expect(r.code).toBe(1);
    const [j] = JSON.parse(r.out) as Record<string, unknown>[];
    expect(j).toMatchObject({ scenario: 'fork-after-pin', kernel: '5.8', era: 'E1', verdict: 'violated', seed: 1, runs: 10, maxSteps: 200 });
    const v = (j!['violations'] as Record<string, unknown>[])[0]!;
    expect(Object.keys(v).sort()).toEqual(['choices', 'invariant', 'path', 'run', 'shrunkPath', 'shrinks', 'text', 'trace'].sort());
  });
  it.each([
    [['--seed', 'x'], '--seed must be an integer from 0 to 2147483647, found "x"'],
    [['--seed', '-3'], '--seed must be an integer'],
    [['--runs', '0'], '--runs must be a positive integer, found "0"'],
    [['--runs', '1e3'], '--runs must be a positive integer'],
    [['--max-steps', '2.5'], '--max-steps must be a positive integer'],
    [['--seed', '1', '--seed', '2'], '--seed is given 2 times'],
    [['--format', 'junit'], '--format junit is not supported here'],
    [['--invariant', 'nope'], 'unknown invariant "nope"'],
  ])('%j is bad input (exit 2): %s', (args, message) => {
    const r = run('simulate', 'vmsplice-child-unmap', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
