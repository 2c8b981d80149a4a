/**
 * Slicing a counterexample by step footprints (checker-anchors §2.3, the
 * step before delta debugging): keep only the steps the violation depends
 * on.
 *
 * The last step is the one that broke the invariant (the state before it
 * still satisfied it: BFS checks every state), so it seeds the slice. A
 * step is kept if a kept later step touches a location it touches (the
 * footprints are read∪write sets, so an overlap is a possible data or lock
 * dependency), or if it belongs to the same actor as a kept later step
 * (an actor's steps run in program order; dropping an earlier one changes
 * what the later one does). Setup steps (they touch LOC_PHASE) are always
 * kept: every main-phase step waits for the setup to be complete, a
 * dependency no footprint names. Everything else commutes with the kept steps
 * by the footprint contract and can go.
 *
 * The footprints are trusted only as a proposal: the sliced path must
 * replay and still end in a failing state, else the path is returned
 * unchanged (the soundness harness tests the footprints themselves).
 */
import type { MmModel } from '../model/mmModel.js';
import { LOC_PHASE } from '../model/step.js';

interface StepInfo {
  readonly actor: number;
  readonly locs: ReadonlySet<number>;
}

/** The actor and footprint of every step of a path, or undefined if it does not replay. */
function stepInfos(model: MmModel, path: readonly number[]): StepInfo[] | undefined {
  const infos: StepInfo[] = [];
  let s = model.initialState();
  for (const a of path) {
    const d = model.describe(s, a);
    if (!d) return undefined;
    infos.push({ actor: d.ctx.actor, locs: new Set(d.footprint) });
    const next = new Uint8Array(s.length);
    model.apply(s, a, next);
    s = next;
  }
  return infos;
}

function overlaps(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  for (const x of a) if (b.has(x)) return true;
  return false;
}

/** Indices of the steps the last step depends on, transitively (including itself). */
export function sliceIndices(infos: readonly StepInfo[]): number[] {
  const n = infos.length;
  if (n === 0) return [];
  const keep = new Array<boolean>(n).fill(false);
  keep[n - 1] = true;
  const keptLocs = new Set(infos[n - 1]!.locs);
  const keptActors = new Set([infos[n - 1]!.actor]);
  for (let i = n - 2; i >= 0; i--) {
    const st = infos[i]!;
    if (!keptActors.has(st.actor) && !overlaps(st.locs, keptLocs) && !st.locs.has(LOC_PHASE)) continue;
    keep[i] = true;
    keptActors.add(st.actor);
    for (const l of st.locs) keptLocs.add(l);
  }
  return keep.flatMap((k, i) => (k ? [i] : []));
}

/**
 * The footprint slice of a failing path: the steps the final step depends
 * on, in their original order, if that shorter path still replays and
 * fails; otherwise the path itself.
 */
export function slice(model: MmModel, path: readonly number[], fails: (s: Uint8Array) => boolean): number[] {
  const infos = stepInfos(model, path);
  if (!infos || infos.length === 0) return [...path];
  const kept = sliceIndices(infos).map((i) => path[i]!);
  if (kept.length === path.length) return [...path];
  const end = replayEnd(model, kept);
  return end !== undefined && fails(end) ? kept : [...path];
}

function replayEnd(model: MmModel, path: readonly number[]): Uint8Array | undefined {
  let s = model.initialState();
  for (const a of path) {
    if (!model.describe(s, a)) return undefined;
    const next = new Uint8Array(s.length);
    model.apply(s, a, next);
    s = next;
  }
  return s;
}
