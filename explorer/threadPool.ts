/**
 * The parallel BFS's worker threads, kept between explorations
 * (explorer/parallelHosts.ts ThreadHost takes them, parallelWorker.ts is
 * what they run).
 *
 * Why: a new thread is a new V8 isolate. It loads the modules and, worse,
 * runs its first levels on cold code while the coordinating thread's is
 * hot: a cold two-worker run of the open-mode benchmark takes ~0.5 s more
 * than one whose worker thread explored before (3.3-3.6 s against
 * 2.9-3.0 s). A thread that finished an exploration now waits, idle and
 * unref'd (it keeps no process alive), for the next one in the same
 * process (`pincow matrix`, the API, the benchmark's repeated runs); each
 * exploration still sends its own model factory, control words and port,
 * and the thread builds its model again (a few ms), so nothing of one run
 * carries into the next but the JIT's compiled code. (Small graphs are
 * not helped by the pool: the parallel engine's per-level bookkeeping
 * cost them more than starting threads did; they now go to the
 * one-thread BFS first, explorer/smallFirst.ts.)
 *
 * A thread that failed, or whose run was abandoned mid-phase by an
 * exception, is terminated instead of kept.
 */
import { Worker } from 'node:worker_threads';

/** idle threads by the URL of the module they run */
const idle = new Map<string, Worker[]>();

function idleOf(entry: URL): Worker[] {
  let ws = idle.get(entry.href);
  if (!ws) idle.set(entry.href, (ws = []));
  return ws;
}

/** threads started in this process (tests: were threads kept or started again?) */
let started = 0;

function spawn(entry: URL): Worker {
  started++;
  const w = new Worker(entry);
  w.unref();
  // an idle thread that dies (it should not) leaves the pool
  w.once('exit', () => {
    const ws = idleOf(entry);
    const i = ws.indexOf(w);
    if (i >= 0) ws.splice(i, 1);
  });
  return w;
}

/** `n` threads running `entry`: idle ones first (most recently used first: the warmest), new ones for the rest. */
export function takeThreads(n: number, entry: URL): Worker[] {
  const ws = idleOf(entry);
  const out: Worker[] = [];
  while (out.length < n && ws.length > 0) out.push(ws.pop()!);
  while (out.length < n) out.push(spawn(entry));
  return out;
}

/**
 * Start threads running `entry` until `n` are idle, without waiting for
 * them to boot: the next exploration takes them (a job posted to a
 * booting thread waits for it in its port).
 */
export function warmThreads(n: number, entry: URL): void {
  const ws = idleOf(entry);
  while (ws.length < n) ws.push(spawn(entry));
}

/** Threads running `entry` whose exploration ended: kept for the next one if `healthy`, terminated otherwise. */
export function returnThreads(ws: readonly Worker[], entry: URL, healthy: boolean): void {
  for (const w of ws) {
    if (healthy) idleOf(entry).push(w);
    else void w.terminate();
  }
}

/** How many threads wait for an exploration (tests). */
export function idleThreads(): number {
  let n = 0;
  for (const ws of idle.values()) n += ws.length;
  return n;
}

/** How many threads this process has started (tests). */
export function startedThreads(): number {
  return started;
}
