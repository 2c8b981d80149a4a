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
import { progressListener } from '../progress.js';
import { writeTraces } from '../traceOutput.js';
import type { Found } from '../traceOutput.js';

export interface CheckArgs extends CommonArgs {
  scenarios: string[];
  'all-invariants'?: boolean;
  out?: string;
  'import-from'?: string;
}

function fmtSci(x: number): string {
  return x === 0 ? '0' : x.toExponential(1);
}

/**
 * `ro-pin-previously-shared 5.10 (E2): violated pin-coherent`, or for a
 * proof, what exactly was proved: which graph, how deep, whether the queue
 * was exhausted, and the fingerprint collision probability.
 */
export function verdictLine(io: Io, r: CheckResult): string {
  const head = `${r.scenario} ${r.kernel} (${r.era}):`;
  const st = r.stats;
  if (r.verdict === 'violated') {
    const names = r.invariants.filter((i) => i.verdict === 'violated').map((i) => i.invariant).join(', ');
    return `${head} ${paint(io, 'red', 'violated')} ${names}\n  ${st.states} states explored, ${st.seconds.toFixed(2)} s`;
  }
  const names = r.invariants.map((i) => i.invariant).join(', ');
  const graph = `${r.bound.por ? 'reduced' : 'full'} graph`;
  if (r.verdict === 'holds') {
    return [
      `${head} ${paint(io, 'green', 'holds')} ${names}`,
      `  proved: all ${st.states} reachable states (depth ${st.maxDepth}) of the ${graph},`,
      `  queue exhausted; P(fingerprint collision) ${fmtSci(st.collisionProbability)}; ${st.seconds.toFixed(2)} s`,
    ].join('\n');
  }
  return [
    `${head} ${paint(io, 'yellow', 'incomplete')} ${names}`,
    `  no violation in ${st.states} states to depth ${st.maxDepth} of the ${graph};`,
    `  ${r.limit ?? 'bound reached'} before the queue was exhausted`,
  ].join('\n');
}

/** Text: the verdict line, then the first counterexample (all of them with --all-invariants). */
function printText(io: Io, r: CheckResult, all: boolean): void {
  io.out(verdictLine(io, r));
  const traces = r.invariants.filter((iv) => iv.text);
  for (const iv of all ? traces : traces.slice(0, 1)) io.out(`\n${iv.text}\n`);
  if (!all && traces.length > 1) io.out(`(${traces.length - 1} more counterexample(s): ${traces.slice(1).map((t) => t.invariant).join(', ')}; see --all-invariants)\n`);
}

export function runCheck(a: CheckArgs, io: Io): number {
  const format = formatOf(a, ['text', 'json', 'itf', 'vitest', 'markdown', 'junit']);
  const kernels = kernelsOf(a, NEWEST);
  const invariants = invariantsOf(a);
  const bounds = boundsOf(a);
  const scenarios = scenariosOf(a.scenarios);
  const found: Found[] = [];
  for (const s of scenarios) {
    for (const k of kernels) {
      const listener = io.progress && format === 'text' ? progressListener(io, `${s.name} ${k.label}`) : undefined;
      const r = check(s, k, { ...bounds, ...(invariants ? { invariants } : {}), ...(listener ? { listener } : {}) });
      found.push({ scenario: s, kernel: k, result: r });
      if (format === 'text') printText(io, r, a['all-invariants'] === true);
    }
  }
  const results = found.map((f) => f.result);
  if (format === 'json') io.out(JSON.stringify(results.map((r) => resultJson(r, r.model)), null, 2));
  if (format === 'junit') io.out(checkJunit(results));
  if (format === 'itf' || format === 'vitest' || format === 'markdown') writeTraces(found, format, io, a.out, a['import-from'] ?? 'pincow');
  if (results.some((r) => r.verdict === 'violated')) return EXIT_VIOLATION;
  if (results.some((r) => r.verdict === 'incomplete')) return EXIT_BOUND;
  return EXIT_OK;
}
