/**
 * Traces as machine data and back: ITF JSON (the Informal Trace Format of
 * Apalache/Quint: every state, plus the action, actor and parameters of
 * each step), replaying a saved trace with validation of every step, and
 * replaying a list of actor names (what generated regression tests do).
 */
import { isDeepStrictEqual } from 'node:util';
import { replay } from '../counterexamples/trace.js';
import type { Trace } from '../counterexamples/trace.js';
import { finalState } from '../counterexamples/minimize.js';
import { invariantByName } from '../invariants/index.js';
import { decodeState } from '../model/decode.js';
import { PincowError } from '../model/errors.js';
import { resolveKernels, toggleSwitches } from '../model/kernels.js';
import type { Kernel } from '../model/kernels.js';
import type { InstrConfig } from '../model/config.js';
import * as L from '../model/layout.js';
import { MmModel } from '../model/mmModel.js';
import type { LoadedScenario } from '../scenario/catalog.js';
import { isOpenCommand } from '../scenario/open.js';
import { resolveScenario } from './explore.js';
import { VERSION } from './version.js';

export const ITF_VARS = ['phase', 'events', 'assertFired', 'missedCow', 'missedCowPfn', 'badFree', 'mms', 'pages', 'pins', 'actors'] as const;

export interface ItfMeta {
  readonly format: 'ITF';
  readonly 'format-description': string;
  readonly source: string;
  readonly scenarioHash: string;
  readonly kernel: string;
  readonly with: readonly string[];
  readonly without: readonly string[];
  readonly invariant: string;
  readonly pincow: string;
}

export interface ItfTrace {
  readonly '#meta': ItfMeta;
  readonly vars: readonly string[];
  readonly states: readonly Record<string, unknown>[];
}

function togglesOf(k: Kernel): { with: string[]; without: string[] } {
  return {
    with: k.toggled.filter((t) => t.startsWith('+')).map((t) => t.slice(1)),
    without: k.toggled.filter((t) => t.startsWith('-')).map((t) => t.slice(1)),
  };
}

/** The ITF form of a counterexample. */
export function toItf(s: LoadedScenario, k: Kernel, invariant: string, path: readonly number[]): ItfTrace {
  const model = new MmModel(s.cfg, k);
  const t = replay(model, path);
  const states = t.states.map((bytes, i) => {
    const step = i > 0 ? t.steps[i - 1]! : undefined;
    // `choice` (the alternative a choice instruction started with) only in models with choices, so plain traces stay as they were.
    const choice = model.hasChoices ? { choice: model.choiceOf(step?.action ?? 0) } : {};
    const meta = step
      ? { index: i, action: step.stepName, actor: step.actor, function: step.fn, params: { instruction: step.starts ?? null, explain: step.explain ?? null, ...choice } }
      : { index: 0, action: 'init' };
    return { '#meta': meta, ...decodeState(model, bytes) };
  });
  return {
    '#meta': {
      format: 'ITF', 'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
      source: s.builtin ? s.name : s.file, scenarioHash: s.hash, kernel: k.label, ...togglesOf(k), invariant, pincow: VERSION,
    },
    vars: ITF_VARS,
    states,
  };
}

function bad(msg: string): never {
  throw new PincowError('invalid-trace', msg);
}

function str(x: unknown, what: string): string {
  if (typeof x !== 'string') bad(`${what} must be a string`);
  return x;
}

function strList(x: unknown, what: string): string[] {
  if (x === undefined) return [];
  if (!Array.isArray(x) || !x.every((e) => typeof e === 'string')) bad(`${what} must be a list of strings`);
  return x as string[];
}

export interface ReplayOutcome {
  readonly scenario: LoadedScenario;
  readonly kernel: Kernel;
  readonly model: MmModel;
  readonly path: number[];
  readonly trace: Trace;
  /** the invariants (of the scenario's, plus the claimed one) broken in the final state */
  readonly violated: string[];
}

function kernelFrom(spec: string, withs: readonly string[], withouts: readonly string[]): Kernel {
  const ks = resolveKernels(spec);
  if (ks.length !== 1) bad(`kernel must name one kernel, found "${spec}"`);
  return toggleSwitches(ks[0]!, withs, withouts);
}

