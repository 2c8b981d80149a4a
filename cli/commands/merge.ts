/**
 * `pincow merge FILE...`: the shard files of one `check --shard i/N` run
 * (one per shard, all N of them) combined into one verdict per (scenario,
 * kernel), printed as `check` prints it: the verdict, what was proved
 * (here: by N shards) and the shortest counterexample per violated
 * invariant. Exit codes as for check: 0 holds, 1 violated, 3 a shard was
 * stopped by a bound; 2 for files that are not the shards of one run.
 */
import { readFileSync } from 'node:fs';
import { merge } from '../../api/merge.js';
import type { MergedResult, ShardInput } from '../../api/merge.js';
import { parseShardFile } from '../../api/shard.js';
import { PincowError } from '../../model/errors.js';
import { EXIT_BOUND, EXIT_OK, EXIT_VIOLATION, formatOf } from '../common.js';
import type { Io } from '../common.js';
import { resultJson } from '../json.js';
import { headline, printCounterexamples } from './check.js';
import { checkJunit } from '../junit.js';
import { WIDTH, wrap } from '../../counterexamples/renderText.js';

export interface MergeArgs {
  files: string[];
  format: string;
  'all-invariants'?: boolean;
}

function fmtSci(x: number): string {
  return x === 0 ? '0' : x.toExponential(1);
}

function readShard(file: string): ShardInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PincowError('io', `cannot read shard file "${file}": ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return { name: file, file: parseShardFile(text, file) };
}

/** How the N shards split the graph, in a phrase. */
function split(r: MergedResult): string {
  const sh = r.shards;
  return sh.cutDepth === null
    ? `${sh.count} shards (the search ended before the level to split: each shard explored all of it)`
    : `${sh.count} shards (split at depth ${sh.cutDepth}: ${sh.frontier} states, ${sh.parts.join('/')})`;
}

/** Wrapped to 72 columns with a two-space indent, as check's verdicts. */
function indent(text: string): string[] {
  return wrap(text, WIDTH - 2).map((l) => `  ${l}`);
}

/** The verdict of the whole run and what it rests on. */
export function mergedVerdictLine(io: Io, r: MergedResult): string {
  const head = `${r.scenario} ${r.kernel} (${r.era}):`;
  const st = r.stats;
  const summed = `${st.states} states explored by the shards together (a state reachable from several shards counts once for each)`;
  if (r.verdict === 'violated') {
    const names = r.invariants.filter((i) => i.verdict === 'violated').map((i) => i.invariant).join(', ');
    const by = r.shards.violatedBy.map((i) => `${i}/${r.shards.count}`).join(', ');
    return [...headline(io, head, 'violated', names), ...indent(`found by shard(s) ${by} of ${split(r)}; ${summed}.`)].join('\n');
  }
  const names = r.invariants.map((i) => i.invariant).join(', ');
  if (r.verdict === 'holds') {
    return [
      ...headline(io, head, 'holds', names),
      ...indent(`proved by ${split(r)}: every shard's queue exhausted, so every reachable state of the ${r.bound.graph} graph (depth ${st.maxDepth}) was checked; ${summed}; P(fingerprint collision) ${fmtSci(st.collisionProbability)}.`),
    ].join('\n');
  }
  return [
    ...headline(io, head, 'incomplete', names),
    ...indent(`no violation in the ${split(r)}, but ${r.limit ?? 'a bound stopped a shard'} before its queue was exhausted; ${summed}.`),
  ].join('\n');
}

export function runMerge(a: MergeArgs, io: Io): number {
  const format = formatOf({ format: a.format }, ['text', 'json', 'junit']);
  if (a.files.length === 0) throw new PincowError('bad-option', 'merge needs the shard files of a run: pincow merge pincow-shard-1-of-4.json ... pincow-shard-4-of-4.json');
  const results = merge(a.files.map(readShard));
  if (format === 'text') {
    for (const r of results) {
      io.out(mergedVerdictLine(io, r));
      printCounterexamples(io, r.invariants, a['all-invariants'] === true);
    }
  }
  if (format === 'json') io.out(JSON.stringify(results.map((r) => ({ ...resultJson(r, r.model), shards: r.shards })), null, 2));
  if (format === 'junit') io.out(checkJunit(results));
  if (results.some((r) => r.verdict === 'violated')) return EXIT_VIOLATION;
  if (results.some((r) => r.verdict === 'incomplete')) return EXIT_BOUND;
  return EXIT_OK;
}
