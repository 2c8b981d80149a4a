/**
 * A counterexample as plain text for a mailing list: at most 72 columns,
 * one column per actor as in LKML race diagrams, each step with its kernel
 * function and only what changed, the broken invariant last with the
 * values that break it, then a herd7-style observation line, a content
 * hash and the command that reproduces it. No colour (cli/ may add some).
 */
import type { Trace, TraceStep } from './trace.js';

export const WIDTH = 72;

export interface TraceHeader {
  readonly scenario: string;
  readonly kernelLabel: string;
  readonly eraId: string;
  readonly eraSummary: string;
  readonly toggled: readonly string[];
  readonly invariant: string;
  readonly explanation: string;
  readonly actors: readonly string[];
  readonly hash: string;
  readonly version: string;
  readonly reproduce: string;
}

/** Greedy word wrap to `width` columns; long words are cut. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    let w = word;
    while (w.length > width) {
      if (line) { out.push(line); line = ''; }
      out.push(w.slice(0, width));
      w = w.slice(width);
    }
    if (!line) line = w;
    else if (line.length + 1 + w.length <= width) line += ` ${w}`;
    else { out.push(line); line = w; }
  }
  if (line) out.push(line);
  return out;
}

function stride(n: number): number {
  return n <= 1 ? 0 : Math.min(26, Math.floor(40 / (n - 1)));
}

/** The lines of one step: the instruction it starts, `fn: why`, then the changes. */
export function stepLines(s: TraceStep): string[] {
  const lines: string[] = [];
  if (s.starts) lines.push(s.starts);
  if (s.explain || s.changes.length) {
    lines.push(`  ${s.fn}${s.explain ? `: ${s.explain}` : ''}`);
    for (const c of s.changes) lines.push(`    ${c}`);
  }
  return lines;
}

function place(indent: number, text: string): string[] {
  const lead = /^ */.exec(text)![0].length;
  const width = Math.max(16, WIDTH - indent - lead);
  const [first = '', ...rest] = wrap(text, width);
  // Continuation lines are indented two more columns, so they get two columns less
  // (lines that already fit come out the same: greedy wrapping stops at the same words).
  const more = rest.length ? wrap(rest.join(' '), width - 2) : [];
  return [first, ...more].map((l, i) => ' '.repeat(indent + lead + (i > 0 ? 2 : 0)) + l);
}

/** Do the actor names fit their columns (one blank between neighbours)? */
function namesFit(actors: readonly string[]): boolean {
  const st = stride(actors.length);
  return actors.length <= 1 || actors.every((n, i) => i === actors.length - 1 || n.length < st);
}

/**
 * The columns to draw: every actor when the names fit; otherwise (open mode
 * has up to a dozen actors) only the actors that take a step in the trace,
 * with names cut to their column and spelt out in a legend line.
 */
function columns(trace: Trace, actors: readonly string[]): { shown: readonly string[]; head: string[] } {
  const shown = namesFit(actors) ? actors : actors.filter((a) => trace.steps.some((s) => s.actor === a));
  const st = stride(shown.length);
  if (namesFit(shown)) return { shown, head: [shown.reduce((acc, name, i) => acc.padEnd(i * st) + name, '')] };
  const cut = shown.map((n, i) => (i === shown.length - 1 ? n : n.slice(0, Math.max(1, st - 1))));
  const legend = shown.flatMap((n, i) => (cut[i] !== n ? [`${cut[i]}=${n}`] : []));
  return { shown, head: [cut.reduce((acc, name, i) => acc.padEnd(i * st) + name, ''), ...wrap(`(columns: ${legend.join(', ')})`, WIDTH)] };
}

export function renderColumns(trace: Trace, all: readonly string[]): string[] {
  const { shown: actors, head } = columns(trace, all);
  const st = stride(actors.length);
  const out = head.map((l) => l.slice(0, WIDTH));
  for (const s of trace.steps) {
    const col = actors.indexOf(s.actor) * st;
    for (const l of stepLines(s)) out.push(...place(col, l));
  }
  return out.map((l) => l.trimEnd());
}

export function renderText(trace: Trace, h: TraceHeader): string {
  const era = `${h.eraId}: ${h.eraSummary}${h.toggled.length ? `; ${h.toggled.join(' ')}` : ''}`;
  return [
    ...wrap(`${h.scenario} on ${h.kernelLabel} (${era})`, WIDTH),
    `${h.invariant} violated`,
    '',
    ...renderColumns(trace, h.actors),
    '',
    ...wrap(h.explanation, WIDTH),
    '',
    ...wrap(`Observation ${h.scenario} ${h.kernelLabel} Sometimes ${h.invariant} (depth ${trace.steps.length})`, WIDTH),
    `Hash=${h.hash} pincow ${h.version}`,
    ...wrap(`Reproduce: ${h.reproduce}`, WIDTH),
  ].join('\n');
}
