/**
 * Scale-out and bounds, end to end through cli/main.ts main(argv, io):
 * `--workers 2` and `--shard i/N` + `merge` give the verdicts and
 * counterexamples of one worker on catalogue scenarios and eras; merge
 * refuses shards that are not one run; bad options exit 2 with what is
 * accepted; `--progress json` prints JSON lines; Ctrl-C (the Io's
 * `interrupted`), `--max-memory` and `--strategy dfs` end well. The
 * worker threads run the compiled dist/ (npm test builds it first; by
 * hand: npx tsc -p tsconfig.build.json), and the last test sends a real
 * SIGINT to the built executable.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { Io } from '../../cli/common.js';

interface Run { code: number; out: string; err: string }

function run(argv: string[], extra: Partial<Io> = {}): Run {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => { out.push(t); }, err: (t) => { err.push(t); }, colour: false, progress: false, ...extra };
  return { code: main(argv, io), out: out.join('\n'), err: err.join('\n') };
}

const dir = mkdtempSync(join(tmpdir(), 'pincow-scale-'));
const ROOT = join(__dirname, '..', '..');
const STRESS = join(ROOT, 'bench', 'stress.pincow');

/** The text with its line wrapping undone (verdict lines wrap at 72 columns). */
const flat = (s: string): string => s.replace(/\s+/g, ' ');

/** Timings differ from run to run; nothing else may. */
const untimed = (s: string): string => s.replace(/\d+\.\d\d s\b/g, 'T s');

/** Everything after each verdict's header lines: the counterexamples (and their Reproduce lines). */
const traces = (s: string): string => s.split('\n').filter((l) => !/^\S+ \S+ \(E\d\):/.test(l) && !/^ {2}\S/.test(l)).join('\n');

const CASES = [
  ['ro-pin-previously-shared', 'E0,E2,E5'],
  ['gup-fast-vs-fork', 'E1,E2,E3'],
  ['vmsplice-child-unmap', 'E0,E1,E9'],
  ['fork-after-pin', 'E0,E1,E2'],
] as const;

// (The catalogue scenarios' graphs are small: --workers answers them on
// one thread, explorer/smallFirst.ts; the stress graph runs on the threads.)
describe('--workers 2: the output of one worker', () => {
  it.each(CASES)('%s on %s', (name, kernels) => {
    const one = run(['check', name, '--kernel', kernels]);
    const two = run(['check', name, '--kernel', kernels, '--workers', '2']);
    expect(two.code).toBe(one.code);
    expect(untimed(two.out)).toBe(untimed(one.out));
  });
  it('JSON: the same verdicts, paths and state counts on a bigger graph', () => {
    for (const k of [['--kernel', '6.1'], ['--kernel', '5.10', '--invariant', 'pinned-not-cow-shared']]) {
      const args = ['check', STRESS, ...k, '--format', 'json'];
      const a = run(args);
      const b = run([...args, '--workers', '2']);
      expect(b.code).toBe(a.code);
      const pick = (r: Run): unknown => (JSON.parse(r.out) as { verdict: string; invariants: unknown; violations: { path: unknown }[]; stats: { states: number; transitions: number } }[])
        .map((o) => [o.verdict, o.invariants, o.violations.map((v) => v.path), o.stats.states, o.stats.transitions]);
      expect(pick(b)).toEqual(pick(a));
    }
  });
});

describe('--workers auto', () => {
  it('one thread per core (the start event says how many), the output of one worker', () => {
    const one = run(['check', 'gup-fast-vs-fork', '--kernel', '5.10']);
    const auto = run(['check', 'gup-fast-vs-fork', '--kernel', '5.10', '--workers', 'auto', '--progress', 'json']);
    expect(auto.code).toBe(one.code);
    expect(untimed(auto.out)).toBe(untimed(one.out));
    const start = JSON.parse(auto.err.split('\n')[0]!) as { workers: number };
    expect(start.workers).toBe(Math.min(64, availableParallelism()));
  });
});

