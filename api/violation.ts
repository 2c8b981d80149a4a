/**
 * One violated invariant's counterexample, shared by check() and
 * simulate(): the found action path made minimal and readable (ddmin,
 * then as few thread switches as the same execution allows), replayed
 * into a trace, and rendered as mailing-list text with the trace header
 * (scenario, kernel, era, switches), the invariant's explanation of the
 * last state and the command that reproduces it.
 */
import { NO_DEADLOCK } from '../explorer/types.js';
import { invariantByName } from '../invariants/index.js';
import type { Kernel } from '../model/kernels.js';
import type { MmModel } from '../model/mmModel.js';
import { ddmin, normalise } from '../counterexamples/minimize.js';
import { renderText } from '../counterexamples/renderText.js';
import { slice } from '../counterexamples/slice.js';
import { replay } from '../counterexamples/trace.js';
import type { Trace } from '../counterexamples/trace.js';
import type { LoadedScenario } from '../scenario/catalog.js';
import { VERSION } from './version.js';

/** The SCENARIO argument that names `s` again: its built-in name, else its file. */
export function scenarioArg(s: LoadedScenario): string {
  return s.builtin ? s.name : s.file;
}

/** The `--with X --without Y` flags that rebuild a what-if kernel (each with a leading space). */
export function switchFlags(kernel: Kernel): string {
  return kernel.toggled.map((t) => (t.startsWith('+') ? ` --with ${t.slice(1)}` : ` --without ${t.slice(1)}`)).join('');
}

/**
 * The footprint slice drops the steps the violation does not depend on,
 * ddmin confirms no step can go (and shrinks paths found otherwise, e.g.
 * by simulation), then normalise() orders it with as few thread switches
 * as the same execution allows. no-deadlock is a property of the end state
 * having no successor, so its path is kept as found.
 */
export function minimalPath(model: MmModel, invariant: string, path: readonly number[]): number[] {
  if (invariant === NO_DEADLOCK) return [...path];
  const pred = invariantByName(invariant)!.make(model);
  const fails = (st: Uint8Array): boolean => !pred(model.view(st));
  return normalise(model, ddmin(model, slice(model, path, fails), fails));
}

/** The invariant's explanation of the last state of a trace that breaks it. */
export function explainViolation(model: MmModel, invariant: string, trace: Trace): string {
  const inv = invariantByName(invariant);
  if (!inv) throw new Error(`pincow internal error: no invariant "${invariant}"`);
  return inv.explain(model, model.view(trace.states[trace.states.length - 1]!));
}

export interface Counterexample {
  /** the minimal, normalised action path */
  readonly path: number[];
  readonly trace: Trace;
  /** the counterexample for a mailing list */
  readonly text: string;
}

/**
 * From a path that ends in a state breaking `invariant` to the
 * counterexample as data and text. `reproduce` is the command printed on
 * its last line.
 */
export function counterexample(s: LoadedScenario, kernel: Kernel, model: MmModel, invariant: string, found: readonly number[], reproduce: string): Counterexample {
  const path = minimalPath(model, invariant, found);
  const trace = replay(model, path);
  return { path, trace, text: renderViolation(s, kernel, model, invariant, trace, reproduce) };
}

/** A trace as it is (no minimising) rendered as mailing-list text. */
export function renderViolation(s: LoadedScenario, kernel: Kernel, model: MmModel, invariant: string, trace: Trace, reproduce: string): string {
  return renderText(trace, {
    scenario: s.name, kernelLabel: kernel.label, eraId: kernel.era.id, eraSummary: kernel.era.summary, toggled: kernel.toggled,
    invariant, explanation: explainViolation(model, invariant, trace), actors: s.cfg.actors.map((a) => a.name),
    hash: s.hash, version: VERSION, reproduce,
  });
}
