/**
 * The parallel BFS's threads are kept between explorations in one
 * process (explorer/threadPool.ts): a later exploration takes them
 * instead of starting new ones and gets the same results; a run stopped
 * by a bound hands them back; a run that failed does not (its threads
 * are terminated), and the next one starts new threads and works. The
 * threads run the compiled dist/ (npm test builds it first).
 */
import { describe, expect, it } from 'vitest';
import { toyModel } from '../../bench/toyModel.js';
import type { ToyArgs } from '../../bench/toyModel.js';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import { exploreParallel } from '../../explorer/parallel.js';
import type { ParallelResult } from '../../explorer/parallel.js';
import { idleThreads } from '../../explorer/threadPool.js';

const ARGS: ToyArgs = { threads: 3, increments: 2, bytes: 8 };

/** the toy on three threads (two worker threads), every level handed to them; the threads build the model of `built` */
function onThreads(built: ToyArgs, maxStates?: number): ParallelResult {
  const factory = { module: new URL('../../bench/toyModel.ts', import.meta.url).href, exportName: 'buildToyModel', args: built };
  return exploreParallel(toyModel(ARGS), {
    ...exploreOptions(maxStates === undefined ? {} : { maxStates }), workers: 3, factory, shard: undefined, parallelMin: 1,
  });
}

describe('worker threads kept between explorations', () => {
  const one = explore(toyModel(ARGS), exploreOptions({}));

  it('a second exploration takes the first one\'s threads, and explores the same graph', () => {
    expect(idleThreads()).toBe(0);
    const first = onThreads(ARGS);
    expect(idleThreads()).toBe(2);
    const second = onThreads(ARGS);
    expect(idleThreads()).toBe(2); // taken and handed back: no third or fourth thread
    for (const r of [first, second]) {
      expect([r.end, r.stats.states, r.stats.transitions]).toEqual(['exhausted', one.stats.states, one.stats.transitions]);
    }
    expect([one.stats.states, one.stats.transitions]).toEqual([2358, 4119]);
  });

  it('a run stopped by a bound hands its threads back, and they explore the next run whole', () => {
    const stopped = onThreads(ARGS, 1500);
    expect([stopped.end, stopped.limit]).toEqual(['limit', 'states']);
    expect(idleThreads()).toBe(2);
    expect(onThreads(ARGS).stats.states).toBe(one.stats.states);
  });

  it('a failed run\'s threads are terminated, and the next run starts new ones', () => {
    expect(() => onThreads({ ...ARGS, threads: 2 })).toThrow(/a worker thread built a different model/);
    expect(idleThreads()).toBe(0);
    expect(onThreads(ARGS).stats.states).toBe(one.stats.states);
    expect(idleThreads()).toBe(2);
  });
});
