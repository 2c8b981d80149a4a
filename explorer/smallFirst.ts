/**
 * With worker threads, small graphs first go to the one-thread BFS.
 *
 * Why: the parallel engine (explorer/parallel.ts) pays per level for
 * shared buffers, block tables and hand-overs whether or not its threads
 * take part, and a small graph is all small levels. On two workers the
 * catalogue on every era (800 runs, 28,808 states, every run under 1,024
 * states) took 0.61-0.72 s against 0.37 s on one; now 0.27 s on both. So
 * exploreParallel() first runs explore() (explorer/bfs.ts) bounded to
 * SMALL_GRAPH states: a graph that ends within it is answered by that
 * run, which is what the parallel engine would have answered (the two
 * give the same verdicts, paths and counts: test/explorer/parallel.test.ts
 * and workers.test.ts);
 * a bigger one is explored again by the parallel engine from the start,
 * and the first SMALL_GRAPH states are paid twice: 14-30 ms in open mode,
 * inside the noise of a cold two-worker run (3.61-3.86 s against
 * 3.54-4.13 s before, alternated). A bound of 4,096 cost 14-78 ms.
 *
 * The threads are started (warm()) as soon as a level of the first run
 * reaches `warmAt` states, as the parallel engine itself would, so they
 * boot while it runs. Progress goes on from the states already reported:
 * the listener of the run that starts again hears nothing until it has
 * passed them, so a report never goes backwards.
 */
import { explore } from './bfs.js';
import type { ExploreListener, ExploreOptions, ExploreProgress, ExploreResult, Model } from './types.js';

/** Graphs of at most this many states are explored on one thread. */
export const SMALL_GRAPH = 1024;

export type SmallFirst =
  /** the graph was small (or a bound ended the run): the answer */
  | { readonly result: ExploreResult }
  /** the graph is bigger: explore it again with this listener, and add these seconds to its time */
  | { readonly result?: undefined; readonly listener: ExploreListener | undefined; readonly seconds: number };

/** Explore `model` on this thread up to SMALL_GRAPH states (see the header). */
export function smallGraphFirst(model: Model, opts: ExploreOptions, warmAt: number, warm: () => void): SmallFirst {
  let reported = 0;
  let warmed = false;
  const user = opts.listener;
  const listener: ExploreListener = {
    onLevel: (p) => {
      if (!warmed && p.queue >= warmAt) {
        warmed = true;
        warm();
      }
      reported = Math.max(reported, p.states);
      user?.onLevel?.(p);
    },
    onTick: (p) => {
      reported = Math.max(reported, p.states);
      user?.onTick?.(p);
    },
  };
  const r = explore(model, { ...opts, maxStates: Math.min(opts.maxStates, SMALL_GRAPH), listener });
  // Only the bound of this first run sends the graph on; the caller's
  // own bounds (a smaller maxStates, seconds, Ctrl-C, memory) end it here.
  if (!(r.end === 'limit' && r.limit === 'states' && opts.maxStates > SMALL_GRAPH)) return { result: r };
  return { listener: user && after(user, reported), seconds: r.stats.seconds };
}

/** `l`, deaf until the states passed `states` (the run begun again has not yet caught up). */
function after(l: ExploreListener, states: number): ExploreListener {
  const pass = (f: ((p: ExploreProgress) => void) | undefined) => (p: ExploreProgress): void => {
    if (p.states > states) f?.(p);
  };
  return { onLevel: pass(l.onLevel?.bind(l)), onTick: pass(l.onTick?.bind(l)) };
}
