/**
 * Shard result files (`pincow check --shard i/N` writes one, `pincow
 * merge` reads them): per (scenario, kernel) what the shard explored and
 * found, with everything `merge` needs to check that the shards belong to
 * one run and to rebuild the counterexamples — the scenario text, the
 * kernel and its toggles, the options that shape the graph, where the
 * frontier was cut, and the raw violation paths.
 *
 *   { "format": "pincow-shard", "version": 1, "pincow": "0.1.0",
 *     "shard": { "index": 2, "count": 4 },          // 1-based
 *     "results": [ { "scenario": {name, source, file, builtin, hash},
 *                    "kernel": {label, era, toggled},
 *                    "invariants": [...], "depth": 200, "por": true, "symmetry": true,
 *                    "strategy": "bfs", "shardDepth": null,
 *                    "cut": {depth, frontier, part},
 *                    "end": "exhausted", "limit": null,
 *                    "stats": {...}, "violations": [{invariant, path}] } ] }
 */
import type { ShardCut } from '../explorer/parallel.js';
import type { ExploreResult } from '../explorer/types.js';
import { PincowError } from '../model/errors.js';
import type { Kernel } from '../model/kernels.js';
import type { LoadedScenario } from '../scenario/catalog.js';
import type { CheckResult } from './check.js';
import { kernelRef, scenarioRef } from './modelFactory.js';
import type { KernelRef, ScenarioRef } from './modelFactory.js';
import { VERSION } from './version.js';

export const SHARD_FORMAT = 'pincow-shard';
export const SHARD_FORMAT_VERSION = 1;

export interface ShardResult {
  readonly scenario: ScenarioRef;
  readonly kernel: KernelRef;
  readonly invariants: readonly string[];
  /** the depth bound */
  readonly depth: number;
  /** reductions in effect */
  readonly por: boolean;
  readonly symmetry: boolean;
  readonly strategy: 'bfs';
  /** the cut level asked for (`--shard-depth`), null for the default rule */
  readonly shardDepth: number | null;
  readonly cut: { readonly depth: number | null; readonly frontier: number; readonly part: number };
  readonly end: ExploreResult['end'];
  readonly limit: string | null;
  readonly stats: CheckResult['stats'];
  /** each violated invariant with the BFS path this shard found (not minimised) */
  readonly violations: readonly { readonly invariant: string; readonly path: readonly number[] }[];
}

export interface ShardFile {
  readonly format: typeof SHARD_FORMAT;
  readonly version: number;
  readonly pincow: string;
  /** 1-based index, and the count */
  readonly shard: { readonly index: number; readonly count: number };
  readonly results: readonly ShardResult[];
}

/** One (scenario, kernel) of a shard run, as its file holds it. */
export function shardResult(r: CheckResult, s: LoadedScenario, k: Kernel, shardDepth: number | undefined): ShardResult {
  const sh = r.shard;
  if (!sh) throw new Error('pincow internal error: not a shard result');
  return {
    scenario: scenarioRef(s), kernel: kernelRef(k), invariants: r.invariants.map((i) => i.invariant),
    depth: r.bound.depth, por: r.bound.por, symmetry: r.bound.symmetry, strategy: 'bfs', shardDepth: shardDepth ?? null,
    cut: cutJson(sh.cut), end: sh.end, limit: r.limit ?? null, stats: r.stats,
    violations: sh.found.map((v) => ({ invariant: v.property, path: [...v.path] })),
  };
}

function cutJson(c: ShardCut): ShardResult['cut'] {
  return { depth: c.depth ?? null, frontier: c.frontier, part: c.part };
}

/** The file of shard `index` (1-based) of `count`. */
export function shardFile(index: number, count: number, results: readonly ShardResult[]): ShardFile {
  return { format: SHARD_FORMAT, version: SHARD_FORMAT_VERSION, pincow: VERSION, shard: { index, count }, results };
}

function bad(name: string, what: string): PincowError {
  return new PincowError('io', `${name}: ${what}; expected a file written by "pincow check --shard i/N"`);
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => Number.isInteger(x);

/** Parse and check the shape of a shard file's text; `name` says where in errors. */
export function parseShardFile(text: string, name: string): ShardFile {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw bad(name, `not JSON (${(e as Error).message})`);
  }
  if (!isObj(j) || j['format'] !== SHARD_FORMAT) throw bad(name, 'not a shard result file');
  if (j['version'] !== SHARD_FORMAT_VERSION) throw bad(name, `shard file format version ${String(j['version'])}, this pincow reads version ${SHARD_FORMAT_VERSION}`);
  const sh = j['shard'];
  if (!isObj(sh) || !isInt(sh['index']) || !isInt(sh['count']) || sh['count'] < 1 || sh['index'] < 1 || sh['index'] > sh['count']) {
    throw bad(name, 'no valid "shard": {"index", "count"}');
  }
  const results = j['results'];
  if (!Array.isArray(results)) throw bad(name, 'no "results" list');
  results.forEach((r, i) => checkResultShape(r, `${name}: results[${i}]`));
  return j as unknown as ShardFile;
}

function checkResultShape(r: unknown, where: string): void {
  const fail = (what: string): never => { throw new PincowError('io', `${where}: ${what}; expected a file written by "pincow check --shard i/N"`); };
  if (!isObj(r)) fail('not an object');
  const o = r as Record<string, unknown>;
  const sc = o['scenario'];
  if (!isObj(sc) || typeof sc['name'] !== 'string' || typeof sc['source'] !== 'string' || typeof sc['file'] !== 'string' || typeof sc['hash'] !== 'string' || typeof sc['builtin'] !== 'boolean') fail('bad "scenario"');
  const k = o['kernel'];
  if (!isObj(k) || typeof k['label'] !== 'string' || typeof k['era'] !== 'string' || !Array.isArray(k['toggled'])) fail('bad "kernel"');
  if (!Array.isArray(o['invariants']) || !isInt(o['depth']) || typeof o['por'] !== 'boolean' || typeof o['symmetry'] !== 'boolean') fail('bad options');
  const c = o['cut'];
  if (!isObj(c) || !isInt(c['frontier']) || !isInt(c['part']) || !(c['depth'] === null || isInt(c['depth']))) fail('bad "cut"');
  if (!['exhausted', 'depth', 'limit', 'all-violated'].includes(String(o['end']))) fail('bad "end"');
  if (!isObj(o['stats'])) fail('bad "stats"');
  const v = o['violations'];
  if (!Array.isArray(v) || !v.every((x) => isObj(x) && typeof x['invariant'] === 'string' && Array.isArray(x['path']) && x['path'].every(isInt))) fail('bad "violations"');
}
