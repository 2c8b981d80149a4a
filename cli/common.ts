/**
 * What every command shares: exit codes, the output sink, colour only on a
 * TTY, and resolving the common options (kernels, switches, invariants,
 * scenarios) once, at the boundary, into validated values.
 */
import chalk from 'chalk';
import { didYouMean, PincowError } from '../model/errors.js';
import { resolveKernels, toggleSwitches, ERAS } from '../model/kernels.js';
import type { Kernel } from '../model/kernels.js';
import { INVARIANT_NAMES } from '../invariants/index.js';
import { loadCatalog, loadScenario } from '../scenario/catalog.js';
import type { LoadedScenario } from '../scenario/catalog.js';

export const EXIT_OK = 0;
export const EXIT_VIOLATION = 1;
export const EXIT_USAGE = 2;
export const EXIT_BOUND = 3;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly colour: boolean;
  readonly progress: boolean;
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

export function boundsOf(a: CommonArgs): { depth?: number; maxStates?: number; maxSeconds?: number } {
  for (const [k, v] of [['depth', a.depth], ['max-states', a['max-states']], ['max-seconds', a['max-seconds']]] as const) {
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) throw new PincowError('bad-option', `--${k} must be a positive number, found ${String(v)}`);
  }
  return {
    ...(a.depth !== undefined ? { depth: a.depth } : {}),
    ...(a['max-states'] !== undefined ? { maxStates: a['max-states'] } : {}),
    ...(a['max-seconds'] !== undefined ? { maxSeconds: a['max-seconds'] } : {}),
  };
}
