/**
 * Making a counterexample small and easy to read (checker-anchors §2.3):
 *
 * 1. `ddmin`: delta debugging over the action path — drop chunks of steps
 *    while every remaining step stays enabled and the invariant still
 *    fails. A BFS trace is already a shortest one, so this matters for
 *    traces found otherwise (simulation); it also proves minimality.
 * 2. `normalise`: commute adjacent steps of different actors so that each
 *    actor runs as long as it can (fewer thread switches, as in a race
 *    diagram a human would draw). A swap is kept only when the swapped
 *    path replays and reaches the byte-identical final state, so the
 *    normalised trace shows the same execution — no footprint reasoning
 *    is trusted here.
 */
import type { MmModel } from '../model/mmModel.js';

/** Replay a path; the final state, or undefined if some action is not enabled. */
export function finalState(model: MmModel, path: readonly number[]): Uint8Array | undefined {
  let s = model.initialState();
  const buf = new Int32Array(Math.max(1, model.actionCount));
  for (const a of path) {
    const n = model.enabled(s, buf);
    let ok = false;
    for (let i = 0; i < n; i++) if (buf[i] === a) ok = true;
    if (!ok) return undefined;
    const next = new Uint8Array(s.length);
    model.apply(s, a, next);
    s = next;
  }
  return s;
}

/** Does the path replay and end in a state where `fails` is true? */
function stillFails(model: MmModel, path: readonly number[], fails: (s: Uint8Array) => boolean): boolean {
  const s = finalState(model, path);
  return s !== undefined && fails(s);
}

/** Zeller's ddmin over the path: a 1-minimal path that still fails. */
export function ddmin(model: MmModel, path: readonly number[], fails: (s: Uint8Array) => boolean): number[] {
  let cur = [...path];
  let n = 2;
  while (cur.length >= 2) {
    const chunk = Math.ceil(cur.length / n);
    let reduced = false;
    for (let start = 0; start < cur.length; start += chunk) {
      const candidate = [...cur.slice(0, start), ...cur.slice(start + chunk)];
      if (stillFails(model, candidate, fails)) {
        cur = candidate;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(cur.length, n * 2);
    }
  }
  return cur;
}

/** Thread switches: consecutive steps of different actors (an action id is actor + nActors * choice). */
function switches(model: MmModel, path: readonly number[]): number {
  let k = 0;
  for (let i = 1; i < path.length; i++) if (model.actorOf(path[i]!) !== model.actorOf(path[i - 1]!)) k++;
  return k;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Move each step as early as it can go after the previous step of its own
 * actor, across steps of other actors, when the result is the same
 * execution (same final state). Repeats until no swap lowers the number of
 * thread switches.
 */
export function normalise(model: MmModel, path: readonly number[]): number[] {
  const target = finalState(model, path);
  if (!target) return [...path];
  let cur = [...path];
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 1; i < cur.length; i++) {
      // Find the previous step of cur[i]'s actor; try to pull cur[i] right after it.
      let j = i - 1;
      const who = model.actorOf(cur[i]!);
      while (j >= 0 && model.actorOf(cur[j]!) !== who) j--;
      if (j < 0 || j === i - 1) continue;
      const candidate = [...cur.slice(0, j + 1), cur[i]!, ...cur.slice(j + 1, i), ...cur.slice(i + 1)];
      if (switches(model, candidate) >= switches(model, cur)) continue;
      const s = finalState(model, candidate);
      if (s && sameBytes(s, target)) {
        cur = candidate;
        changed = true;
      }
    }
  }
  return cur;
}
