/**
 * The model factory contract: how a worker thread rebuilds the model it
 * explores. Models hold functions and closures, which cannot cross a
 * thread boundary, so the explorer is handed a serialisable description
 * instead — a module, the name of a function it exports, and JSON
 * arguments — and every worker imports the module and calls the function.
 * The function must be deterministic: every call with the same arguments
 * must build the same model (same actions in the same order, same
 * properties in the same order), or the workers would disagree.
 *
 * For the MM model the function is api/modelFactory.ts buildMmModel
 * (scenario text + file name + kernel + switch toggles + invariants).
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Model, Property } from './types.js';

export interface ModelFactoryRef {
  /** file URL of an ES module (a .ts source URL is mapped to its compiled twin in dist/) */
  readonly module: string;
  /** the exported function: (args) => BuiltModel */
  readonly exportName: string;
  /** JSON-serialisable arguments (structured-cloned to the worker) */
  readonly args: unknown;
}

/** What a factory returns: the model and the properties to check, in a fixed order. */
export interface BuiltModel {
  readonly model: Model;
  readonly properties: readonly Property[];
}

export type ModelFactory = (args: never) => BuiltModel;

function packageDir(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * A URL a worker thread can import. Node 20 workers run JavaScript only;
 * under vitest this code runs from the TypeScript sources, so a `.ts` URL
 * is mapped to the same file compiled into `dist/` (`npm test` builds it
 * first; by hand: `npx tsc -p tsconfig.build.json`).
 */
export function runnableUrl(url: string): string {
  if (!url.endsWith('.ts')) return url;
  const file = fileURLToPath(url);
  const root = packageDir(file);
  if (root === undefined) throw new Error(`pincow internal error: no package.json above ${file}`);
  const js = join(root, 'dist', relative(root, file)).replace(/\.ts$/, '.js');
  if (!existsSync(js)) {
    throw new Error(`worker threads run compiled JavaScript, and ${js} does not exist: build first (npx tsc -p tsconfig.build.json)`);
  }
  return pathToFileURL(js).href;
}

/** Import the factory's module and build the model (in a worker thread). */
export async function buildModel(ref: ModelFactoryRef): Promise<BuiltModel> {
  const mod = (await import(runnableUrl(ref.module))) as Record<string, unknown>;
  const f = mod[ref.exportName];
  if (typeof f !== 'function') throw new Error(`pincow internal error: ${ref.module} exports no function ${ref.exportName}`);
  return (f as (a: unknown) => BuiltModel)(ref.args);
}
