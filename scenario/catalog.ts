/**
 * The built-in catalogue (catalog/*.pincow) and loading a SCENARIO argument:
 * a built-in name or a path to a file. Parsing and compiling errors carry
 * file:line:col.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { didYouMean, PincowError } from '../model/errors.js';
import { compileScenario } from './compile.js';
import type { CompiledScenario } from './compile.js';
import { parseScenario } from './parse.js';

/** The package root: the nearest folder above this file holding package.json (works from src and dist). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('pincow internal error: package.json not found');
    dir = up;
  }
  return dir;
}

export function catalogDir(): string {
  return join(packageRoot(), 'catalog');
}

/** Names of the built-in scenarios, sorted. */
export function catalogNames(): string[] {
  return readdirSync(catalogDir()).filter((f) => f.endsWith('.pincow')).map((f) => f.slice(0, -'.pincow'.length)).sort();
}

export interface LoadedScenario extends CompiledScenario {
  /** the text it was compiled from */
  readonly source: string;
  /** short content hash of the text (for trace headers) */
  readonly hash: string;
  readonly builtin: boolean;
}

/**
 * Parse and compile a scenario text; `file` names it in error positions
 * (file:line:col) and in `Reproduce:` lines; `builtin` says it is a
 * catalogue scenario (reproduced by name).
 */
export function compileText(text: string, file: string, builtin: boolean): LoadedScenario {
  const compiled = compileScenario(parseScenario(text, file));
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  return { ...compiled, source: text, hash, builtin };
}

/**
 * Load a SCENARIO argument: a built-in name (`pincow list scenarios`) or a
 * path to a `.pincow` file. Unknown names, unreadable files and malformed
 * scenarios are PincowErrors.
 */
export function loadScenario(arg: string): LoadedScenario {
  const looksLikePath = arg.includes('/') || arg.endsWith('.pincow');
  if (!looksLikePath) {
    const names = catalogNames();
    if (!names.includes(arg)) {
      throw new PincowError('unknown-name', `unknown scenario "${arg}"; expected a built-in name (pincow list scenarios) or a path to a .pincow file${didYouMean(arg, names)}`);
    }
    const file = join(catalogDir(), `${arg}.pincow`);
    return compileText(readFileSync(file, 'utf8'), `catalog/${arg}.pincow`, true);
  }
  const path = resolve(arg);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PincowError('io', `cannot read scenario file "${arg}": ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return compileText(text, arg, false);
}

/** Every built-in scenario, loaded, in name order. */
export function loadCatalog(): LoadedScenario[] {
  return catalogNames().map(loadScenario);
}
