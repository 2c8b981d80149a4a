/**
 * Progress on stderr for long runs, at an interval: a line of text for
 * people (`--progress text`, the default when stderr is a terminal), or
 * JSON lines for machines (`--progress json`): one object per line,
 *
 *   {"event":"start","scenario":..,"kernel":..,"era":..,"strategy":"bfs","workers":1}
 *   {"event":"progress","scenario":..,"kernel":..,"seconds":1.0,"states":..,
 *    "transitions":..,"statesPerSecond":..,"depth":..,"queue":..,"memoryMiB":..}
 *   {"event":"done","scenario":..,"kernel":..,"era":..,"verdict":"holds",
 *    "violated":[],"states":..,"transitions":..,"depth":..,"seconds":..,
 *    "exhausted":true,"limit":null}
 *
 * `statesPerSecond` is distinct states per second since the start; `queue`
 * the states waiting (the BFS frontier, the DFS stack); `memoryMiB` the
 * process's resident set. The only place that reads the clock for
 * progress (DESIGN.md §3).
 */
import type { CheckResult } from '../api/check.js';
import type { ExploreListener, ExploreProgress } from '../explorer/types.js';
import type { Io } from './common.js';

export type ProgressMode = 'none' | 'text' | 'json';
export const PROGRESS_MODES: readonly ProgressMode[] = ['none', 'text', 'json'];

/** Default seconds between two progress reports. */
export const DEFAULT_INTERVAL = { text: 0.5, json: 1 } as const;

function modeOf(io: Io): 'text' | 'json' {
  return io.progressMode === 'json' ? 'json' : 'text';
}

function intervalMs(io: Io): number {
  return 1000 * (io.progressInterval ?? DEFAULT_INTERVAL[modeOf(io)]);
}

/** What the run is, for the start and done events. */
export interface RunLabel {
  readonly scenario: string;
  readonly kernel: string;
  readonly era?: string;
}

function json(io: Io, o: Record<string, unknown>): void {
  io.err(JSON.stringify(o));
}

/**
 * A listener printing progress at most every interval (the explorers call
 * it between BFS levels and at their check points inside a level).
 * `label` is the text prefix; `run` names the run in JSON events.
 */
export function progressListener(io: Io, label: string, run?: RunLabel): ExploreListener {
  const t0 = performance.now();
  const every = intervalMs(io);
  let last = -Infinity;
  const report = (p: ExploreProgress): void => {
    const now = performance.now();
    if (now - last < every) return;
    last = now;
    const secs = (now - t0) / 1000;
    const mem = Math.round(process.memoryUsage.rss() / 2 ** 20);
    const rate = Math.round(p.states / Math.max(secs, 1e-3));
    if (modeOf(io) === 'json') {
      const [scenario, kernel] = run ? [run.scenario, run.kernel] : [label, undefined];
      json(io, {
        event: 'progress', scenario, kernel, seconds: Number(secs.toFixed(3)), states: p.states, transitions: p.transitions,
        statesPerSecond: rate, depth: p.depth, queue: p.queue, memoryMiB: mem,
      });
    } else {
      io.err(`${label}: ${p.states} states, ${rate} states/s, depth ${p.depth}, queue ${p.queue}, ${mem} MiB`);
    }
  };
  return { onLevel: report, onTick: report };
}

/** The JSON `start` event (nothing in text mode). */
export function progressStart(io: Io, run: RunLabel, how: { readonly strategy: string; readonly workers: number; readonly shard?: string }): void {
  if (io.progress && modeOf(io) === 'json') json(io, { event: 'start', ...run, ...how });
}

/**
 * Start one run's progress: the `start` event (JSON mode) and the listener
 * that reports at intervals, when progress is on and the output format
 * leaves stderr free for it (text output, or JSON-lines progress).
 */
export function startRun(io: Io, format: string, run: RunLabel, how: { readonly strategy: string; readonly workers: number; readonly shard?: string }): ExploreListener | undefined {
  const listener = io.progress && (format === 'text' || io.progressMode === 'json') ? progressListener(io, `${run.scenario} ${run.kernel}`, run) : undefined;
  progressStart(io, run, how);
  return listener;
}

/** The JSON `done` event for a check() result (nothing in text mode: the verdict line says it). */
export function progressDone(io: Io, r: CheckResult): void {
  if (!io.progress || modeOf(io) !== 'json') return;
  json(io, {
    event: 'done', scenario: r.scenario, kernel: r.kernel, era: r.era, verdict: r.verdict,
    violated: r.invariants.filter((i) => i.verdict === 'violated').map((i) => i.invariant),
    states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth,
    seconds: Number(r.stats.seconds.toFixed(3)), exhausted: r.bound.exhausted, limit: r.limit ?? null,
  });
}
