/**
 * With worker threads, exploreParallel answers a small graph on this
 * thread (explorer/smallFirst.ts) and explores a bigger one again with
 * the threads: the one-thread BFS's results either way; a bound of the
 * caller within the first run ends it there; progress never goes
 * backwards when the run starts again. The threads run the compiled
 * dist/ (npm test builds it first).
 */
import { describe, expect, it } from 'vitest';
import { toyModel } from '../../bench/toyModel.js';
import type { ToyArgs } from '../../bench/toyModel.js';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import { exploreParallel } from '../../explorer/parallel.js';
import type { ParallelResult } from '../../explorer/parallel.js';
import { SMALL_GRAPH } from '../../explorer/smallFirst.js';
import { idleThreads, startedThreads } from '../../explorer/threadPool.js';
import type { ExploreOptions, ExploreProgress, ExploreResult } from '../../explorer/types.js';

function onTwo(args: ToyArgs, o: Partial<ExploreOptions> = {}): ParallelResult {
  const factory = { module: new URL('../../bench/toyModel.ts', import.meta.url).href, exportName: 'buildToyModel', args };
  return exploreParallel(toyModel(args), { ...exploreOptions(o), workers: 2, factory, shard: undefined });
}

function essence(r: ExploreResult): unknown {
  return { end: r.end, limit: r.limit, violations: r.violations, states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth };
}

describe('small graphs first on one thread', () => {
  it('a graph whose levels stay under 128 states: answered here, no thread started', () => {
    const args = { threads: 2, increments: 2, bytes: 8 };
    const started = startedThreads();
    const got = onTwo(args);
    const one = explore(toyModel(args), exploreOptions({}));
    expect(essence(got)).toEqual(essence(one));
    // the one-thread BFS's own memory figure: it, not the parallel engine, ran
    expect(got.stats.bytesPerState).toBe(one.stats.bytesPerState);
    expect(startedThreads()).toBe(started);
  });

  it(`a graph of at most ${SMALL_GRAPH} states with a level of 212: answered here; a thread is started for the next run`, () => {
    const args = { threads: 4, increments: 1, bytes: 12 };
    const got = onTwo(args);
    const one = explore(toyModel(args), exploreOptions({}));
    expect([got.end, got.stats.states, got.stats.transitions]).toEqual(['exhausted', 755, 1156]);
    expect(essence(got)).toEqual(essence(one));
    expect(got.stats.bytesPerState).toBe(one.stats.bytesPerState);
    expect(idleThreads()).toBeGreaterThanOrEqual(1);
  });

  it('a bigger graph is explored again with the threads: the same graph; its progress never goes back', () => {
    const args = { threads: 3, increments: 3, bytes: 12 };
    const seen: number[] = [];
    const note = (p: ExploreProgress): void => { seen.push(p.states); };
    const got = onTwo(args, { listener: { onLevel: note, onTick: note } });
    const one = explore(toyModel(args), exploreOptions({}));
    expect([got.end, got.stats.states, got.stats.transitions]).toEqual(['exhausted', 26260, 53703]);
    expect(essence(got)).toEqual(essence(one));
    expect(got.stats.bytesPerState).not.toBe(one.stats.bytesPerState); // the parallel engine's figure
    expect(seen.some((n) => n <= SMALL_GRAPH)).toBe(true); // the first run reported
    expect(seen.at(-1)).toBe(26260);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
  });

  it('a state bound within the first run ends it there, as the one-thread BFS does', () => {
    const args = { threads: 3, increments: 3, bytes: 12 };
    const got = onTwo(args, { maxStates: 500 });
    const one = explore(toyModel(args), exploreOptions({ maxStates: 500 }));
    expect([got.end, got.limit]).toEqual(['limit', 'states']);
    expect(essence(got)).toEqual(essence(one));
  });
});
