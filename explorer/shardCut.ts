/**
 * Sharding of the parallel BFS (`--shard i/N`, explorer/parallel.ts):
 * after the prefix levels, the frontier of one level (the ShardSpec's
 * `depth`, else the first level holding at least SHARD_MIN_PER_SHARD
 * states per shard) is cut, and this shard goes on from its part alone.
 * The cut is deterministic: every shard explores the same prefix and
 * keeps the states at positions k with k mod count == index.
 *
 * Why the shards cover the graph: every state deeper than the cut is
 * reached from some kept state of some shard along a shortest path that
 * never revisits the prefix, so the shards together explore every state;
 * every shard explores the prefix (and reports its violations) in full.
 */
import { frontierOf, statesOf } from './levelFrontier.js';
import type { Frontier } from './levelFrontier.js';

/** Without an explicit shard depth, cut at the first level holding at least this many states per shard. */
export const SHARD_MIN_PER_SHARD = 32;

export interface ShardSpec {
  /** 0-based */
  readonly index: number;
  readonly count: number;
  /** the level to cut; undefined: the first level with at least SHARD_MIN_PER_SHARD * count states */
  readonly depth: number | undefined;
}

/** Where a shard's search was cut. */
export interface ShardCut {
  /** the level cut, undefined if the search ended (or hit the depth bound) before one qualified: then every shard explored everything */
  readonly depth: number | undefined;
  /** states of that level (all shards) */
  readonly frontier: number;
  /** states of that level this shard went on from */
  readonly part: number;
}

/** What a level keeps for the paths to its states (parallel.ts). */
export interface LevelPaths {
  readonly parent: Int32Array;
  readonly action: Uint8Array | Int32Array;
}

/**
 * This shard's part of level `level` (its frontier and paths), if `sh`
 * cuts there; undefined if it does not. `blockStates`: the records per
 * block of the re-encoded frontier.
 */
export function cutForShard(
  sh: ShardSpec, level: number, frontier: Frontier, lv: LevelPaths, stateBytes: number, blockStates: number,
): { frontier: Frontier; paths: LevelPaths; cut: ShardCut } | undefined {
  const count = frontier.count;
  const here = sh.depth !== undefined ? level === sh.depth : count >= SHARD_MIN_PER_SHARD * sh.count;
  if (!here) return undefined;
  const kept = Math.max(0, Math.ceil((count - sh.index) / sh.count));
  const all = statesOf(stateBytes, frontier);
  const states: Uint32Array[] = [];
  const parent = new Int32Array(kept);
  const action = lv.action instanceof Uint8Array ? new Uint8Array(kept) : new Int32Array(kept);
  for (let k = sh.index, q = 0; k < count; k += sh.count, q++) {
    states.push(all[k]!);
    parent[q] = lv.parent[k]!;
    action[q] = lv.action[k]!;
  }
  return { frontier: frontierOf(stateBytes, states, blockStates), paths: { parent, action }, cut: { depth: level, frontier: count, part: kept } };
}
