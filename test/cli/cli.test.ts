// End-to-end: the real bin (built by `npm test` before vitest runs), its
// exit codes, its output formats and its messages for bad input.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedVerdict } from '../../scenario/compile.js';
import { catalogNames, loadScenario } from '../../scenario/catalog.js';

const BIN = join(__dirname, '..', '..', 'bin', 'pincow.js');

function run(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function scenarioFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pincow-'));
  const f = join(dir, 'bad.pincow');
  writeFileSync(f, text);
  return f;
}

describe('pincow check', () => {
  it('exits 1 with a trace showing the parent COWing away from the pinned page (5.10)', () => {
    const r = run('check', 'ro-pin-previously-shared', '--kernel', '5.10');
    expect(r.code).toBe(1);
    expect(r.out).toContain('pin-coherent violated');
    expect(r.out).toMatch(/do_wp_page: write fault on R\/O page#1: refcount 1025\s+!= 1 -> copy/);
    expect(r.out).toContain('P0:A page#1 R/O -> page#2 RW');
    expect(r.out).toContain('Observation ro-pin-previously-shared 5.10 Sometimes');
    for (const line of r.out.split('\n')) expect(line.length).toBeLessThanOrEqual(72);
  });
  it.each([
    ['ro-pin-previously-shared', '6.1', 0], ['ro-pin-previously-shared', '5.8', 0],
    ['vmsplice-child-unmap', '5.7', 1], ['vmsplice-child-unmap', '5.10', 0],
    ['gup-fast-vs-fork', '5.10', 1], ['gup-fast-vs-fork', '5.11', 0],
    ['fork-after-pin', '5.8', 1], ['fork-after-pin', '5.10', 0],
  ])('%s --kernel %s exits %i', (name, kernel, code) => {
    expect(run('check', name, '--kernel', kernel).code).toBe(code);
  });
  it('vmsplice-child-unmap on 5.7 names no-missed-cow', () => {
    expect(run('check', 'vmsplice-child-unmap', '--kernel', '5.7').out).toContain('no-missed-cow violated');
  });
  it('with no argument checks every catalogue scenario on the newest era, one verdict each', () => {
    // Some catalogue scenarios show problems still open on the newest kernel
    // (uprobes and KSM replace pinned pages, migration unmaps them for a
    // moment), so `check` exits 1 and names exactly those.
    const r = run('check');
    expect(r.code).toBe(1);
    const verdicts = r.out.split('\n').filter((l) => / \(E9\): /.test(l));
    expect(verdicts.length).toBe(run('list', 'scenarios').out.split('\n').filter((l) => /^\S/.test(l)).length);
    const violated = verdicts.filter((l) => l.includes('): violated')).map((l) => l.split(' ')[0]);
    const expected = catalogNames().filter((n) => {
      const s = loadScenario(n);
      return s.invariants.some((i) => expectedVerdict(s, i, 'E9') === 'violated');
    });
    expect(violated).toEqual(expected);
    expect(violated.length).toBeGreaterThan(0);
  });
  it('--format json parses and has the documented fields', () => {
    const r = run('check', 'gup-fast-vs-fork', '--kernel', '5.10,6.1', '--format', 'json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as Record<string, unknown>[];
    expect(j.map((o) => [o['kernel'], o['era'], o['verdict']])).toEqual([['5.10', 'E2', 'violated'], ['6.1', 'E5', 'holds']]);
    // Reductions are on by default (issue #4); the violation's trace comes from a full-graph recheck.
    expect(j[0]).toMatchObject({
      scenario: 'gup-fast-vs-fork', invariant: 'pinned-not-cow-shared',
      bound: { graph: 'reduced', por: true, symmetry: true, exhausted: false }, recheck: { complete: true },
    });
    expect(j[1]).toMatchObject({ bound: { graph: 'reduced', por: true, exhausted: true } });
    expect(Object.keys(j[0]!['bound'] as object).sort()).toEqual(['depth', 'exhausted', 'graph', 'levels', 'por', 'symmetry']);
    expect(Object.keys(j[0]!['stats'] as object).sort()).toEqual(['bytesPerState', 'collisionProbability', 'maxDepth', 'seconds', 'states', 'statesPerSecond', 'transitions']);
    expect(Array.isArray(j[0]!['trace'])).toBe(true);
  });
  it('--no-por --no-symmetry explores the full graph and says so; the trace is the same', () => {
    const full = run('check', 'gup-fast-vs-fork', '--kernel', '5.10', '--format', 'json', '--no-por', '--no-symmetry');
    const red = run('check', 'gup-fast-vs-fork', '--kernel', '5.10', '--format', 'json');
    const f = (JSON.parse(full.out) as Record<string, unknown>[])[0]!;
    const d = (JSON.parse(red.out) as Record<string, unknown>[])[0]!;
    expect(f).toMatchObject({ bound: { graph: 'full', por: false, symmetry: false } });
    expect(f['recheck']).toBeUndefined();
    expect(d['violations']).toEqual(f['violations']);
  });
  it('a proof states the graph, its depth, the exhausted queue and the collision probability', () => {
    const red = run('check', 'ro-pin-previously-shared', '--kernel', '6.1');
    expect(red.code).toBe(0);
    expect(red.out).toMatch(/proved: all \d+ states \(depth \d+\) of the graph reduced by POR and\s+symmetry; queue exhausted: every reachable state is covered;\s+P\(fingerprint collision\) [\d.e-]+/);
    const full = run('check', 'ro-pin-previously-shared', '--kernel', '6.1', '--no-por', '--no-symmetry');
    expect(full.out).toMatch(/proved: all 24 reachable states \(depth 19\) of the full graph,\s+queue exhausted; P\(fingerprint collision\) 1\.5e-17/);
    for (const line of [...red.out.split('\n'), ...full.out.split('\n')]) expect(line.length).toBeLessThanOrEqual(72);
  });
  it('exits 3 when the depth bound stops it before a verdict', () => {
    const r = run('check', 'fork-after-pin', '--depth', '3');
    expect(r.code).toBe(3);
    expect(r.out).toContain('incomplete');
    // a bounded reduced run says what its depth does not cover
    expect(r.out).toMatch(/with\s+POR, a state the full graph reaches in that many steps may lie\s+deeper/);
  });
});

describe('pincow matrix', () => {
  it('prints catalogue x E0-E9 and exits 0 when every cell matches', () => {
    const r = run('matrix');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/E0\s+E1\s+E2\s+E3\s+E4\s+E5\s+E6\s+E7\s+E8\s+E9/);
    expect(r.out).toMatch(/ro-pin-previously-shared\s+\.\s+\.\s+V\s+V\s+V\s+\.\s+\.\s+\.\s+\.\s+\./);
    expect(r.out).toContain('all match their expectations');
  });
  it('exits 1 when a cell differs from the expectation', () => {
    const f = scenarioFile('scenario wrong\nsetup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw\n  fork P1\n  write A\nexpect pin-coherent holds on all\n');
    const r = run('matrix', f, '--kernel', '5.7');
    expect(r.code).toBe(1);
    expect(r.out).toContain('wrong on 5.7 (E0): pin-coherent violated, expected holds');
  });
});

describe('bad input: exit 2, file:line:col, no stack trace', () => {
  it.each([
    ['a misspelt op', 'scenario x\nsetup:\n  P0: mmap A anon; wrte A\nP0:\n  write A\n', /bad\.pincow:3:20: "wrte" is not an operation.*did you mean "write"/],
    ['a misspelt verdict', 'scenario x\nP0:\n  mmap A\nexpect pin-coherent hold on all\n', /bad\.pincow:4:21: expected "holds" or "violated"/],
    ['an unknown VA', 'scenario x\nP0:\n  mmap A\n  write B\n', /bad\.pincow:4:9: unknown VA "B"/],
    ['an unknown invariant', 'scenario x\nP0:\n  mmap A\nexpect pin-coherant holds on all\n', /bad\.pincow:4:8: unknown invariant "pin-coherant".*did you mean "pin-coherent"/],
    ['a bad kernel range', 'scenario x\nP0:\n  mmap A\nexpect pin-coherent holds on 9..x\n', /bad\.pincow:4:30: unknown kernel range/],
  ])('%s', (_what, text, message) => {
    const r = run('check', scenarioFile(text));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
  it.each([
    [['check', '--kernel', '4.x'], /unknown kernel "4.x"/],
    [['check', 'no-such-scenario'], /unknown scenario/],
    [['check', '--with', 'no-such-switch'], /unknown switch/],
    [['check', '--invariant', 'pin-coherant'], /did you mean "pin-coherent"/],
    [['check', '--format', 'xml'], /--format xml is not supported/],
    [['check', '--depth', '-1'], /--depth must be a positive number/],
    [['check', '--bogus'], /Unknown argument: bogus/],
    [['list', 'things'], /cannot list "things"/],
    [['check', '/nonexistent/x.pincow'], /cannot read scenario file/],
    [[], /a command is needed/],
  ])('%j', (args, message) => {
    const r = run(...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe('pincow list and fmt', () => {
  it('lists scenarios, invariants, kernels with commits, ops with kernel functions', () => {
    expect(run('list', 'scenarios').out).toContain('ro-pin-previously-shared');
    expect(run('list', 'invariants').out).toContain('kernel-asserts');
    expect(run('list', 'kernels').out).toContain('57efa1fe5957');
    expect(run('list', 'ops').out).toContain('gup_fast_pte_range');
  });
  it('fmt round-trips every catalogue file unchanged', () => {
    const names = run('list', 'scenarios').out.split('\n').filter((l) => /^\S/.test(l)).map((l) => l.split(':')[0]!);
    for (const n of names) {
      const file = join(__dirname, '..', '..', 'catalog', `${n}.pincow`);
      const formatted = execFileSync(process.execPath, [BIN, 'fmt', file], { encoding: 'utf8' });
      expect(formatted).toBe(readFileSync(file, 'utf8'));
    }
  });
});
