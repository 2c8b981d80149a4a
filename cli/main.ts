/**
 * The `pincow` command line: argument parsing (yargs), dispatch to the
 * commands, and the one place that maps outcomes to exit codes — 0 holds,
 * 1 violation (matrix: a cell differs), 2 bad input or usage (a message,
 * never a stack trace), 3 a resource bound hit before a verdict.
 */
import yargs from 'yargs';
import type { Argv } from 'yargs';
import { PincowError } from '../model/errors.js';
import { VERSION } from '../api/version.js';
import { EXIT_BOUND, EXIT_USAGE, processIo, progressIo, MAX_WORKERS } from './common.js';
import type { CommonArgs, Io } from './common.js';
import { runCheck } from './commands/check.js';
import { runFmt } from './commands/fmt.js';
import { LIST_WHAT, runList } from './commands/list.js';
import { runMatrix } from './commands/matrix.js';
import { runReplay } from './commands/replay.js';
import { runSimulate, simulateOptions } from './commands/simulate.js';
import type { SimulateArgs } from './commands/simulate.js';
import { exploreOptions, runExplore } from './commands/explore.js';
import type { ExploreArgs } from './commands/explore.js';

import { runMerge } from './commands/merge.js';
import type { MergeArgs } from './commands/merge.js';
import { setInterruptSource } from './interrupt.js';
import { MAX_SHARDS } from './shardArgs.js';

class UsageError extends Error {}

function common<T>(y: Argv<T>) {
  return y
    .option('kernel', { alias: 'k', type: 'string', describe: 'a release (5.10), an era id (E2), a comma list, or all' })
    .option('with', { type: 'string', array: true, describe: 'turn a behaviour switch on (what-if kernel)' })
    .option('without', { type: 'string', array: true, describe: 'turn a behaviour switch off' })
    .option('invariant', { alias: 'i', type: 'string', array: true, describe: 'check only these invariants' })
    .option('depth', { type: 'number', describe: 'BFS depth bound (steps from the initial state)' })
    .option('max-states', { type: 'number', describe: 'stop (exit 3) after this many distinct states' })
    .option('max-seconds', { type: 'number', describe: 'stop (exit 3) after this many seconds' })
    .option('max-memory', { type: 'number', describe: 'stop (exit 3) once the process uses this many MiB (resident)' })
    .option('workers', { type: 'string', describe: `BFS on N threads (this one and N-1 workers, 1-${MAX_WORKERS}, or auto: one per core) sharing one fingerprint table; same verdicts and counterexamples whatever N` })
    .option('strategy', { type: 'string', describe: 'bfs (default: shortest counterexamples) or dfs (depth-first, memory-light; counterexamples not shortest)' })
    .option('progress', { type: 'string', describe: 'progress on stderr: none, text or json (JSON lines); default text on a terminal, else none' })
    .option('progress-interval', { type: 'number', describe: 'seconds between progress reports (default 0.5 text, 1 json)' })
    .option('por', { type: 'boolean', default: true, describe: 'partial-order reduction (ample sets; --no-por explores the full graph)' })
    .option('symmetry', { type: 'boolean', default: true, describe: 'symmetry reduction over page frames (--no-symmetry: off)' })
    .option('format', { alias: 'f', type: 'string', default: 'text', describe: 'check: text|json|itf|vitest|markdown|junit; matrix: text|json|markdown|junit' });
}

const EPILOG = 'Exit codes: 0 holds, 1 violation (matrix: a cell differs from its expectation), 2 bad input, 3 bound hit before a verdict.';