describe('--shard i/N and merge: the verdicts and counterexamples of one run', () => {
  function shards(name: string, kernels: string, n: number, extra: string[] = []): { files: string[]; logs: Run[] } {
    const files: string[] = [];
    const logs: Run[] = [];
    for (let i = 1; i <= n; i++) {
      const f = join(dir, `${basename(name)}-${kernels}-${n}-${extra.join('')}-${i}.json`);
      logs.push(run(['check', name, '--kernel', kernels, '--shard', `${i}/${n}`, '--shard-out', f, ...extra]));
      files.push(f);
    }
    return { files, logs };
  }
  it.each(CASES)('%s on %s, 3 shards split at depth 2', (name, kernels) => {
    const one = run(['check', name, '--kernel', kernels]);
    const { files, logs } = shards(name, kernels, 3, ['--shard-depth', '2']);
    for (const l of logs) {
      expect(l.code).toBe(0);
      expect(l.out).toMatch(/shard \d\/3: results written to /);
    }
    const merged = run(['merge', ...files]);
    expect(merged.code).toBe(one.code);
    expect(traces(merged.out)).toBe(traces(one.out));
    const verdicts = (s: string): string[] => s.split('\n').filter((l) => /^\S+ \S+ \(E\d\):/.test(l));
    expect(verdicts(merged.out)).toEqual(verdicts(one.out));
    expect(flat(merged.out)).toMatch(/split at depth 2/);
  });
  it('a bigger graph, cut by the default rule: one shortest counterexample per invariant, as one run finds', () => {
    const inv = ['--invariant', 'pinned-not-cow-shared'];
    const one = run(['check', STRESS, '--kernel', '5.10', ...inv]);
    const { files, logs } = shards(STRESS, '5.10', 4, inv);
    expect(logs[0]!.out).toMatch(/states from \d+ of the \d+ states at depth \d+/);
    const merged = run(['merge', ...files]);
    expect(merged.code).toBe(1);
    expect(traces(merged.out)).toBe(traces(one.out));
    const split = /split at depth \d+: (\d+) states, (\d+)\/(\d+)\/(\d+)\/(\d+)\)/.exec(flat(merged.out))!;
    expect(Number(split[2]) + Number(split[3]) + Number(split[4]) + Number(split[5])).toBe(Number(split[1]));
  });
  it('a proof (exit 0) stays a proof; junit output works on the merge', () => {
    const { files } = shards('ro-pin-previously-shared', '6.1', 2, ['--shard-depth', '1']);
    const m = run(['merge', ...files]);
    expect(m.code).toBe(0);
    expect(m.out).toContain('holds');
    expect(flat(m.out)).toContain('proved by 2 shards');
    expect(run(['merge', ...files, '--format', 'junit']).out).toContain('tests="1" failures="0" errors="0"');
  });
  it('refuses shards that are not the N parts of one run (exit 2)', () => {
    const { files } = shards('fork-after-pin', '5.8', 3, ['--shard-depth', '1']);
    const other = shards('fork-after-pin', '5.10', 3, ['--shard-depth', '1']).files;
    const deeper = shards('fork-after-pin', '5.8', 3, ['--shard-depth', '2']).files;
    const two = shards('fork-after-pin', '5.8', 2, ['--shard-depth', '1']).files;
    const cases: [string[], RegExp][] = [
      [[files[0]!, files[1]!], /missing shard\(s\) 3\/3: merge needs all 3 shard files of the run \(got 1\/3, 2\/3\)/],
      [[files[0]!, files[1]!, files[1]!], /shard 2\/3 given twice/],
      [[files[0]!, files[1]!, other[2]!], /holds \[fork-after-pin .* on 5\.10\] but .* holds \[fork-after-pin .* on 5\.8\]/],
      [[files[0]!, files[1]!, deeper[2]!], /--shard-depth is 2 in .* but 1 in/],
      [[files[0]!, files[1]!, two[1]!], /is shard 2\/2, .* is shard 1\/3: all shards of a run have the same N/],
      [[STRESS], /not JSON/],
      [[join(dir, 'nope.json')], /cannot read shard file/],
    ];
    const notShard = join(dir, 'not-a-shard.json');
    writeFileSync(notShard, '{"format":"something-else"}');
    cases.push([[notShard], /not a shard result file; expected a file written by "pincow check --shard i\/N"/]);
    for (const [argv, msg] of cases) {
      const r = run(['merge', ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
    }
    const changed = JSON.parse(readFileSync(files[2]!, 'utf8')) as { results: { scenario: { source: string } }[] };
    changed.results[0]!.scenario.source += '\n# edited';
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify(changed));
    expect(run(['merge', files[0]!, files[1]!, edited]).code).toBe(2);
  });
});

