/**
 * `pincow matrix [SCENARIO...]`: the table scenario × kernel era (default:
 * every era), each cell compared with the scenario's expectations. Exit 0
 * only when every cell matches.
 */
import { matrix } from '../../api/matrix.js';
import type { Cell } from '../../api/matrix.js';
import { ERAS } from '../../model/kernels.js';
import { WIDTH, wrap } from '../../counterexamples/renderText.js';
import { boundsOf, EXIT_OK, EXIT_VIOLATION, formatOf, invariantsOf, kernelsOf, paint, scenariosOf } from '../common.js';
import type { CommonArgs, Io } from '../common.js';
import { resultJson } from '../json.js';
import { matrixJunit } from '../junit.js';
import { reductionsOf } from './check.js';

export interface MatrixArgs extends CommonArgs {
  scenarios: string[];
  por?: boolean;
  symmetry?: boolean;
}

/** `.` holds, `V` violated, `?` incomplete; `!` marks a cell that differs from its expectation. */
function mark(c: Cell): string {
  const v = c.verdict === 'violated' ? 'V' : c.verdict === 'holds' ? '.' : '?';
  return c.matches ? v : `${v}!`;
}

function table(io: Io, cells: readonly Cell[]): string[] {
  const kernels = [...new Set(cells.map((c) => `${c.kernel}`))];
  const names = [...new Set(cells.map((c) => c.scenario))];
  const w = Math.min(28, Math.max(8, ...names.map((n) => n.length)) + 1);
  const eraOf = (k: string): string => cells.find((c) => c.kernel === k)!.era;
  const lines = [''.padEnd(w) + kernels.map((k) => eraOf(k).padEnd(4)).join('').trimEnd()];
  for (const n of names) {
    const row = kernels.map((k) => {
      const c = cells.find((x) => x.scenario === n && x.kernel === k)!;
      const m = mark(c).padEnd(4);
      return c.matches ? m : paint(io, 'red', m);
    });
    lines.push((n.length >= w ? `${n.slice(0, w - 2)}~ ` : n.padEnd(w)) + row.join('').trimEnd());
  }
  return lines;
}

function mismatches(cells: readonly Cell[]): string[] {
  return cells.filter((c) => !c.matches).flatMap((c) => c.invariants.filter((i) => !i.matches).map((i) =>
    `  ${c.scenario} on ${c.kernel} (${c.era}): ${i.invariant} ${i.actual}, expected ${i.expected}`));
}

function markdown(cells: readonly Cell[]): string {
  const kernels = [...new Set(cells.map((c) => c.kernel))];
  const names = [...new Set(cells.map((c) => c.scenario))];
  const head = `| scenario | ${kernels.map((k) => `${cells.find((c) => c.kernel === k)!.era} (${k})`).join(' | ')} |`;
  const sep = `|---|${kernels.map(() => '---').join('|')}|`;
  const rows = names.map((n) => `| ${n} | ${kernels.map((k) => mark(cells.find((c) => c.scenario === n && c.kernel === k)!)).join(' | ')} |`);
  return [head, sep, ...rows].join('\n');
}

export function runMatrix(a: MatrixArgs, io: Io): number {
  const format = formatOf(a, ['text', 'json', 'markdown', 'junit']);
  const kernels = kernelsOf(a, 'all');
  const invariants = invariantsOf(a);
  const bounds = boundsOf(a);
  const scenarios = scenariosOf(a.scenarios);
  const cells = matrix(scenarios, kernels, { ...bounds, ...reductionsOf(a), ...(invariants ? { invariants } : {}) }, (c) => {
    if (io.progress && format === 'text') io.err(`${c.scenario} ${c.kernel}: ${c.verdict}`);
  });
  const bad = cells.filter((c) => !c.matches).length;
  if (format === 'json') {
    io.out(JSON.stringify(cells.map((c) => ({ ...resultJson(c.result, c.result.model), matches: c.matches, expected: Object.fromEntries(c.invariants.map((i) => [i.invariant, i.expected])) })), null, 2));
  } else if (format === 'junit') {
    io.out(matrixJunit(cells));
  } else if (format === 'markdown') {
    io.out(markdown(cells));
  } else {
    io.out(table(io, cells).join('\n'));
    io.out(`\n. holds  V violated  ? incomplete  ! differs from the expectation`);
    io.out(wrap(`eras: ${ERAS.filter((e) => kernels.some((k) => k.era.id === e.id)).map((e) => `${e.id}=${e.releases}`).join(' ')}`, WIDTH).join('\n'));
    const states = cells.reduce((n, c) => n + c.result.stats.states, 0);
    io.out(bad === 0
      ? paint(io, 'green', `${cells.length} cells, all match their expectations (${states} states)`)
      : [paint(io, 'red', `${bad} of ${cells.length} cells differ from their expectations:`), ...mismatches(cells)].join('\n'));
  }
  return bad === 0 ? EXIT_OK : EXIT_VIOLATION;
}
