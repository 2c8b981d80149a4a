/**
 * A walk through a model driven by a list of choices: at each step the
 * walk takes `enabled[choice % n]` among the n enabled actions. Random
 * choices give a random walk; fast-check generates and shrinks the
 * choices (simulate(), arbitraries.tracesOf()), and the walk turns them
 * into a valid action path.
 */
import { NO_DEADLOCK } from '../explorer/types.js';
import { invariantByName } from '../invariants/index.js';
import type { MmModel } from '../model/mmModel.js';
import { PincowError } from '../model/errors.js';
import { StateView } from '../model/view.js';

/** A state predicate by invariant name (no-deadlock is decided by the walk itself). */
export interface StateCheck {
  readonly name: string;
  /** undefined for no-deadlock */
  readonly holds: ((s: Uint8Array) => boolean) | undefined;
}

/** The checks for these invariant names (unknown names are a user error). */
export function stateChecks(model: MmModel, names: readonly string[]): StateCheck[] {
  return names.map((n) => {
    if (n === NO_DEADLOCK) return { name: n, holds: undefined };
    const inv = invariantByName(n);
    if (!inv) throw new PincowError('unknown-name', `unknown invariant "${n}"`);
    const pred = inv.make(model);
    const v = new StateView(model.lay); // reused: re-pointed at each state
    return { name: n, holds: (s: Uint8Array) => { v.b = s; return pred(v); } };
  });
}

export interface WalkOptions {
  /** at most this many steps */
  readonly maxSteps: number;
  /**
   * when the choices run out before maxSteps: true keeps walking with
   * choice 0 (the first enabled action) to the end of the run; false stops
   */
  readonly extend: boolean;
  /** check these invariants in every state, the initial one included */
  readonly checks?: readonly StateCheck[];
  /** stop as soon as this invariant breaks */
  readonly stopOn?: string;
  /** called with every state the walk reaches, the initial one included (the buffer is reused: copy it to keep it) */
  readonly visit?: (s: Uint8Array) => void;
}

export interface WalkResult {
  /** the actions taken, from the initial state */
  readonly path: number[];
  /** per broken invariant, the number of steps to the first state that breaks it */
  readonly broken: Map<string, number>;
  /** why the walk ended */
  readonly end: 'final' | 'deadlock' | 'max-steps' | 'choices' | 'stopped';
}

/** Walk the model from its initial state along `choices`. */
export function walk(model: MmModel, choices: readonly number[], o: WalkOptions): WalkResult {
  const checks = o.checks ?? [];
  const deadlockChecked = checks.some((c) => c.name === NO_DEADLOCK);
  const broken = new Map<string, number>();
  const path: number[] = [];
  const enabled = new Int32Array(Math.max(1, model.actionCount));
  let state: Uint8Array = model.initialState();
  let next: Uint8Array = new Uint8Array(state.length);
  const look = (): boolean => {
    o.visit?.(state);
    for (const c of checks) {
      if (c.holds && !broken.has(c.name) && !c.holds(state)) broken.set(c.name, path.length);
    }
    return o.stopOn !== undefined && broken.has(o.stopOn);
  };
  if (look()) return { path, broken, end: 'stopped' };
  for (;;) {
    const n = model.enabled(state, enabled);
    if (n === 0) {
      if (model.isFinal(state)) return { path, broken, end: 'final' };
      if (deadlockChecked && !broken.has(NO_DEADLOCK)) broken.set(NO_DEADLOCK, path.length);
      return { path, broken, end: o.stopOn === NO_DEADLOCK ? 'stopped' : 'deadlock' };
    }
    if (path.length >= o.maxSteps) return { path, broken, end: 'max-steps' };
    const choice = choices[path.length];
    if (choice === undefined && !o.extend) return { path, broken, end: 'choices' };
    const action = enabled[(((choice ?? 0) % n) + n) % n]!;
    model.apply(state, action, next);
    path.push(action);
    [state, next] = [next, state];
    if (look()) return { path, broken, end: 'stopped' };
  }
}
