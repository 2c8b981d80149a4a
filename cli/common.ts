/**
 * What every command shares: exit codes, the output sink, colour only on a
 * TTY, and resolving the common options (kernels, switches, invariants,
 * scenarios) once, at the boundary, into validated values.
 */
import { availableParallelism } from 'node:os';
import chalk from 'chalk';
import { didYouMean, PincowError } from '../model/errors.js';
import { resolveKernels, toggleSwitches, ERAS } from '../model/kernels.js';
import type { Kernel } from '../model/kernels.js';
import { INVARIANT_NAMES } from '../invariants/index.js';
import { loadCatalog, loadScenario } from '../scenario/catalog.js';
import type { LoadedScenario } from '../scenario/catalog.js';
import type { Strategy } from '../api/engine.js';
import type { StopReason } from '../explorer/types.js';
import { interruptStop } from './interrupt.js';

export const EXIT_OK = 0;
export const EXIT_VIOLATION = 1;
export const EXIT_USAGE = 2;
export const EXIT_BOUND = 3;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly colour: boolean;
  /** report progress on stderr (default: stderr is a terminal; `--progress` decides, see progressIo) */
  readonly progress: boolean;
  /** how (cli/progress.ts): a text line (default) or JSON lines */
  readonly progressMode?: 'text' | 'json';
  /** seconds between progress reports (default: cli/progress.ts DEFAULT_INTERVAL) */
  readonly progressInterval?: number;
  /** has the user asked to stop (Ctrl-C)? Long runs stop at their next check point (cli/interrupt.ts) */
  readonly interrupted?: () => boolean;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  colour: process.stdout.isTTY === true && !process.env['NO_COLOR'],
  progress: process.stderr.isTTY === true,
};

export function paint(io: Io, colour: 'red' | 'green' | 'yellow' | 'bold' | 'dim', text: string): string {
  return io.colour ? chalk[colour](text) : text;
}

export interface CommonArgs {
  kernel?: string;
  with?: string[];
  without?: string[];
  invariant?: string[];
  depth?: number;
  format: string;
  'max-states'?: number;
  'max-seconds'?: number;
  'max-memory'?: number;
  /** a whole number, or `auto` (workersOf) */
  workers?: string;
  strategy?: string;
  progress?: string;
  'progress-interval'?: number;
}

export function kernelsOf(a: CommonArgs, fallback: string): Kernel[] {
  const ks = resolveKernels(a.kernel ?? fallback);
  return ks.map((k) => toggleSwitches(k, a.with ?? [], a.without ?? []));
}

export const NEWEST = ERAS[ERAS.length - 1]!.id;

export function invariantsOf(a: CommonArgs): string[] | undefined {
  const list = (a.invariant ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s);
  for (const n of list) {
    if (!INVARIANT_NAMES.includes(n)) throw new PincowError('unknown-name', `unknown invariant "${n}"; expected one of ${INVARIANT_NAMES.join(', ')}${didYouMean(n, INVARIANT_NAMES)}`);
  }
  return list.length ? list : undefined;
}

export function scenariosOf(names: readonly string[]): LoadedScenario[] {
  return names.length ? names.map(loadScenario) : loadCatalog();
}

export function formatOf(a: CommonArgs, allowed: readonly string[]): string {
  if (!allowed.includes(a.format)) throw new PincowError('bad-option', `--format ${a.format} is not supported here; expected ${allowed.join(', ')}`);
  return a.format;
}

/** The bounds and the explorer options every exploring command shares, validated. */
export interface Bounds {
  readonly depth?: number;
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  readonly maxMemory?: number;
  readonly workers?: number;
  readonly strategy?: Strategy;
  readonly stop?: () => StopReason | undefined;
}

/** The most worker threads `--workers` accepts (the table and the levels are shared; more threads than cores only adds contention). */
export const MAX_WORKERS = 64;

/**
 * `--workers`: a whole number from 1 to MAX_WORKERS, or `auto`: one
 * thread per core the process may use (os.availableParallelism), two on
 * this project's machines. More threads than cores only contend.
 */
export function workersOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const cores = Math.min(MAX_WORKERS, availableParallelism());
  const text = String(v); // (given twice, yargs makes it an array: "2,3" is refused below)
  if (text === 'auto') return cores;
  const w = Number(text);
  if (text.trim() === '' || !Number.isInteger(w) || w < 1 || w > MAX_WORKERS) {
    throw new PincowError('bad-option', `--workers must be a whole number from 1 to ${MAX_WORKERS}, found ${text === '' ? 'nothing' : text}; or auto (one per core: ${cores} here)`);
  }
  return w;
}

export function boundsOf(a: CommonArgs): Bounds {
  for (const [k, v] of [['depth', a.depth], ['max-states', a['max-states']], ['max-seconds', a['max-seconds']], ['max-memory', a['max-memory']]] as const) {
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) throw new PincowError('bad-option', `--${k} must be a positive number, found ${String(v)}`);
  }
  const w = workersOf(a.workers);
  const strategy = a.strategy;
  if (strategy !== undefined && strategy !== 'bfs' && strategy !== 'dfs') {
    throw new PincowError('bad-option', `--strategy ${strategy} is not known; expected bfs (breadth-first, shortest counterexamples) or dfs (depth-first, memory-light)${didYouMean(strategy, ['bfs', 'dfs'])}`);
  }
  if (strategy === 'dfs' && w !== undefined) throw new PincowError('bad-option', '--workers needs --strategy bfs: the parallel explorer is breadth-first');
  const stop = interruptStop();
  return {
    ...(a.depth !== undefined ? { depth: a.depth } : {}),
    ...(a['max-states'] !== undefined ? { maxStates: a['max-states'] } : {}),
    ...(a['max-seconds'] !== undefined ? { maxSeconds: a['max-seconds'] } : {}),
    ...(a['max-memory'] !== undefined ? { maxMemory: a['max-memory'] } : {}),
    ...(w !== undefined ? { workers: w } : {}),
    ...(strategy !== undefined ? { strategy } : {}),
    ...(stop ? { stop } : {}),
  };
}

/**
 * The Io a command reports progress through, from `--progress
 * none|text|json` (default: text when stderr is a terminal, else none)
 * and `--progress-interval SECONDS`.
 */
export function progressIo(io: Io, a: CommonArgs): Io {
  const mode = a.progress ?? (io.progress ? 'text' : 'none');
  if (mode !== 'none' && mode !== 'text' && mode !== 'json') {
    throw new PincowError('bad-option', `--progress ${mode} is not known; expected none, text or json${didYouMean(mode, ['none', 'text', 'json'])}`);
  }
  const every = a['progress-interval'];
  if (every !== undefined && (!Number.isFinite(every) || every < 0)) {
    throw new PincowError('bad-option', `--progress-interval must be a number of seconds >= 0, found ${String(every)}`);
  }
  return {
    ...io,
    progress: mode !== 'none',
    ...(mode !== 'none' ? { progressMode: mode } : {}),
    ...(every !== undefined ? { progressInterval: every } : {}),
  };
}
