/**
 * The JSON form of a check result (DESIGN.md §2): one object per
 * (scenario, kernel), traces as step lists a program can read.
 */
import type { CheckResult } from '../api/check.js';
import type { Trace } from '../counterexamples/trace.js';
import { decodeState } from '../model/decode.js';
import type { MmModel } from '../model/mmModel.js';

/** Each step with the decoded state after it (immer-frozen plain objects). */
function traceJson(t: Trace, model: MmModel): unknown[] {
  return t.steps.map((s, i) => ({
    actor: s.actor, action: s.action, instruction: s.starts ?? null, step: s.stepName, function: s.fn,
    explain: s.explain ?? null, changes: s.changes, state: decodeState(model, t.states[i + 1]!),
  }));
}

export function resultJson(r: CheckResult, model: MmModel): Record<string, unknown> {
  const violations = r.invariants.filter((i) => i.verdict === 'violated');
  const first = violations[0];
  return {
    scenario: r.scenario,
    kernel: r.kernel,
    era: r.era,
    verdict: r.verdict,
    ...(first ? { invariant: first.invariant } : {}),
    invariants: Object.fromEntries(r.invariants.map((i) => [i.invariant, i.verdict])),
    bound: r.bound,
    stats: r.stats,
    ...(r.recheck ? { recheck: r.recheck } : {}),
    ...(r.limit ? { limit: r.limit } : {}),
    ...(first?.trace ? { trace: traceJson(first.trace, model) } : {}),
    violations: violations.map((v) => ({ invariant: v.invariant, path: v.path, trace: traceJson(v.trace!, model), text: v.text })),
  };
}
