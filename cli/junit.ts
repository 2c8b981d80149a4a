/**
 * `--format junit`: a JUnit XML report for CI dashboards (Jenkins, GitLab,
 * GitHub test reporters). One <testsuite> per scenario; one <testcase>
 * per kernel (`check`) or per matrix cell (`matrix`). A violation (check)
 * or a cell that differs from its expectation (matrix) is a <failure>
 * whose body is the counterexample text; a run a bound stopped before a
 * verdict is an <error> (exit code 3 for check).
 */
import type { CheckResult } from '../api/check.js';
import type { Cell } from '../api/matrix.js';

export interface JUnitProblem {
  /** a short line (the `message` attribute) */
  readonly message: string;
  /** the `type` attribute */
  readonly type: string;
  /** the element's text: a counterexample, an explanation */
  readonly body: string;
}

export interface JUnitCase {
  readonly name: string;
  readonly classname: string;
  readonly seconds: number;
  readonly failure?: JUnitProblem;
  readonly error?: JUnitProblem;
  /** <system-out>: what was proved, for a passing case */
  readonly out?: string;
}

export interface JUnitSuite {
  readonly name: string;
  readonly cases: readonly JUnitCase[];
}

/**
 * Text as XML character data or an attribute value: the five special
 * characters escaped, and characters XML 1.0 cannot carry at all (most
 * control characters, lone surrogates, U+FFFE/U+FFFF) written as `\u{..}`.
 */
export function xmlEscape(text: string): string {
  return text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function secs(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : '0.000';
}

function problem(tag: 'failure' | 'error', p: JUnitProblem): string {
  return `      <${tag} message="${xmlEscape(p.message)}" type="${xmlEscape(p.type)}">${xmlEscape(p.body)}</${tag}>`;
}

function testcase(c: JUnitCase): string {
  const open = `    <testcase name="${xmlEscape(c.name)}" classname="${xmlEscape(c.classname)}" time="${secs(c.seconds)}"`;
  const inner = [
    ...(c.failure ? [problem('failure', c.failure)] : []),
    ...(c.error ? [problem('error', c.error)] : []),
    ...(c.out ? [`      <system-out>${xmlEscape(c.out)}</system-out>`] : []),
  ];
  return inner.length ? [`${open}>`, ...inner, '    </testcase>'].join('\n') : `${open}/>`;
}

/** The JUnit XML document: <testsuites> with one <testsuite> per suite, counts and times summed. */
export function junitXml(name: string, suites: readonly JUnitSuite[]): string {
  const count = (cs: readonly JUnitCase[]) => ({
    tests: cs.length,
    failures: cs.filter((c) => c.failure).length,
    errors: cs.filter((c) => c.error).length,
    time: cs.reduce((t, c) => t + c.seconds, 0),
  });
  const attrs = (n: ReturnType<typeof count>) => `tests="${n.tests}" failures="${n.failures}" errors="${n.errors}" time="${secs(n.time)}"`;
  const all = count(suites.flatMap((s) => s.cases));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlEscape(name)}" ${attrs(all)}>`,
    ...suites.flatMap((s) => [
      `  <testsuite name="${xmlEscape(s.name)}" ${attrs(count(s.cases))} skipped="0">`,
      ...s.cases.map(testcase),
      '  </testsuite>',
    ]),
    '</testsuites>',
  ].join('\n');
}

/** Group in first-seen order. */
function byScenario<T extends { readonly scenario: string }>(xs: readonly T[]): [string, T[]][] {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(x.scenario, [...(m.get(x.scenario) ?? []), x]);
  return [...m.entries()];
}

function traces(r: CheckResult): string {
  return r.invariants.filter((i) => i.text).map((i) => i.text!).join('\n\n');
}

function checkCase(r: CheckResult): JUnitCase {
  const base = { name: `${r.kernel} (${r.era})`, classname: `check.${r.scenario}`, seconds: r.stats.seconds };
  const names = r.invariants.map((i) => i.invariant).join(', ');
  if (r.verdict === 'violated') {
    const bad = r.invariants.filter((i) => i.verdict === 'violated').map((i) => i.invariant).join(', ');
    return { ...base, failure: { message: `violated ${bad}`, type: 'violation', body: traces(r) } };
  }
  if (r.verdict === 'incomplete') {
    const why = `no violation of ${names} in ${r.stats.states} states to depth ${r.stats.maxDepth}; ${r.limit ?? 'a bound was reached'} before the queue was exhausted`;
    return { ...base, error: { message: `incomplete: ${r.limit ?? 'bound reached'}`, type: 'bound', body: why } };
  }
  return { ...base, out: `holds ${names}: all ${r.stats.states} reachable states (depth ${r.stats.maxDepth}) of the ${r.bound.por ? 'reduced' : 'full'} graph, queue exhausted` };
}

/** `pincow check --format junit`: a suite per scenario, a case per kernel. */
export function checkJunit(results: readonly CheckResult[]): string {
  return junitXml('pincow check', byScenario(results).map(([name, rs]) => ({ name, cases: rs.map(checkCase) })));
}

function cellCase(c: Cell): JUnitCase {
  const base = { name: `${c.era} (${c.kernel})`, classname: `matrix.${c.scenario}`, seconds: c.result.stats.seconds };
  const verdicts = c.invariants.map((i) => `${i.invariant} ${i.actual}`).join(', ');
  if (c.matches) return { ...base, out: `${verdicts}, as expected` };
  const diff = c.invariants.filter((i) => !i.matches).map((i) => `${i.invariant} ${i.actual}, expected ${i.expected}`);
  const body = [
    `${c.scenario} on ${c.kernel} (${c.era}) differs from its expectation:`,
    ...diff.map((d) => `  ${d}`),
    ...(c.result.limit ? [`  (${c.result.limit} before a verdict)`] : []),
    ...(traces(c.result) ? ['', traces(c.result)] : []),
  ].join('\n');
  return { ...base, failure: { message: diff.join('; '), type: 'mismatch', body } };
}

/** `pincow matrix --format junit`: a suite per scenario, a case per cell (era). */
export function matrixJunit(cells: readonly Cell[]): string {
  return junitXml('pincow matrix', byScenario(cells).map(([name, cs]) => ({ name, cases: cs.map(cellCase) })));
}
