/**
 * Which explorer runs a check(): the one-thread BFS (explorer/bfs.ts),
 * the parallel level engine (explorer/parallel.ts) for `workers` and
 * `shard`, or DFS (explorer/dfs.ts) for memory-light runs; and the stop
 * hook every explorer asks at its check points, made of the caller's own
 * (Ctrl-C) and the memory bound.
 */
import { explore } from '../explorer/bfs.js';
import { exploreDfs } from '../explorer/dfs.js';
import { exploreParallel } from '../explorer/parallel.js';
import type { ShardCut, ShardSpec } from '../explorer/parallel.js';
import type { ExploreOptions, ExploreResult, StopReason } from '../explorer/types.js';
import type { Kernel } from '../model/kernels.js';
import type { MmModel } from '../model/mmModel.js';
import type { LoadedScenario } from '../scenario/catalog.js';
import { mmFactoryRef } from './modelFactory.js';

export type Strategy = 'bfs' | 'dfs';

export interface EngineOptions {
  /** 'bfs' (default: shortest counterexamples) or 'dfs' (memory-light; counterexamples not shortest) */
  readonly strategy?: Strategy;
  /** threads for the BFS: this one and workers - 1 worker threads (1 or absent: this thread only) */
  readonly workers?: number;
  /** explore only this shard's part beyond the cut level (`--shard i/N`; index 0-based here) */
  readonly shard?: ShardSpec;
  /** asked at every check point: a reason to stop now (e.g. Ctrl-C) */
  readonly stop?: () => StopReason | undefined;
  /** stop (incomplete) once the process's resident memory passes this many MiB */
  readonly maxMemory?: number;
}

/** How often the memory bound reads the resident set size (it costs a system call). */
const MEMORY_EVERY_MS = 100;

/** The caller's stop hook and the memory bound as one hook, or undefined if there is neither. */
export function stopHook(o: EngineOptions): (() => StopReason | undefined) | undefined {
  const { stop, maxMemory } = o;
  if (!stop && maxMemory === undefined) return undefined;
  let last = -Infinity;
  return () => {
    const why = stop?.();
    if (why) return why;
    if (maxMemory !== undefined) {
      const now = performance.now();
      if (now - last >= MEMORY_EVERY_MS) {
        last = now;
        if (process.memoryUsage.rss() / 2 ** 20 > maxMemory) return 'memory';
      }
    }
    return undefined;
  };
}

/** Run the explorer the options ask for on check()'s model and options. */
export function runEngine(
  model: MmModel, opts: ExploreOptions, s: LoadedScenario, kernel: Kernel, invariants: readonly string[], o: EngineOptions,
): ExploreResult & { readonly shard?: ShardCut } {
  const stop = stopHook(o);
  const full: ExploreOptions = stop ? { ...opts, stop } : opts;
  if (o.strategy === 'dfs') return exploreDfs(model, full);
  // --workers 1 is the one-thread BFS: the parallel engine gives the same result with more bookkeeping.
  const workers = o.workers ?? 1;
  if (workers > 1 || o.shard) {
    return exploreParallel(model, {
      ...full, workers, factory: workers > 1 ? mmFactoryRef(s, kernel, invariants) : undefined, shard: o.shard,
    });
  }
  return explore(model, full);
}
