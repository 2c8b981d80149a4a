// `pincow explore` end to end, in process (cli/main.ts main() with a
// captured Io): what it prints, its exit codes (0 holds, 1 violated,
// 2 bad options with a message naming what is accepted, 3 a bound), its
// JSON, and `pincow list ops` naming the open-mode alphabet.
import { describe, expect, it } from 'vitest';
import type { Io } from '../../cli/common.js';
import { main } from '../../cli/main.js';
import { OPEN_OP_NAMES } from '../../scenario/open.js';

function run(...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t), colour: false, progress: false };
  return { code: main(argv, io), out: out.join('\n'), err: err.join('\n') };
}

describe('pincow explore', () => {
  it('exits 0 on 6.1 and says what it proved', () => {
    const r = run('explore', '--procs', '2', '--pages', '2', '--max-ops', '2', '--kernel', '6.1');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^open mode: every program of up to 2 operation\(s\) per actor over \{read,\nwrite, pin-ro, pin-rw, unpin, fork, exit, dontneed, dontfork,\nmprotect-ro, mprotect-rw\}; 2 process\(es\), P1 created by fork; 2\nanonymous page\(s\) of P0 mmapped and written once in setup\./);
    expect(r.out).toContain('open-p2-k2-n2 6.1 (E5): holds pin-coherent');
    // verdictLine's wording (cli/commands/check.ts), whatever the wrapping: which graph, how deep, exhausted, collision probability
    expect(r.out.replace(/\s+/g, ' ')).toMatch(/proved: all \d+ (reachable )?states \(depth \d+\) of the (full graph|graph reduced by [A-Za-z ]+)[;,] queue exhausted[^;]*; P\(fingerprint collision\) \S+/);
  });

  it('exits 1 on 5.10 with one op per actor and prints the counterexample with its Reproduce line', () => {
    const r = run('explore', '--procs', '2', '--pages', '2', '--max-ops', '1', '--kernel', '5.10');
    expect(r.code).toBe(1);
    expect(r.out).toContain('open-p2-k2-n1 5.10 (E2): violated pinned-not-cow-shared');
    expect(r.out).toContain('P1/A/ro holds page#1, which is COW-shared by P0:A, P1:A');
    expect(r.out).toContain('Reproduce: npx pincow explore --procs 2 --pages 2 --max-ops 1 --kernel\n5.10');
    for (const line of r.out.split('\n').slice(1)) if (!line.startsWith('open-p2-k2-n1 5.10 (E2)')) expect(line.length).toBeLessThanOrEqual(72);
  });

  it('exits 1 on the GUP-fast/fork race with two threads, 0 on 5.11', () => {
    const args = ['explore', '--threads', '2', '--pages', '1', '--max-ops', '1', '--ops', 'fork,pin-rw-fast'];
    const r = run(...args, '--kernel', '5.10');
    expect(r.code).toBe(1);
    expect(r.out).toContain('Reproduce: npx pincow explore --procs 2 --pages 1 --max-ops 1 --threads\n2 --ops pin-rw-fast,fork --kernel 5.10');
    expect(run(...args, '--kernel', '5.11').code).toBe(0);
  });

  it.each([
    [['--procs', '0'], '--procs must be an integer from 1 to 8, found "0"'],
    [['--max-ops', 'x'], '--max-ops must be an integer from 1 to 50, found "x"'],
    [['--max-ops', '1', '--max-ops', '2'], '--max-ops is given 2 times; give it once'],
    [['--ops', 'read,frob'], `unknown op "frob" in --ops; expected a comma list of ${OPEN_OP_NAMES.join(', ')} or the groups`],
    [['--setup', 'full'], '--setup must be written or mapped, found full'],
    [['--format', 'junit'], '--format junit is not supported here; expected text, json, itf, vitest, markdown'],
    [['--kernel', 'E12'], 'unknown kernel "E12"; expected a release such as 5.10 or 6.1'],
  ])('exits 2 on %j with a message naming what is accepted', (args, message) => {
    const r = run('explore', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
  });

  it('exits 3 when a bound stops it before a verdict', () => {
    const r = run('explore', '--procs', '2', '--pages', '2', '--max-ops', '2', '--kernel', '6.1', '--max-states', '50');
    expect(r.code).toBe(3);
    expect(r.out).toContain('incomplete');
  });

  it('--format json has the check fields plus what the open run covered', () => {
    const r = run('explore', '--max-ops', '1', '--kernel', '5.10,6.1', '--format', 'json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as Record<string, unknown>[];
    expect(j.map((o) => [o['scenario'], o['kernel'], o['verdict']])).toEqual([['open-p2-k1-n1', '5.10', 'violated'], ['open-p2-k1-n1', '6.1', 'holds']]);
    expect(j[0]!['open']).toMatchObject({ procs: 2, pages: 1, maxOps: 1, threads: 1, setup: 'written', command: 'explore --procs 2 --pages 1 --max-ops 1' });
  });

  it('--format itf writes a trace that pincow replay re-executes', () => {
    const r = run('explore', '--max-ops', '1', '--kernel', '5.10', '--format', 'itf', '--invariant', 'pinned-not-cow-shared');
    expect(r.code).toBe(1);
    const itf = JSON.parse(r.out) as { '#meta': { source: string } };
    expect(itf['#meta'].source).toBe('explore --procs 2 --pages 1 --max-ops 1');
  });
});

describe('pincow list ops', () => {
  it('names the open-mode alphabet, the default and the groups', () => {
    const r = run('list', 'ops');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Open mode alphabet (pincow explore --ops NAME,...; docs/open-mode.md):');
    for (const n of OPEN_OP_NAMES) expect(r.out).toMatch(new RegExp(`^${n}( \\*)?  \\[`, 'm'));
    expect(r.out).toContain('pin-ro *  [thread] pin VA ro');
    expect(r.out).toContain('    fast = pin-ro-fast,pin-rw-fast');
  });
});
