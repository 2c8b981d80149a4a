/**
 * `pincow check [SCENARIO...]`: each scenario on each selected kernel
 * (default: the newest era); a verdict line each, and the counterexample
 * of every violation. Exit 1 on any violation, 3 if a bound stopped a
 * run before a verdict, else 0.
 */
import { check } from '../../api/check.js';
import type { CheckResult } from '../../api/check.js';
import { boundsOf, EXIT_BOUND, EXIT_OK, EXIT_VIOLATION, formatOf, invariantsOf, kernelsOf, NEWEST, paint, scenariosOf } from '../common.js';
import type { CommonArgs, Io } from '../common.js';
import { resultJson } from '../json.js';
import { checkJunit } from '../junit.js';
import { progressDone, startRun } from '../progress.js';
import { interrupted } from '../interrupt.js';
import { shardLine, shardOf, writeShard } from '../shardArgs.js';
import type { ShardArgs } from '../shardArgs.js';
import { shardResult } from '../../api/shard.js';
import type { ShardResult } from '../../api/shard.js';
import { writeTraces } from '../traceOutput.js';
import type { Found } from '../traceOutput.js';
import { WIDTH, wrap } from '../../counterexamples/renderText.js';

export interface CheckArgs extends CommonArgs, ShardArgs {
  scenarios: string[];
  'all-invariants'?: boolean;
  out?: string;
  'import-from'?: string;
  por?: boolean;
  symmetry?: boolean;
}

/** `--no-por` / `--no-symmetry` as check() options (both reductions are on by default). */
export function reductionsOf(a: { por?: boolean; symmetry?: boolean }): { por?: boolean; symmetry?: boolean } {
  return { ...(a.por === false ? { por: false } : {}), ...(a.symmetry === false ? { symmetry: false } : {}) };
}

/** Which graph a result covers: `full graph`, or e.g. `graph reduced by POR and symmetry`. */
export function graphOf(b: CheckResult['bound']): string {
  const on = [b.por ? 'POR' : '', b.symmetry ? 'symmetry' : ''].filter((x) => x !== '');
  return on.length ? `graph reduced by ${on.join(' and ')}` : 'full graph';
}

function fmtSci(x: number): string {
  return x === 0 ? '0' : x.toExponential(1);
}

/**
 * `ro-pin-previously-shared 5.10 (E2): violated pin-coherent`, or for a
 * proof, what exactly was proved (checker-anchors §4.6, G6): which graph
 * (full, or reduced by POR and/or symmetry), how many BFS levels, whether
 * the queue was exhausted, and the fingerprint collision probability. An
 * exhausted reduced graph covers every reachable state of the full one; a
 * bounded one covers its own levels, and with POR a state N steps deep in
 * the full graph may lie deeper than level N of the reduced graph.
 */
export function verdictLine(io: Io, r: CheckResult): string {
  const head = `${r.scenario} ${r.kernel} (${r.era}):`;
  const st = r.stats;
  const graph = graphOf(r.bound);
  const reduced = r.bound.graph === 'reduced';
  if (r.verdict === 'violated') {
    const names = r.invariants.filter((i) => i.verdict === 'violated').map((i) => i.invariant).join(', ');
    const traces = !r.recheck ? '' : r.recheck.complete
      ? `; traces: shortest of the full graph (rechecked ${r.recheck.states} states)`
      : '; traces: shortest of the reduced graph (the full recheck hit a bound)';
    return [
      ...headline(io, head, 'violated', names),
      ...(reduced ? indent(`${st.states} states explored in the ${graph}, ${st.seconds.toFixed(2)} s${traces}`) : [`  ${st.states} states explored, ${st.seconds.toFixed(2)} s`]),
    ].join('\n');
  }
  const names = r.invariants.map((i) => i.invariant).join(', ');
  const collision = `P(fingerprint collision) ${fmtSci(st.collisionProbability)}; ${st.seconds.toFixed(2)} s`;
  if (r.verdict === 'holds' && !reduced) {
    return [
      ...headline(io, head, 'holds', names),
      `  proved: all ${st.states} reachable states (depth ${st.maxDepth}) of the ${graph},`,
      `  queue exhausted; ${collision}`,
    ].join('\n');
  }
  if (r.verdict === 'holds') {
    return [
      ...headline(io, head, 'holds', names),
      ...indent(`proved: all ${st.states} states (depth ${st.maxDepth}) of the ${graph}; queue exhausted: every reachable state is covered; ${collision}`),
    ].join('\n');
  }
  const por = r.bound.por ? ' (with POR, a state the full graph reaches in that many steps may lie deeper in the reduced graph; --no-por bounds the full graph)' : '';
  return [
    ...headline(io, head, 'incomplete', names),
    ...indent(`no violation in ${st.states} states to depth ${st.maxDepth} of the ${graph}; ${r.limit ?? 'bound reached'} before the queue was exhausted${por}`),
  ].join('\n');
}