function violatedIn(model: MmModel, s: LoadedScenario, state: Uint8Array, extra: readonly string[]): string[] {
  const names = [...new Set([...s.invariants, ...extra])].filter((n) => n !== 'no-deadlock');
  return names.filter((n) => !invariantByName(n)!.make(model)(model.view(state)));
}

/**
 * The action id of one step written as in a generated test: `P0` (the
 * actor's next step), or `P0: pin A ro` where the actor starts a choice
 * instruction (open mode) and the text names the alternative.
 */
function actionOf(model: MmModel, state: Uint8Array, written: string, step: number): number {
  const names = model.cfg.actors.map((a) => a.name);
  const m = /^([^:]+?)(?::\s*(.*))?$/.exec(written.trim());
  const name = m?.[1] ?? written;
  const a = names.indexOf(name);
  if (a < 0) bad(`step ${step}: unknown actor "${name}"; the scenario's actors are ${names.join(', ')}`);
  const alts = choiceAlts(model, state, a);
  if (m?.[2] === undefined) {
    if (alts) bad(`step ${step}: ${name} starts a choice here: write "${name}: OPERATION", one of: ${alts.map((x) => x.text).join('; ')}`);
    return a;
  }
  if (!alts) bad(`step ${step}: ${name} is not at a choice; write just "${name}"`);
  const c = alts.findIndex((x) => x.text === m[2]);
  if (c < 0) bad(`step ${step}: "${m[2]}" is not an operation ${name} can choose; expected one of: ${alts.map((x) => x.text).join('; ')}`);
  return a + model.nActors * c;
}

/** The alternatives actor a chooses among in `state`, or undefined if it does not start a choice there. */
function choiceAlts(model: MmModel, state: Uint8Array, a: number): readonly InstrConfig[] | undefined {
  const v = model.view(state);
  const at = model.cfg.actors[a]!.program[v.act(a, L.A_PC)];
  return at?.alts !== undefined && v.act(a, L.A_STEP) === 0 ? at.alts : undefined;
}

/** How a generated test writes a step: the actor, and at a choice the alternative's text. */
function writtenAction(model: MmModel, state: Uint8Array, action: number): string {
  const a = model.actorOf(action);
  const name = model.cfg.actors[a]!.name;
  const alts = choiceAlts(model, state, a);
  return alts ? `${name}: ${alts[model.choiceOf(action)]!.text}` : name;
}

/** Replay actor names (as written in a generated regression test; `P0: OP` at a choice). */
export function replayActions(o: { scenario: string; kernel: string; with?: readonly string[]; without?: readonly string[]; actions: readonly string[] }): ReplayOutcome {
  const s = resolveScenario(o.scenario);
  const kernel = kernelFrom(o.kernel, o.with ?? [], o.without ?? []);
  const model = new MmModel(s.cfg, kernel);
  const path: number[] = [];
  let state = model.initialState();
  for (const [i, written] of o.actions.entries()) {
    const action = actionOf(model, state, written, i + 1);
    path.push(action);
    const next = finalState(model, path);
    if (!next) break; // replay() below names the step that is not enabled
    state = next;
  }
  if (!finalState(model, path)) {
    // replay() names the first step that is not enabled
    try { replay(model, path); } catch (e) { bad(`${(e as Error).message}`); }
  }
  const trace = replay(model, path);
  return { scenario: s, kernel, model, path, trace, violated: violatedIn(model, s, trace.states[trace.states.length - 1]!, []) };
}

/** Differences between a recorded and a recomputed decoded state, as `where: recorded vs actual`. */
function firstDifference(a: unknown, b: unknown, where = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], where ? `${where}.${key}` : key);
      if (d) return d;
    }
  }
  return `${where || 'state'} is ${JSON.stringify(b)}, the trace says ${JSON.stringify(a)}`;
}

