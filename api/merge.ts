/**
 * merge(): the shards of one `check --shard i/N` run (api/shard.ts files)
 * combined into the verdict of the whole run, as data, never printing:
 *
 * - violated if any shard found a violation; per invariant the shortest
 *   of the shards' paths, then the lexicographically smallest (by action
 *   ids) — without reductions exactly the path the unsharded BFS finds
 *   (explorer/parallel.ts: every shard numbers its states in BFS order);
 *   then, as check() does, the full-graph recheck after a reduced run and
 *   the minimal, readable counterexample;
 * - holds if every shard exhausted its queue (then every state of the
 *   graph was checked by some shard);
 * - incomplete otherwise, naming the shard and the bound that stopped it.
 *
 * Shards that do not belong together (another scenario text, kernel,
 * option, cut, pincow version; a shard missing or given twice) are
 * refused with a PincowError (exit 2) saying which files differ and how.
 */
import { collisionProbability } from '../explorer/fingerprint.js';
import type { Violation } from '../explorer/types.js';
import { PincowError } from '../model/errors.js';
import { MmModel } from '../model/mmModel.js';
import { isOpenCommand } from '../scenario/open.js';
import { properties } from './check.js';
import type { CheckResult, InvariantVerdict } from './check.js';
import { kernelOf, scenarioOf } from './modelFactory.js';
import { recheckFull } from './recheck.js';
import type { ShardFile, ShardResult } from './shard.js';
import { counterexample, scenarioArg, switchFlags } from './violation.js';

export interface ShardInput {
  /** where it came from (a file name), for messages */
  readonly name: string;
  readonly file: ShardFile;
}

export interface MergedResult extends CheckResult {
  readonly shards: {
    readonly count: number;
    /** the level cut and its states (null: the graph ended first, and every shard explored all of it) */
    readonly cutDepth: number | null;
    readonly frontier: number;
    /** states of the cut level each shard went on from, by shard */
    readonly parts: readonly number[];
    /** 1-based indices of the shards that found a violation */
    readonly violatedBy: readonly number[];
  };
}