describe('bad options: exit 2 and what is accepted', () => {
  it.each([
    [['--shard', '5/4'], /--shard 5\/4: expected i\/N, shard i of N, with 1 <= i <= N <= 4096/],
    [['--shard', '0/4'], /--shard 0\/4: expected i\/N/],
    [['--shard', 'half'], /--shard half: expected i\/N/],
    [['--shard', '1/2', '--shard-depth', '-1'], /--shard-depth must be a BFS level, a whole number >= 0, found -1/],
    [['--shard-depth', '3'], /--shard-depth and --shard-out go with --shard i\/N/],
    [['--shard', '1/2', '--format', 'json'], /--shard writes its results to a file .* is for "pincow merge"/],
    [['--shard', '1/2', '--strategy', 'dfs'], /--shard needs --strategy bfs/],
    [['--workers', '0'], /--workers must be a whole number from 1 to 64, found 0/],
    [['--workers', '1.5'], /--workers must be a whole number from 1 to 64, found 1.5/],
    [['--workers', '65'], /--workers must be a whole number from 1 to 64, found 65/],
    [['--workers', 'all'], /--workers must be a whole number from 1 to 64, found all; or auto \(one per core: \d+ here\)/],
    [['--workers', ''], /--workers must be a whole number from 1 to 64, found nothing; or auto/],
    [['--workers', '2', '--workers', '3'], /--workers must be a whole number from 1 to 64, found 2,3/],
    [['--strategy', 'dsf'], /--strategy dsf is not known; expected bfs .* or dfs .*did you mean "dfs"/],
    [['--strategy', 'dfs', '--workers', '2'], /--workers needs --strategy bfs/],
    [['--progress', 'loud'], /--progress loud is not known; expected none, text or json/],
    [['--progress-interval', '-1'], /--progress-interval must be a number of seconds >= 0, found -1/],
    [['--max-memory', '0'], /--max-memory must be a positive number, found 0/],
  ])('check %j', (extra, msg) => {
    const r = run(['check', 'fork-after-pin', ...extra]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });
  it('merge without files', () => {
    const r = run(['merge']);
    expect(r.code).toBe(2);
  });
  it('help names the new options (the executable)', () => {
    const help = spawnSync(process.execPath, [join(ROOT, 'bin', 'pincow.js'), 'check', '--help'], { encoding: 'utf8' }).stdout;
    for (const o of ['--workers', '--shard ', '--shard-depth', '--shard-out', '--strategy', '--max-memory', '--progress ', '--progress-interval']) expect(help).toContain(o);
    expect(spawnSync(process.execPath, [join(ROOT, 'bin', 'pincow.js'), 'merge', '--help'], { encoding: 'utf8' }).stdout).toContain('all N shard files');
  });
});

describe('--progress', () => {
  it('json: JSON lines on stderr, start, progress events with the documented keys, done matching the result', () => {
    const r = run(['check', 'gup-fast-vs-fork', '--kernel', '5.10', '--progress', 'json', '--progress-interval', '0', '--format', 'json']);
    expect(r.code).toBe(1);
    const events = r.err.split('\n').filter((l) => l).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toEqual({ event: 'start', scenario: 'gup-fast-vs-fork', kernel: '5.10', era: 'E2', strategy: 'bfs', workers: 1 });
    const progress = events.filter((e) => e['event'] === 'progress');
    expect(progress.length).toBeGreaterThan(2);
    for (const p of progress) {
      expect(Object.keys(p).sort()).toEqual(['depth', 'event', 'kernel', 'memoryMiB', 'queue', 'scenario', 'seconds', 'states', 'statesPerSecond', 'transitions']);
    }
    const done = events[events.length - 1]!;
    const result = (JSON.parse(r.out) as { stats: { states: number }; verdict: string }[])[0]!;
    expect(done).toMatchObject({ event: 'done', scenario: 'gup-fast-vs-fork', kernel: '5.10', era: 'E2', verdict: 'violated', violated: ['pinned-not-cow-shared'], states: result.stats.states, limit: null });
    expect(events.map((e) => e['event'])).toEqual(['start', ...progress.map(() => 'progress'), 'done']);
  });
  it('none by default when stderr is not a terminal; text when asked', () => {
    expect(run(['check', 'gup-fast-vs-fork', '--kernel', '5.10']).err).toBe('');
    const t = run(['check', 'gup-fast-vs-fork', '--kernel', '5.10', '--progress', 'text', '--progress-interval', '0']);
    expect(t.err).toMatch(/^gup-fast-vs-fork 5\.10: \d+ states, \d+ states\/s, depth \d+, queue \d+, \d+ MiB$/m);
    expect(run(['check', 'gup-fast-vs-fork', '--kernel', '5.10', '--progress', 'none'], { progress: true }).err).toBe('');
  });
});

describe('bounds that end well', () => {
  it('Ctrl-C (the Io says interrupted): stops at a check point, prints what it covered, exit 3; no further runs start', () => {
    let asked = 0;
    const r = run(['check', STRESS, 'fork-after-pin', '--kernel', '6.1'], { interrupted: () => ++asked > 2 });
    expect(r.code).toBe(3);
    expect(flat(r.out)).toMatch(/bench-stress 6\.1 \(E5\): incomplete .* no violation in \d+ states to depth \d+ of the .*graph.*; interrupted before the queue was exhausted/);
    expect(r.err).toContain('pincow: interrupted: 1 run(s) not started');
    expect(r.out).not.toContain('fork-after-pin');
  });
  it('with worker threads and with DFS too', () => {
    for (const extra of [['--workers', '2'], ['--strategy', 'dfs']]) {
      let asked = 0;
      const r = run(['check', STRESS, '--kernel', '6.1', ...extra], { interrupted: () => ++asked > 3 });
      expect(r.code, extra.join(' ')).toBe(3);
      expect(flat(r.out)).toContain('interrupted before the queue was exhausted');
    }
  });
  it('--max-memory: exit 3 naming the bound', () => {
    const r = run(['check', STRESS, '--kernel', '6.1', '--max-memory', '1']);
    expect(r.code).toBe(3);
    expect(flat(r.out)).toContain('memory bound 1 MiB reached before the queue was exhausted');
  });
  it('--strategy dfs: the verdicts of BFS, and it says its counterexamples are not shortest', () => {
    for (const [name, kernel] of [['vmsplice-child-unmap', '5.7'], ['vmsplice-child-unmap', '6.1'], ['gup-fast-vs-fork', '5.10']] as const) {
      const bfs = run(['check', name, '--kernel', kernel]);
      const dfs = run(['check', name, '--kernel', kernel, '--strategy', 'dfs']);
      expect(dfs.code).toBe(bfs.code);
      expect(dfs.out.split('\n')[0]).toBe(bfs.out.split('\n')[0]);
      expect(dfs.out).toContain('(depth-first search: counterexamples are real paths, not shortest ones)');
    }
  });
  it('--strategy dfs: the Reproduce line names the options the path depends on, and reruns the same trace', () => {
    const args = ['check', 'gup-fast-vs-fork', '--kernel', '5.10', '--strategy', 'dfs', '--no-por'];
    const first = run(args);
    expect(first.code).toBe(1);
    const line = flat(first.out).match(/Reproduce: npx pincow (.*?--no-por)/)?.[1];
    expect(line).toBe('check gup-fast-vs-fork --kernel 5.10 --strategy dfs --no-por');
    const again = run(line!.split(' '));
    expect(again.out).toBe(first.out);
    expect(flat(run(['check', 'gup-fast-vs-fork', '--kernel', '5.10']).out)).toMatch(/Reproduce: npx pincow check gup-fast-vs-fork --kernel 5.10\s/);
  });
});

describe('the executable and a real Ctrl-C', () => {
  it('SIGINT during a long check: stops, prints the coverage, exit 3', async () => {
    const big = join(dir, 'big.pincow');
    writeFileSync(big, readFileSync(STRESS, 'utf8').replace('  unpin pin0\n', '  unpin pin0\n  read A\n  write B\n').replace('  unpin pb\n', '  unpin pb\n  write B\n  read A\n'));
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'pincow.js'), 'check', big, '--kernel', '6.1', '--progress', 'json', '--progress-interval', '0.05'], { env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => { out += String(d); });
    child.stderr.on('data', (d: Buffer) => {
      err += String(d);
      if (!sent && err.includes('"event":"progress"')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(sent).toBe(true);
    expect(code).toBe(3);
    expect(err).toContain('pincow: interrupted: stopping at the next check point');
    expect(err).toMatch(/"event":"done".*"verdict":"incomplete".*"limit":"interrupted"/);
    expect(flat(out)).toContain('interrupted before the queue was exhausted');
  });
});