/** Replay an ITF trace: every step must be enabled and reach the recorded state. */
export function replayItf(json: unknown): ReplayOutcome & { claimed: string } {
  if (!json || typeof json !== 'object') bad('not an ITF trace: expected a JSON object');
  const t = json as Partial<ItfTrace>;
  const meta = t['#meta'] as Partial<ItfMeta> | undefined;
  if (!meta || meta.format !== 'ITF') bad('not an ITF trace written by pincow: "#meta".format must be "ITF"');
  if (!Array.isArray(t.states) || t.states.length === 0) bad('"states" must be a non-empty list');
  const s = resolveScenario(str(meta.source, '"#meta".source'));
  if (meta.scenarioHash && meta.scenarioHash !== s.hash) bad(`scenario ${s.name} changed since the trace was written (hash ${meta.scenarioHash}, now ${s.hash})`);
  const kernel = kernelFrom(str(meta.kernel, '"#meta".kernel'), strList(meta.with, '"#meta".with'), strList(meta.without, '"#meta".without'));
  const claimed = str(meta.invariant, '"#meta".invariant');
  if (!invariantByName(claimed)) bad(`unknown invariant "${claimed}" in "#meta".invariant`);
  const model = new MmModel(s.cfg, kernel);
  const names = s.cfg.actors.map((a) => a.name);
  const path: number[] = [];
  let state = model.initialState();
  const buf = new Int32Array(model.actionCount);
  t.states.forEach((rec, i) => {
    const { '#meta': m, ...vars } = rec as Record<string, unknown> & { '#meta'?: { actor?: unknown; params?: { choice?: unknown } } };
    if (i > 0) {
      const actor = str(m?.actor, `state ${i} "#meta".actor`);
      const who = names.indexOf(actor);
      if (who < 0) bad(`step ${i}: unknown actor "${actor}"`);
      const choice = m?.params?.choice ?? 0;
      if (typeof choice !== 'number' || !Number.isInteger(choice) || choice < 0 || choice >= model.maxChoices) bad(`step ${i}: "#meta".params.choice must be an integer from 0 to ${model.maxChoices - 1}`);
      const a = who + model.nActors * choice;
      const n = model.enabled(state, buf);
      if (!Array.from(buf.subarray(0, n)).includes(a)) bad(`step ${i}: ${actor} has no enabled step here`);
      const next = new Uint8Array(state.length);
      model.apply(state, a, next);
      state = next;
      path.push(a);
    }
    const diff = firstDifference(vars, JSON.parse(JSON.stringify(decodeState(model, state))));
    if (diff) bad(`step ${i}: ${diff}`);
  });
  const trace = replay(model, path);
  return { scenario: s, kernel, model, path, trace, violated: violatedIn(model, s, state, [claimed]), claimed };
}

/** A vitest regression test that replays the trace through the public API. */
export function toVitest(s: LoadedScenario, k: Kernel, invariant: string, path: readonly number[], importFrom = 'pincow'): string {
  const model = new MmModel(s.cfg, k);
  const states = replay(model, path).states;
  const actions = path.map((a, i) => writtenAction(model, states[i]!, a));
  const tg = togglesOf(k);
  const src = s.builtin ? s.name : s.file;
  return [
    `// Generated by pincow ${VERSION}: ${s.name} on ${k.label} (${k.era.id}) violates ${invariant}.`,
    `// Regenerate with: npx pincow ${isOpenCommand(src) ? src : `check ${src}`} --kernel ${k.label} --format vitest`,
    `import { expect, it } from 'vitest';`,
    `import { replayActions } from '${importFrom}';`,
    '',
    `it(${JSON.stringify(`${s.name} on ${k.label} violates ${invariant}`)}, () => {`,
    `  const r = replayActions({`,
    `    scenario: ${JSON.stringify(src)},`,
    `    kernel: ${JSON.stringify(k.label)},`,
    ...(tg.with.length ? [`    with: ${JSON.stringify(tg.with)},`] : []),
    ...(tg.without.length ? [`    without: ${JSON.stringify(tg.without)},`] : []),
    `    actions: ${JSON.stringify(actions)},`,
    `  });`,
    `  expect(r.violated).toContain(${JSON.stringify(invariant)});`,
    `});`,
    '',
  ].join('\n');
}
