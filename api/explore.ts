/**
 * Open mode as data (`pincow explore`, docs/open-mode.md): every program
 * of up to N operations per actor over an alphabet, explored by the same
 * path as check() — same explorer, same invariants, same minimal rendered
 * counterexamples — with `Reproduce: npx pincow explore ... --kernel K`.
 * Never prints, never exits.
 */
import { INVARIANT_NAMES } from '../invariants/index.js';
import type { Kernel } from '../model/kernels.js';
import { loadScenario } from '../scenario/catalog.js';
import type { LoadedScenario } from '../scenario/catalog.js';
import { isOpenCommand, openCommand, openConfig, openHash, openName, parseOpenCommand } from '../scenario/open.js';
import type { OpenSpec } from '../scenario/open.js';
import { check } from './check.js';
import type { CheckOptions, CheckResult } from './check.js';

/** The open-mode configuration as a scenario (not built-in: it is named by its `explore ...` command). */
export function openScenario(spec: OpenSpec): LoadedScenario {
  const command = openCommand(spec);
  return {
    name: openName(spec), title: openMeaning(spec), refs: [], file: command, cfg: openConfig(spec),
    invariants: INVARIANT_NAMES, expects: [], depth: undefined, source: command, hash: openHash(spec), builtin: false,
  };
}

/** What the run covers, in one sentence (printed before the verdict). */
export function openMeaning(s: OpenSpec): string {
  const threads = s.threads > 1 ? ` (P0 with ${s.threads} threads)` : '';
  const children = s.procs > 2 ? `, P1..P${s.procs - 1} created by fork` : s.procs === 2 ? ', P1 created by fork' : '';
  const setup = s.setup === 'written' ? 'mmapped and written once in setup' : 'mmapped in setup, not populated';
  return `every program of up to ${s.maxOps} operation(s) per actor over {${s.ops.join(', ')}}; `
    + `${s.procs} process(es)${threads}${children}; ${s.pages} anonymous page(s) of P0 ${setup}`;
}

export interface ExploreResult extends CheckResult {
  readonly spec: OpenSpec;
  /** the command line that reruns it (without --kernel) */
  readonly command: string;
}

/**
 * Explore every program of up to `spec.maxOps` operations per actor on one
 * kernel: the verdict as check() returns it, for the open configuration.
 *
 * @param spec from openSpec() (validated options)
 * @param kernel one kernel, e.g. `resolveKernels('6.1')[0]`
 * @param o bounds, invariants (default: all) and a progress listener
 */
export function exploreOpen(spec: OpenSpec, kernel: Kernel, o: CheckOptions = {}): ExploreResult {
  const s = openScenario(spec);
  const command = openCommand(spec);
  return { ...check(s, kernel, { ...o, command: `npx pincow ${command}` }), spec, command };
}

/**
 * A SCENARIO as traces name it: a built-in name, a `.pincow` file, or an
 * open-mode command (`explore --procs 2 ...`, what ITF traces and
 * generated tests of open-mode counterexamples record).
 */
export function resolveScenario(arg: string): LoadedScenario {
  return isOpenCommand(arg) ? openScenario(parseOpenCommand(arg)) : loadScenario(arg);
}