const VERDICT_COLOUR = { violated: 'red', holds: 'green', incomplete: 'yellow' } as const;

/**
 * `SCENARIO KERNEL (ERA): VERDICT INVARIANTS`, wrapped to 72 columns (the
 * invariant list can be long) with continuation lines indented; the
 * verdict word is coloured after wrapping so escapes do not count as width.
 */
export function headline(io: Io, head: string, verdict: keyof typeof VERDICT_COLOUR, names: string): string[] {
  const [first = '', ...rest] = wrap(`${head} ${verdict} ${names}`, WIDTH);
  const coloured = `${head} ${paint(io, VERDICT_COLOUR[verdict], verdict)}${first.slice(head.length + 1 + verdict.length)}`;
  return [coloured, ...(rest.length ? indent(rest.join(' ')) : [])];
}

/** The counterexamples of a result: the first (all with --all-invariants), then a note naming the others. */
export function printCounterexamples(io: Io, invariants: CheckResult['invariants'], all: boolean): void {
  const traces = invariants.filter((iv) => iv.text);
  for (const iv of all ? traces : traces.slice(0, 1)) io.out(`\n${iv.text}\n`);
  if (!all && traces.length > 1) io.out(`${wrap(`(${traces.length - 1} more counterexample(s): ${traces.slice(1).map((t) => t.invariant).join(', ')}; see --all-invariants)`, WIDTH).join('\n')}\n`);
}

/** Wrapped to 72 columns with a two-space indent. */
function indent(text: string): string[] {
  return wrap(text, WIDTH - 2).map((l) => `  ${l}`);
}

/** Text: the verdict line, then the first counterexample (all of them with --all-invariants). */
function printText(io: Io, r: CheckResult, all: boolean): void {
  io.out(verdictLine(io, r));
  if (r.run?.strategy === 'dfs') io.out('  (depth-first search: counterexamples are real paths, not shortest ones)');
  printCounterexamples(io, r.invariants, all);
}

export function runCheck(a: CheckArgs, io: Io): number {
  const format = formatOf(a, ['text', 'json', 'itf', 'vitest', 'markdown', 'junit']);
  const kernels = kernelsOf(a, NEWEST);
  const invariants = invariantsOf(a);
  const bounds = boundsOf(a);
  const shard = shardOf(a);
  const scenarios = scenariosOf(a.scenarios);
  const found: Found[] = [];
  const shardResults: ShardResult[] = [];
  let notStarted = 0;
  for (const s of scenarios) {
    for (const k of kernels) {
      if (interrupted()) { // Ctrl-C: the run it stopped has printed what it covered; start no more
        notStarted++;
        continue;
      }
      const run = { scenario: s.name, kernel: k.label, era: k.era.id };
      const listener = startRun(io, format, run, { strategy: bounds.strategy ?? 'bfs', workers: bounds.workers ?? 1, ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}) });
      const r = check(s, k, { ...bounds, ...reductionsOf(a), ...(shard ? { shard: shard.spec } : {}), ...(invariants ? { invariants } : {}), ...(listener ? { listener } : {}) });
      progressDone(io, r);
      if (shard) {
        shardResults.push(shardResult(r, s, k, shard.depth));
        io.out(shardLine(io, r, shard));
        continue;
      }
      found.push({ scenario: s, kernel: k, result: r });
      if (format === 'text') printText(io, r, a['all-invariants'] === true);
    }
  }
  if (notStarted) io.err(`pincow: interrupted: ${notStarted} run(s) not started`);
  if (shard) return notStarted ? EXIT_BOUND : writeShard(io, shard, shardResults);
  const results = found.map((f) => f.result);
  if (format === 'json') io.out(JSON.stringify(results.map((r) => resultJson(r, r.model)), null, 2));
  if (format === 'junit') io.out(checkJunit(results));
  if (format === 'itf' || format === 'vitest' || format === 'markdown') writeTraces(found, format, io, a.out, a['import-from'] ?? 'pincow');
  if (results.some((r) => r.verdict === 'violated')) return EXIT_VIOLATION;
  if (results.some((r) => r.verdict === 'incomplete') || notStarted) return EXIT_BOUND;
  return EXIT_OK;
}
