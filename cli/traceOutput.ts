/**
 * The machine and tracker forms of counterexamples for `check`: ITF JSON
 * (`--format itf`), a generated vitest regression test (`--format vitest`)
 * and Markdown (`--format markdown`). One trace goes to stdout; several
 * need `--out DIR`, one file each.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult } from '../api/check.js';
import { toItf, toVitest } from '../api/replay.js';
import type { Kernel } from '../model/kernels.js';
import { PincowError } from '../model/errors.js';
import type { LoadedScenario } from '../scenario/catalog.js';
import type { Io } from './common.js';

export interface Found {
  readonly scenario: LoadedScenario;
  readonly kernel: Kernel;
  readonly result: CheckResult;
}

interface Doc { readonly name: string; readonly text: string }

function docs(found: readonly Found[], format: string, importFrom: string): Doc[] {
  return found.flatMap(({ scenario, kernel, result }) => result.invariants.filter((i) => i.verdict === 'violated').map((iv): Doc => {
    const base = `${scenario.name}-${kernel.label}-${iv.invariant}`;
    if (format === 'itf') return { name: `${base}.itf.json`, text: `${JSON.stringify(toItf(scenario, kernel, iv.invariant, iv.path!), null, 2)}\n` };
    if (format === 'vitest') return { name: `${base}.test.ts`, text: toVitest(scenario, kernel, iv.invariant, iv.path!, importFrom) };
    return { name: `${base}.md`, text: markdownOf(result, iv.invariant, iv.text!) };
  }));
}

function markdownOf(r: CheckResult, invariant: string, text: string): string {
  return [
    `### \`${invariant}\` violated: ${r.scenario} on ${r.kernel} (${r.era})`,
    '',
    `${r.stats.states} states explored; shortest counterexample, ${text.split('\n').length} lines:`,
    '',
    '```',
    text,
    '```',
    '',
  ].join('\n');
}

/** Write the traces; returns how many were written. */
export function writeTraces(found: readonly Found[], format: string, io: Io, out: string | undefined, importFrom: string): number {
  const all = docs(found, format, importFrom);
  if (out) {
    mkdirSync(out, { recursive: true });
    for (const d of all) writeFileSync(join(out, d.name), d.text);
    for (const d of all) io.err(`wrote ${join(out, d.name)}`);
  } else if (all.length > 1 && format !== 'markdown') {
    throw new PincowError('bad-option', `${all.length} counterexamples found; --format ${format} writes one per file: add --out DIR (or narrow with --kernel/--invariant)`);
  } else {
    for (const d of all) io.out(d.text.replace(/\n$/, ''));
  }
  return all.length;
}
