/**
 * Prompting V8's garbage collector when the parallel explorer lets go of
 * big SharedArrayBuffers (explorer/parallel.ts, levelWorker.ts).
 *
 * Why: a SharedArrayBuffer's memory is returned only when every isolate
 * that held it has collected its wrapper object. The explorer's own
 * heaps are small (~10 MB: its data lives in typed arrays), so V8 seldom
 * collects, and superseded shared tables (grown by half, each a new
 * buffer) and level arenas piled up: the open benchmark's full graph on
 * two workers peaked at 353 MB resident for 107 MB of live data (the main
 * thread alone held 246 MB of buffers), and the N = 4 full graph at
 * 12.2 GB for 5.9 GB. Collecting after each release of at least
 * RELEASE_STEP bytes brought them to 250 MB and 10.4 GB at the same
 * speed (202 MB when collecting after every growth).
 *
 * How: the collector is reachable from JavaScript only with the V8 flag
 * --expose-gc. It is set just long enough to create a fresh context, whose
 * global `gc` collects this thread's isolate, and then cleared again (the
 * flag only adds that global to contexts created while it is set). Each
 * thread (isolate) that imports this module gets its own function. If
 * that fails, collection is left to V8.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** bytes let go of between two collections: small enough to matter, rare enough to cost nothing (a collection of these heaps takes a few ms) */
const RELEASE_STEP = 32 * 1024 * 1024;

let pending = 0;
let collect: (() => void) | undefined | null = null;

function collector(): (() => void) | undefined {
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return own as () => void; // node --expose-gc
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** Whether this thread can prompt a collection (for tests: it should on Node 20). */
export function canCollect(): boolean {
  if (collect === null) collect = collector();
  return collect !== undefined;
}

/** This thread no longer holds a buffer of `bytes` bytes; collect once enough has piled up. */
export function letGo(bytes: number): void {
  pending += bytes;
  if (pending >= RELEASE_STEP) collectNow();
}

/** Collect now (letGo, and a kept worker thread between explorations: explorer/parallelWorker.ts). */
export function collectNow(): void {
  pending = 0;
  if (canCollect()) collect!();
}
