/**
 * `pincow explore`: open mode (docs/open-mode.md). Every program of up to
 * --max-ops operations per actor over the --ops alphabet, with --procs
 * processes and --pages anonymous pages, explored exhaustively on each
 * selected kernel. Prints what the run covers, then the verdict exactly as
 * `check` does (what was proved: which graph, depth, exhausted or not,
 * collision probability) and the counterexample of a violation, whose
 * `Reproduce:` line is this command. Exit 0 holds, 1 violated, 2 bad
 * options, 3 a bound stopped it first.
 */
import type { Argv } from 'yargs';
import { exploreOpen, openMeaning, openScenario } from '../../api/explore.js';
import type { ExploreResult } from '../../api/explore.js';
import { wrap, WIDTH } from '../../counterexamples/renderText.js';
import { OPEN_DEFAULTS, openSpec } from '../../scenario/open.js';
import type { OpenSpec } from '../../scenario/open.js';
import { boundsOf, EXIT_BOUND, EXIT_OK, EXIT_VIOLATION, formatOf, invariantsOf, kernelsOf, NEWEST } from '../common.js';
import type { CommonArgs, Io } from '../common.js';
import { resultJson } from '../json.js';
import { interrupted } from '../interrupt.js';
import { progressDone, startRun } from '../progress.js';
import { writeTraces } from '../traceOutput.js';
import type { Found } from '../traceOutput.js';
import { printCounterexamples, reductionsOf, verdictLine } from './check.js';

export interface ExploreArgs extends CommonArgs {
  por?: boolean;
  symmetry?: boolean;
  procs?: unknown;
  pages?: unknown;
  'max-ops'?: unknown;
  threads?: unknown;
  setup?: unknown;
  ops?: string[];
  'all-invariants'?: boolean;
  out?: string;
  'import-from'?: string;
}

/** The options of `pincow explore` (for cli/main.ts); counts are strings, validated by openSpec(). */
export function exploreOptions<T>(y: Argv<T>) {
  return y
    .option('procs', { alias: 'P', type: 'string', requiresArg: true, describe: `processes: P0 plus slots that fork fills (default ${OPEN_DEFAULTS.procs})` })
    .option('pages', { alias: 'K', type: 'string', requiresArg: true, describe: `anonymous pages of P0, written once in setup (default ${OPEN_DEFAULTS.pages})` })
    .option('max-ops', { alias: 'N', type: 'string', requiresArg: true, describe: `operations per actor, at most (default ${OPEN_DEFAULTS.maxOps})` })
    .option('ops', { type: 'string', array: true, describe: 'the alphabet, a comma list of ops or groups (pincow list ops; default: the "default" group)' })
    .option('threads', { type: 'string', requiresArg: true, describe: `threads of P0 (default ${OPEN_DEFAULTS.threads}; GUP-fast races need 2)` })
    .option('setup', { type: 'string', requiresArg: true, describe: 'written (default: pages present, written once) or mapped (VMAs only)' })
    .option('all-invariants', { type: 'boolean', describe: 'print a counterexample for every violated invariant, not only the first' })
    .option('out', { type: 'string', describe: 'directory for --format itf|vitest|markdown files (one per counterexample)' })
    .option('import-from', { type: 'string', describe: 'module the --format vitest test imports pincow from (default: pincow)' })
    .example('pincow explore --procs 2 --pages 2 --max-ops 3 --kernel 6.1', 'a proof on the full graph (exit 0)')
    .example('pincow explore --procs 2 --pages 2 --max-ops 1 --kernel 5.10', 'the R/O pin of a COW-shared page (exit 1)')
    .example('pincow explore --threads 2 --pages 1 --max-ops 1 --ops default,pin-rw-fast --kernel 5.10', 'GUP-fast racing fork (exit 1)');
}

function specOf(a: ExploreArgs): OpenSpec {
  return openSpec({ procs: a.procs, pages: a.pages, maxOps: a['max-ops'], threads: a.threads, setup: a.setup, ops: a.ops });
}

function printText(io: Io, r: ExploreResult, all: boolean): void {
  io.out(verdictLine(io, r));
  if (r.run?.strategy === 'dfs') io.out('  (depth-first search: counterexamples are real paths, not shortest ones)');
  printCounterexamples(io, r.invariants, all);
}

export function runExplore(a: ExploreArgs, io: Io): number {
  const format = formatOf(a, ['text', 'json', 'itf', 'vitest', 'markdown']);
  const spec = specOf(a);
  const kernels = kernelsOf(a, NEWEST);
  const invariants = invariantsOf(a);
  const bounds = boundsOf(a);
  const scenario = openScenario(spec);
  if (format === 'text') io.out(wrap(`open mode: ${openMeaning(spec)}.`, WIDTH).join('\n'));
  const found: (Found & { result: ExploreResult })[] = [];
  let notStarted = 0;
  for (const k of kernels) {
    if (interrupted()) { // Ctrl-C: the run it stopped has printed what it covered; start no more
      notStarted++;
      continue;
    }
    const run = { scenario: scenario.name, kernel: k.label, era: k.era.id };
    const listener = startRun(io, format, run, { strategy: bounds.strategy ?? 'bfs', workers: bounds.workers ?? 1 });
    const r = exploreOpen(spec, k, { ...bounds, ...reductionsOf(a), ...(invariants ? { invariants } : {}), ...(listener ? { listener } : {}) });
    progressDone(io, r);
    found.push({ scenario, kernel: k, result: r });
    if (format === 'text') printText(io, r, a['all-invariants'] === true);
  }
  if (notStarted) io.err(`pincow: interrupted: ${notStarted} run(s) not started`);
  const results = found.map((f) => f.result);
  if (format === 'json') {
    io.out(JSON.stringify(results.map((r) => ({ ...resultJson(r, r.model), open: { ...r.spec, command: r.command, meaning: openMeaning(r.spec) } })), null, 2));
  }
  if (format === 'itf' || format === 'vitest' || format === 'markdown') writeTraces(found, format, io, a.out, a['import-from'] ?? 'pincow');
  if (results.some((r) => r.verdict === 'violated')) return EXIT_VIOLATION;
  if (results.some((r) => r.verdict === 'incomplete') || notStarted) return EXIT_BOUND;
  return EXIT_OK;
}
