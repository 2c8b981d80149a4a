/**
 * Shortest counterexamples of the full graph after a reduced search
 * (checker-anchors §4.6, issue #5): partial-order reduction keeps a
 * representative of every interleaving class, but the representative may
 * be longer than the shortest path of the full graph, and symmetry
 * reduction shows a renamed state. So when a reduced run finds violations,
 * run the full (unreduced) BFS again, bounded to the depth of the deepest
 * violation found: every violation the reduced run found lies within that
 * depth of the full graph too (a reduced path is a path of the full
 * graph, or replays as one), and the full BFS finds each one's shortest
 * path. Cheap when the violations are shallow, which is when traces are
 * read; bounded by the caller's state and time limits otherwise (the
 * reduced paths are kept then).
 */
import { explore, exploreOptions } from '../explorer/bfs.js';
import type { Model, Property, Violation } from '../explorer/types.js';
import { NO_DEADLOCK } from '../explorer/types.js';

export interface Recheck {
  /** the violations, each with the full graph's shortest path where the recheck found it */
  readonly violations: readonly Violation[];
  /** states the recheck explored */
  readonly states: number;
  /** did the recheck find every violation (so every path is a shortest of the full graph)? */
  readonly complete: boolean;
}

/**
 * Re-find `found` (from a reduced run over `properties`) without
 * reductions, at most as deep as the deepest of them.
 */
export function recheckFull(
  model: Model, properties: readonly Property[], found: readonly Violation[],
  o: { readonly maxStates?: number; readonly maxSeconds?: number } = {},
): Recheck {
  const names = new Set(found.map((v) => v.property));
  const r = explore(model, exploreOptions({
    maxDepth: Math.max(0, ...found.map((v) => v.path.length)),
    properties: properties.filter((p) => names.has(p.name)),
    deadlock: names.has(NO_DEADLOCK),
    stopWhenAllViolated: true,
    ...(o.maxStates !== undefined ? { maxStates: o.maxStates } : {}),
    ...(o.maxSeconds !== undefined ? { maxSeconds: o.maxSeconds } : {}),
  }));
  const full = new Map(r.violations.map((v) => [v.property, v]));
  return {
    violations: found.map((v) => full.get(v.property) ?? v),
    states: r.stats.states,
    complete: found.every((v) => full.has(v.property)),
  };
}
