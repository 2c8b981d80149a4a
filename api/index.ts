/**
 * pincow's public API: check a scenario on a kernel, run the matrix, load
 * and parse scenarios, resolve kernels, and replay traces. Everything
 * returns data; nothing prints or exits.
 */
export { check, DEFAULT_DEPTH } from './check.js';
export type { CheckOptions, CheckResult, InvariantVerdict } from './check.js';
export { matrix, cell } from './matrix.js';
export type { Cell, CellInvariant } from './matrix.js';
export { VERSION } from './version.js';
export { parseScenario } from '../scenario/parse.js';
export { formatScenario } from '../scenario/format.js';
export { compileScenario, expectedVerdict } from '../scenario/compile.js';
export type { CompiledScenario } from '../scenario/compile.js';
export { loadScenario, loadCatalog, catalogNames, compileText } from '../scenario/catalog.js';
export type { LoadedScenario } from '../scenario/catalog.js';
export { resolveKernels, toggleSwitches, ERAS, SWITCHES } from '../model/kernels.js';
export type { Kernel } from '../model/kernels.js';
export { PincowError } from '../model/errors.js';
export { INVARIANTS } from '../invariants/index.js';
export { MmModel } from '../model/mmModel.js';
export { replay } from '../counterexamples/trace.js';
export { replayActions, replayItf, toItf, toVitest } from './replay.js';
export type { ItfTrace, ReplayOutcome } from './replay.js';
export type { Trace, TraceStep } from '../counterexamples/trace.js';
export { simulate, SIMULATE_DEFAULTS } from './simulate.js';
export type { SimulateOptions, SimulateResult, SimulatedViolation } from './simulate.js';
export { arbitraries } from './arbitraries.js';
export type { ScenarioTextOptions, TracesOptions } from './arbitraries.js';
export { scenarios } from './scenarios.js';
