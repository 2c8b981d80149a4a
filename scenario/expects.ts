/**
 * The `expect INVARIANT holds|violated on RANGES` lines of a scenario:
 * checked against the invariant names and kernel ranges, refused when two
 * of them contradict on an era, and read back per era by `pincow matrix`.
 */
import { didYouMean } from '../model/errors.js';
import { ERAS, checkRange, rangeCovers } from '../model/kernels.js';
import type { EraId } from '../model/kernels.js';
import { INVARIANT_NAMES } from '../invariants/index.js';
import type { ScenarioAst } from './ast.js';
import type { CompiledScenario, Expect } from './compile.js';
import { err } from './compileError.js';

export function compileExpects(ast: ScenarioAst): Expect[] {
  return ast.expects.map((e) => {
    if (!INVARIANT_NAMES.includes(e.invariant.text)) {
      err('unknown-name', e.invariant, `unknown invariant "${e.invariant.text}"; expected one of ${INVARIANT_NAMES.join(', ')}${didYouMean(e.invariant.text, INVARIANT_NAMES)}`);
    }
    for (const r of e.ranges) {
      const bad = checkRange(r.text);
      if (bad) err('syntax', r, bad);
    }
    return { invariant: e.invariant.text, verdict: e.verdict, ranges: e.ranges.map((r) => r.text), line: e.pos.line };
  });
}

/** The expected verdict of one invariant on one era: `holds` unless an expect line says otherwise. */
export function expectedVerdict(s: CompiledScenario, invariant: string, era: EraId): 'holds' | 'violated' {
  const info = ERAS.find((e) => e.id === era)!;
  const hits = s.expects.filter((e) => e.invariant === invariant && e.ranges.some((r) => rangeCovers(r, info)));
  return hits.some((h) => h.verdict === 'violated') ? 'violated' : 'holds';
}

export function checkContradictions(s: CompiledScenario, ast: ScenarioAst): void {
  for (const era of ERAS) {
    for (const inv of s.invariants) {
      const hits = s.expects.filter((e) => e.invariant === inv && e.ranges.some((r) => rangeCovers(r, era)));
      if (new Set(hits.map((h) => h.verdict)).size > 1) {
        const line = hits[1]!.line;
        const at = ast.expects.find((e) => e.pos.line === line)!;
        err('invalid-scenario', at, `expectations for ${inv} contradict on ${era.id} (lines ${hits.map((h) => h.line).join(' and ')})`);
      }
    }
  }
}

