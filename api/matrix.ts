/**
 * matrix(): every scenario × every selected era, each cell's verdicts
 * compared with the scenario's expectations — the regression suite of the
 * kernel's pin/COW history.
 */
import type { Kernel } from '../model/kernels.js';
import { expectedVerdict } from '../scenario/compile.js';
import type { LoadedScenario } from '../scenario/catalog.js';
import { check } from './check.js';
import type { CheckOptions, CheckResult } from './check.js';

export interface CellInvariant {
  readonly invariant: string;
  readonly expected: 'holds' | 'violated';
  readonly actual: 'holds' | 'violated' | 'incomplete';
  readonly matches: boolean;
}

export interface Cell {
  readonly scenario: string;
  readonly kernel: string;
  readonly era: string;
  readonly verdict: CheckResult['verdict'];
  readonly matches: boolean;
  readonly invariants: readonly CellInvariant[];
  readonly result: CheckResult;
}

/**
 * One cell of the matrix: check() the scenario on the kernel and compare
 * each invariant's verdict with the scenario's expectation for that era
 * (an `incomplete` run never matches).
 */
export function cell(s: LoadedScenario, k: Kernel, o: CheckOptions = {}): Cell {
  const r = check(s, k, o);
  const invariants = r.invariants.map((iv): CellInvariant => {
    const expected = expectedVerdict(s, iv.invariant, k.era.id);
    const actual = iv.verdict === 'holds' && r.verdict === 'incomplete' ? 'incomplete' : iv.verdict;
    return { invariant: iv.invariant, expected, actual, matches: actual === expected };
  });
  return { scenario: s.name, kernel: k.label, era: k.era.id, verdict: r.verdict, matches: invariants.every((i) => i.matches), invariants, result: r };
}

/**
 * Every scenario × every kernel, in that order, as cells compared with the
 * expectations; `onCell` sees each cell as soon as it is done (progress).
 * The kernel's pin/COW history as a regression suite: all cells should
 * match.
 */
export function matrix(scenarios: readonly LoadedScenario[], kernels: readonly Kernel[], o: CheckOptions = {}, onCell?: (c: Cell) => void): Cell[] {
  const out: Cell[] = [];
  for (const s of scenarios) {
    for (const k of kernels) {
      const c = cell(s, k, o);
      onCell?.(c);
      out.push(c);
    }
  }
  return out;
}
