/**
 * The MM model's factory for worker threads (explorer/factory.ts
 * contract): everything needed to build the same MmModel and properties
 * again from JSON — the scenario's text and file name (or the open-mode
 * command), the kernel label and its switch toggles, the invariants. The
 * same description identifies a run in shard result files
 * (api/shard.ts), so `merge` can check that shards belong together.
 */
import type { BuiltModel, ModelFactoryRef } from '../explorer/factory.js';
import { resolveKernels, toggleSwitches } from '../model/kernels.js';
import type { Kernel } from '../model/kernels.js';
import { PincowError } from '../model/errors.js';
import { MmModel } from '../model/mmModel.js';
import { compileText } from '../scenario/catalog.js';
import type { LoadedScenario } from '../scenario/catalog.js';
import { isOpenCommand } from '../scenario/open.js';
import { properties } from './check.js';
import { resolveScenario } from './explore.js';

/** A scenario as JSON: its text (or open-mode command), file name, and content hash. */
export interface ScenarioRef {
  readonly name: string;
  readonly source: string;
  readonly file: string;
  readonly builtin: boolean;
  readonly hash: string;
}

/** A kernel as JSON: the label asked for, and the switches toggled (`+name`, `-name`). */
export interface KernelRef {
  readonly label: string;
  readonly era: string;
  readonly toggled: readonly string[];
}

export interface MmModelArgs {
  readonly scenario: ScenarioRef;
  readonly kernel: KernelRef;
  /** the invariants checked, no-deadlock included if it is */
  readonly invariants: readonly string[];
}

export function scenarioRef(s: LoadedScenario): ScenarioRef {
  return { name: s.name, source: s.source, file: s.file, builtin: s.builtin, hash: s.hash };
}

export function kernelRef(k: Kernel): KernelRef {
  return { label: k.label, era: k.era.id, toggled: [...k.toggled] };
}

/** The scenario again from its reference; its hash must match. */
export function scenarioOf(r: ScenarioRef): LoadedScenario {
  const s = isOpenCommand(r.source) ? resolveScenario(r.source) : compileText(r.source, r.file, r.builtin);
  if (s.hash !== r.hash) throw new PincowError('invalid-scenario', `scenario ${r.name}: its text hashes to ${s.hash}, but it is recorded with hash ${r.hash} (edited after the run?)`);
  return s;
}

/** The kernel again from its reference (label, then the same toggles). */
export function kernelOf(r: KernelRef): Kernel {
  const k = resolveKernels(r.label)[0]!;
  const withs = r.toggled.filter((t) => t.startsWith('+')).map((t) => t.slice(1));
  const withouts = r.toggled.filter((t) => t.startsWith('-')).map((t) => t.slice(1));
  return r.toggled.length ? toggleSwitches(k, withs, withouts) : k;
}

/** The factory a worker calls (exported by name; see mmFactoryRef). */
export function buildMmModel(a: MmModelArgs): BuiltModel {
  const s = scenarioOf(a.scenario);
  const model = new MmModel(s.cfg, kernelOf(a.kernel));
  return { model, properties: properties(model, a.invariants) };
}

/** How a worker thread rebuilds check()'s model for this scenario, kernel and invariants. */
export function mmFactoryRef(s: LoadedScenario, k: Kernel, invariants: readonly string[]): ModelFactoryRef {
  const args: MmModelArgs = { scenario: scenarioRef(s), kernel: kernelRef(k), invariants: [...invariants] };
  return { module: import.meta.url, exportName: 'buildMmModel', args };
}
