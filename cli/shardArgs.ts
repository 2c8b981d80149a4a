/**
 * `check --shard i/N [--shard-depth D] [--shard-out FILE]`: validated,
 * and the shard run's output — a line per (scenario, kernel) saying what
 * this part found, and the result file `pincow merge` combines.
 */
import { writeFileSync } from 'node:fs';
import type { CheckResult } from '../api/check.js';
import { shardFile } from '../api/shard.js';
import type { ShardResult } from '../api/shard.js';
import type { ShardSpec } from '../explorer/parallel.js';
import { PincowError } from '../model/errors.js';
import { WIDTH, wrap } from '../counterexamples/renderText.js';
import { EXIT_OK, paint } from './common.js';
import type { Io } from './common.js';

/** The most shards `--shard i/N` accepts. */
export const MAX_SHARDS = 4096;

export interface ShardArgs {
  shard?: string;
  'shard-depth'?: number;
  'shard-out'?: string;
  format: string;
  strategy?: string;
}

export interface ShardRun {
  /** 1-based, as the user wrote it */
  readonly index: number;
  readonly count: number;
  readonly depth: number | undefined;
  readonly out: string;
  /** for the explorer (0-based index) */
  readonly spec: ShardSpec;
}

/** The shard options, or undefined without `--shard`; bad ones are PincowErrors (exit 2). */
export function shardOf(a: ShardArgs): ShardRun | undefined {
  if (a.shard === undefined) {
    if (a['shard-depth'] !== undefined || a['shard-out'] !== undefined) throw new PincowError('bad-option', '--shard-depth and --shard-out go with --shard i/N');
    return undefined;
  }
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(String(a.shard));
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || count > MAX_SHARDS || index < 1 || index > count) {
    throw new PincowError('bad-option', `--shard ${String(a.shard)}: expected i/N, shard i of N, with 1 <= i <= N <= ${MAX_SHARDS} (e.g. --shard 1/4 ... --shard 4/4)`);
  }
  const depth = a['shard-depth'];
  if (depth !== undefined && (!Number.isInteger(depth) || depth < 0)) {
    throw new PincowError('bad-option', `--shard-depth must be a BFS level, a whole number >= 0, found ${String(depth)}`);
  }
  if (a.strategy === 'dfs') throw new PincowError('bad-option', '--shard needs --strategy bfs: shards split a BFS level');
  if (a.format !== 'text') {
    throw new PincowError('bad-option', `--shard writes its results to a file (--shard-out) and prints text; --format ${a.format} is for "pincow merge", which combines the shard files`);
  }
  return {
    index, count, depth, out: a['shard-out'] ?? `pincow-shard-${index}-of-${count}.json`,
    spec: { index: index - 1, count, depth },
  };
}

/** What this shard found for one (scenario, kernel). */
export function shardLine(io: Io, r: CheckResult, sh: ShardRun): string {
  const head = `${r.scenario} ${r.kernel} (${r.era}) shard ${sh.index}/${sh.count}:`;
  const cut = r.shard?.cut;
  const where = cut?.depth !== undefined
    ? `from ${cut.part} of the ${cut.frontier} states at depth ${cut.depth}`
    : '(the search ended before the level to split: this shard explored all of it)';
  const bad = r.invariants.filter((i) => i.verdict === 'violated').map((i) => i.invariant);
  const found = bad.length ? `${paint(io, 'red', 'found violations of')} ${bad.join(', ')}` : 'no violation';
  const end = r.shard?.end === 'exhausted' ? 'queue exhausted' : r.shard?.end === 'all-violated' ? 'stopped: every invariant violated' : (r.limit ?? 'stopped by a bound');
  return [`${head} ${found}`, ...wrap(`${r.stats.states} states ${where}; ${end}`, WIDTH - 2).map((l) => `  ${l}`)].join('\n');
}

/** Write the shard file; the verdict is merge's to give (exit 0 once the file is written). */
export function writeShard(io: Io, sh: ShardRun, results: readonly ShardResult[]): number {
  try {
    writeFileSync(sh.out, `${JSON.stringify(shardFile(sh.index, sh.count, results))}\n`);
  } catch (e) {
    throw new PincowError('io', `cannot write the shard file "${sh.out}": ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  io.out(`shard ${sh.index}/${sh.count}: results written to ${sh.out}; the verdict comes from "pincow merge" of all ${sh.count} shard files`);
  return EXIT_OK;
}
