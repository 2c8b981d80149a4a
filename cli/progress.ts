/**
 * Progress on stderr for long runs: one line per BFS level, at most twice
 * a second, only when stderr is a TTY. The only place that reads the clock
 * for progress (DESIGN.md §3).
 */
import type { ExploreListener } from '../explorer/types.js';
import type { Io } from './common.js';

export function progressListener(io: Io, label: string): ExploreListener {
  const t0 = performance.now();
  let last = 0;
  return {
    onLevel(p) {
      const now = performance.now();
      if (now - last < 500) return;
      last = now;
      const secs = (now - t0) / 1000;
      const mem = Math.round(process.memoryUsage().rss / 2 ** 20);
      io.err(`${label}: ${p.states} states, ${Math.round(p.states / Math.max(secs, 1e-3))} states/s, depth ${p.depth}, queue ${p.queue}, ${mem} MiB`);
    },
  };
}
