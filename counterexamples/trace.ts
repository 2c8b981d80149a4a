/**
 * A counterexample as data: the action path replayed through the model
 * into states, with each step's actor, instruction, kernel function, the
 * step's own explanation and what changed. Rendering (render*.ts) is
 * separate and pure.
 */
import type { MmModel } from '../model/mmModel.js';
import * as L from '../model/layout.js';
import { diffStates } from './diff.js';

export interface TraceStep {
  readonly index: number;
  readonly action: number;
  readonly actor: string;
  /** the instruction as written, when this step starts it */
  readonly starts: string | undefined;
  readonly stepName: string;
  readonly fn: string;
  readonly explain: string | undefined;
  readonly changes: readonly string[];
  readonly footprint: readonly number[];
}

export interface Trace {
  readonly steps: readonly TraceStep[];
  /** states[0] is the initial state; states[i+1] follows steps[i] */
  readonly states: readonly Uint8Array[];
}

/** Replay a path; throws (with the step index) if an action is not enabled. */
export function replay(model: MmModel, path: readonly number[]): Trace {
  let state = model.initialState();
  const states: Uint8Array[] = [state];
  const steps: TraceStep[] = [];
  path.forEach((action, index) => {
    const d = model.describe(state, action);
    const who = model.cfg.actors[model.actorOf(action)]?.name ?? `actor ${action}`;
    if (!d) throw new ReplayError(index, `${who}${model.choiceOf(action) > 0 ? ` (choice ${model.choiceOf(action)})` : ''} has no enabled step`);
    const next = new Uint8Array(state.length);
    model.apply(state, action, next);
    const before = model.view(state);
    const after = model.view(next);
    const starts = before.act(d.ctx.actor, L.A_STEP) === 0 ? d.ctx.instr.text : undefined;
    steps.push({
      index, action, actor: d.ctx.ac.name, starts, stepName: d.step.name, fn: d.step.fn,
      explain: d.step.explain?.(before, after, d.ctx), changes: diffStates(model, before, after), footprint: d.footprint,
    });
    states.push(next);
    state = next;
  });
  return { steps, states };
}

export class ReplayError extends Error {
  constructor(readonly step: number, readonly reason: string) {
    super(`step ${step + 1}: ${reason}`);
  }
}
