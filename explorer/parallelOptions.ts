/**
 * The parallel BFS's options and result (explorer/parallel.ts), and the
 * sizes that tune how it cuts levels and when it takes worker threads.
 */
import type { ModelFactoryRef } from './factory.js';
import type { ShardCut, ShardSpec } from './shardCut.js';
import type { ExploreOptions, ExploreResult, StopReason } from './types.js';

export interface ParallelOptions extends ExploreOptions {
  /** threads that expand states: this one and workers - 1 worker threads (0 or 1: this thread only) */
  readonly workers: number;
  /** how the worker threads rebuild the model (needed when workers > 1) */
  readonly factory: ModelFactoryRef | undefined;
  readonly shard: ShardSpec | undefined;
  /** test hook (workers: 0): expand chunks last first; nothing may change */
  readonly reverseChunks?: boolean;
  /** test hook: hand levels of at least this many states to the threads (default PARALLEL_MIN), and start them at once */
  readonly parallelMin?: number;
  /** test hook: the claims log's entries per level (default: levelProtocol.ts claimsLog, a quarter of the frontier); 0 makes every level overflow it */
  readonly claimsCapacity?: number;
}

export interface ParallelResult extends ExploreResult {
  readonly shard: ShardCut | undefined;
}

/** the most states in a chunk of a level (a unit of work handed out) */
export const MAX_CHUNK = 512;
/** the fewest records per block of the next level (levelProtocol.ts blockRecords) */
export const MIN_BLOCK = 32;
/**
 * Levels smaller than this are expanded by the coordinating thread itself:
 * handing a level to the workers costs two wake-ups per worker (a
 * fraction of a millisecond on an idle machine, much more on a busy one),
 * more than a few hundred states take to expand. The early levels of a
 * search are tiny, and the workers boot meanwhile.
 */
export const PARALLEL_MIN = 1024;
/**
 * Worker threads are taken (threadPool.ts) once a level holds this many
 * states, so they have booted by PARALLEL_MIN (small searches take none).
 * At the first level measured slower cold (3.51-3.64 s against 3.44-3.54).
 */
export const SPAWN_AT = 128;

export type Stop = StopReason | 'states' | 'seconds';