/** The shortest path, then the lexicographically smallest by action ids. */
export function comparePaths(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

const keyOf = (r: ShardResult): string => `${r.scenario.name} (${r.scenario.hash}) on ${r.kernel.label}${r.kernel.toggled.map((t) => ` ${t}`).join('')}`;

/** What must be equal in every shard of one run, per result, with a name for messages. */
function settings(r: ShardResult): [string, string][] {
  return [
    ['scenario text', r.scenario.source], ['kernel era', r.kernel.era], ['invariants', r.invariants.join(',')], ['depth bound', String(r.depth)], ['partial-order reduction', String(r.por)],
    ['symmetry reduction', String(r.symmetry)], ['strategy', r.strategy], ['--shard-depth', String(r.shardDepth ?? 'default')],
    ['cut level', String(r.cut.depth ?? 'none')], ['states at the cut level', String(r.cut.frontier)],
  ];
}

/** Refuse shards that are not the N parts of one run. */
function checkTogether(inputs: readonly ShardInput[]): void {
  if (inputs.length === 0) throw new PincowError('bad-option', 'merge needs the shard files of a run (pincow check --shard i/N writes one each)');
  const first = inputs[0]!;
  const n = first.file.shard.count;
  for (const x of inputs) {
    if (x.file.pincow !== first.file.pincow) {
      throw new PincowError('bad-option', `${x.name} was written by pincow ${x.file.pincow}, ${first.name} by pincow ${first.file.pincow}: shards must come from one version`);
    }
    if (x.file.shard.count !== n) {
      throw new PincowError('bad-option', `${x.name} is shard ${x.file.shard.index}/${x.file.shard.count}, ${first.name} is shard ${first.file.shard.index}/${n}: all shards of a run have the same N`);
    }
  }
  const seen = new Map<number, string>();
  for (const x of inputs) {
    const other = seen.get(x.file.shard.index);
    if (other) throw new PincowError('bad-option', `shard ${x.file.shard.index}/${n} given twice: ${other} and ${x.name}`);
    seen.set(x.file.shard.index, x.name);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length) {
    throw new PincowError('bad-option', `missing shard(s) ${missing.map((i) => `${i}/${n}`).join(', ')}: merge needs all ${n} shard files of the run (got ${[...seen.keys()].sort((a, b) => a - b).map((i) => `${i}/${n}`).join(', ')})`);
  }
  const keys = first.file.results.map(keyOf);
  for (const x of inputs) {
    const k = x.file.results.map(keyOf);
    if (k.join('\n') !== keys.join('\n')) {
      throw new PincowError('bad-option', `${x.name} holds [${k.join('; ')}] but ${first.name} holds [${keys.join('; ')}]: shards of one run check the same scenarios (same text) on the same kernels`);
    }
    x.file.results.forEach((r, i) => {
      const want = settings(first.file.results[i]!);
      settings(r).forEach(([what, v], j) => {
        if (v === want[j]![1]) return;
        const say = (t: string): string => (t.includes('\n') ? 'different' : t);
        throw new PincowError('bad-option', `${keyOf(r)}: ${what} is ${say(v)} in ${x.name} but ${say(want[j]![1])} in ${first.name}: these shards are not parts of one run`);
      });
    });
  }
  first.file.results.forEach((r, i) => {
    if (r.cut.depth === null) return;
    const sum = inputs.reduce((t, x) => t + x.file.results[i]!.cut.part, 0);
    if (sum !== r.cut.frontier) throw new PincowError('bad-option', `${keyOf(r)}: the shards' parts of the cut level add up to ${sum} states, not ${r.cut.frontier}`);
  });
}

/** Merge the shard files of one run: one result per (scenario, kernel), in the run's order. */
export function merge(inputs: readonly ShardInput[]): MergedResult[] {
  checkTogether(inputs);
  const byIndex = [...inputs].sort((a, b) => a.file.shard.index - b.file.shard.index);
  return byIndex[0]!.file.results.map((_, i) => mergeOne(byIndex.map((x) => x.file.results[i]!), byIndex[0]!.file.shard.count));
}

function mergeOne(parts: readonly ShardResult[], count: number): MergedResult {
  const first = parts[0]!;
  const s = scenarioOf(first.scenario);
  const kernel = kernelOf(first.kernel);
  const model = new MmModel(s.cfg, kernel);
  const props = properties(model, first.invariants);
  const best = new Map<string, Violation>();
  const violatedBy: number[] = [];
  parts.forEach((p, i) => {
    if (p.violations.length) violatedBy.push(i + 1);
    for (const v of p.violations) {
      const cur = best.get(v.invariant);
      if (!cur || comparePaths(v.path, cur.path) < 0) best.set(v.invariant, { property: v.invariant, path: v.path });
    }
  });
  const reduced = first.por || first.symmetry;
  const found = [...best.values()];
  // As check() does after a reduced run: the full graph's shortest paths (api/recheck.ts).
  const rc = reduced && found.length > 0 ? recheckFull(model, props, found) : undefined;
  const paths = rc?.violations ?? found;
  const reproduce = `${isOpenCommand(s.source) ? `npx pincow ${s.source}` : `npx pincow check ${scenarioArg(s)}`} --kernel ${kernel.label}${switchFlags(kernel)}`;
  const invariants = first.invariants.map((n): InvariantVerdict => {
    const v = paths.find((x) => x.property === n);
    if (!v) return { invariant: n, verdict: 'holds' };
    const { path, trace, text } = counterexample(s, model.kernel, model, n, v.path, reproduce);
    return { invariant: n, verdict: 'violated', path, trace, text };
  });
  const violated = invariants.some((iv) => iv.verdict === 'violated');
  const exhausted = parts.every((p) => p.end === 'exhausted');
  const stopped = parts.findIndex((p) => p.end !== 'exhausted' && p.end !== 'all-violated');
  const verdict = violated ? 'violated' : exhausted ? 'holds' : 'incomplete';
  const states = parts.reduce((t, p) => t + p.stats.states, 0);
  const cpu = parts.reduce((t, p) => t + p.stats.seconds, 0);
  return {
    scenario: s.name, kernel: kernel.label, era: kernel.era.id, verdict, invariants,
    bound: {
      depth: first.depth, levels: Math.max(...parts.map((p) => p.stats.maxDepth)), graph: reduced ? 'reduced' : 'full',
      por: first.por, symmetry: first.symmetry, exhausted,
    },
    stats: {
      states, transitions: parts.reduce((t, p) => t + p.stats.transitions, 0), maxDepth: Math.max(...parts.map((p) => p.stats.maxDepth)),
      seconds: Math.max(...parts.map((p) => p.stats.seconds)), statesPerSecond: states / Math.max(cpu, 1e-9),
      bytesPerState: Math.max(...parts.map((p) => p.stats.bytesPerState)), collisionProbability: collisionProbability(states),
    },
    model,
    ...(rc ? { recheck: { states: rc.states, complete: rc.complete } } : {}),
    ...(verdict === 'incomplete' && stopped >= 0 ? { limit: `shard ${stopped + 1}/${count}: ${parts[stopped]!.limit ?? 'a bound stopped it'}` } : {}),
    shards: { count, cutDepth: first.cut.depth, frontier: first.cut.frontier, parts: parts.map((p) => p.cut.part), violatedBy },
  };
}