function parser(argv: string[], io: Io, setCode: (n: number) => void) {
  return yargs(argv)
    .scriptName('pincow')
    .usage('pincow <command> [options]\n\nExhaustive model checker for Linux page pinning (GUP) and copy-on-write across kernel eras.')
    .command('check [scenarios..]', 'explore scenarios on kernels (default: the whole catalogue on the newest era)',
      (y) => common(y).positional('scenarios', { type: 'string', array: true, default: [], describe: 'built-in names or .pincow files' })
        .option('all-invariants', { type: 'boolean', describe: 'print a counterexample for every violated invariant, not only the first' })
        .option('out', { type: 'string', describe: 'directory for --format itf|vitest|markdown files (one per counterexample)' })
        .option('import-from', { type: 'string', describe: 'module the --format vitest test imports pincow from (default: pincow)' })
        .option('shard', { type: 'string', describe: `explore only shard i of N (i/N, 1 <= i <= N <= ${MAX_SHARDS}) of the graph beyond the cut level; writes --shard-out for pincow merge (docs/ci.md)` })
        .option('shard-depth', { type: 'number', describe: 'with --shard: the BFS level to split (default: the first level holding at least 32 states per shard)' })
        .option('shard-out', { type: 'string', describe: 'with --shard: the result file (default pincow-shard-<i>-of-<N>.json)' })
        .example('pincow check vmsplice-child-unmap --kernel 5.7 --format itf > t.json', 'a machine trace; then: pincow replay t.json')
        .example('pincow check ro-pin-previously-shared --kernel 5.10', 'a counterexample on 5.10 (exit 1)')
        .example('pincow check fork-after-pin --kernel all --format json', 'JSON, one object per kernel')
        .example('pincow check my.pincow --workers 2 --progress json', 'two threads; JSON-lines progress on stderr')
        .example('pincow check my.pincow --shard 2/4', 'the second quarter of a long proof (then: pincow merge pincow-shard-*-of-4.json)'),
      (a) => setCode(runCheck(a as unknown as CommonArgs & { scenarios: string[] }, progressIo(io, a as unknown as CommonArgs))))
    .command('matrix [scenarios..]', 'verdict table scenario x era, compared with expectations (default: catalogue x every era)',
      (y) => common(y).positional('scenarios', { type: 'string', array: true, default: [] })
        .example('pincow matrix', 'the regression suite of the kernel\'s pin/COW history')
        .example('pincow matrix --format markdown', 'for an issue tracker'),
      (a) => setCode(runMatrix(a as unknown as CommonArgs & { scenarios: string[] }, progressIo(io, a as unknown as CommonArgs))))
    .command('explore', 'open mode: every program of up to --max-ops operations per actor over an alphabet (--procs, --pages, --ops)',
      (y) => exploreOptions(common(y)),
      (a) => setCode(runExplore(a as unknown as ExploreArgs, progressIo(io, a as unknown as CommonArgs))))
    .command('merge <files..>', 'combine the shard files of one check --shard i/N run into one verdict (exit codes as for check)',
      (y) => y.positional('files', { type: 'string', array: true, demandOption: true, describe: 'all N shard files (pincow-shard-<i>-of-<N>.json)' })
        .option('format', { alias: 'f', type: 'string', default: 'text', describe: 'text|json|junit' })
        .option('all-invariants', { type: 'boolean', describe: 'print a counterexample for every violated invariant, not only the first' })
        .example('pincow merge pincow-shard-*-of-4.json', 'the verdict of a proof run as 4 shards (docs/ci.md)'),
      (a) => setCode(runMerge(a as unknown as MergeArgs, io)))
    .command('replay <trace>', 're-execute a saved ITF trace; exit 1 if it still violates what it claims',
      (y) => y.positional('trace', { type: 'string', demandOption: true }).example('pincow replay t.json', 'validate and re-render a trace'),
      (a) => setCode(runReplay(String(a['trace']), io)))
    .command('simulate <scenario>', 'seeded random walks, shrinking any violation found (beyond exhaustive bounds; proves nothing)',
      (y) => simulateOptions(y),
      (a) => setCode(runSimulate(a as unknown as SimulateArgs, io)))
    .command('list <what>', `what exists: ${LIST_WHAT.join(' | ')}`,
      (y) => y.positional('what', { type: 'string', demandOption: true }).example('pincow list kernels', 'eras and switches with their commits'),
      (a) => setCode(runList(String(a['what']), io)))
    .command('fmt <file>', 'print a scenario file in canonical form',
      (y) => y.positional('file', { type: 'string', demandOption: true }).example('pincow fmt my.pincow > tidy.pincow', 'the canonical form; formatting twice changes nothing'),
      (a) => setCode(runFmt(String(a['file']), io)))
    .demandCommand(1, 'a command is needed: check, matrix, explore, merge, simulate, replay, list or fmt')
    .strict()
    .recommendCommands()
    .epilog(EPILOG)
    .version(VERSION)
    .help()
    .wrap(Math.min(100, process.stdout.columns ?? 80))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err instanceof PincowError) throw err;
      throw new UsageError(msg ?? err?.message ?? 'bad usage');
    });
}

/** V8's errors when a typed array or buffer cannot be allocated (too large, or no memory left). */
function isAllocationFailure(e: unknown): e is RangeError {
  return e instanceof RangeError && /allocation failed|Invalid typed array length|Array buffer allocation|Invalid array buffer length/i.test(e.message);
}

/** Run the CLI; returns the exit code. */
export function main(argv: string[], io: Io = processIo): number {
  let code = 0;
  setInterruptSource(io.interrupted); // Ctrl-C for this command (cli/interrupt.ts)
  try {
    parser(argv, io, (n) => { code = n; }).parseSync();
    return code;
  } catch (e) {
    if (e instanceof PincowError) {
      io.err(`pincow: ${e.message}`);
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      io.err(`pincow: ${e.message}\nRun "pincow --help" for usage.`);
      return EXIT_USAGE;
    }
    if (isAllocationFailure(e)) {
      // A bound that was not set ends like one that was: incomplete, exit 3, no stack trace.
      io.err(`pincow: out of memory (${e.message}); the run is incomplete. Bound it with --max-memory MiB, --max-states N or --depth N, or use --strategy dfs`);
      return EXIT_BOUND;
    }
    throw e;
  }
}
