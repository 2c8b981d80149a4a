/**
 * Ctrl-C that ends well: a long `check` or `explore` stops at the
 * explorer's next check point, prints what it covered (states, depth,
 * "interrupted before the queue was exhausted") and exits 3 — or 1 if a
 * violation was already found. A second Ctrl-C quits at once (exit 130).
 *
 * This file holds where the request comes from: cli/longRun.ts for the
 * executable (a flag in shared memory its SIGINT handler sets), or the
 * `interrupted` of the Io that in-process callers of main() pass (tests,
 * embedders); main() installs it for the command it runs.
 */
import type { StopReason } from '../explorer/types.js';

let source: (() => boolean) | undefined;

/** Where "has the user asked to stop?" comes from for the command running now (main() sets it). */
export function setInterruptSource(f: (() => boolean) | undefined): void {
  source = f;
}

export function interrupted(): boolean {
  return source?.() === true;
}

/** The explorers' stop hook for Ctrl-C, if anything can interrupt this run. */
export function interruptStop(): (() => StopReason | undefined) | undefined {
  const f = source;
  return f ? () => (f() ? 'interrupted' : undefined) : undefined;
}
