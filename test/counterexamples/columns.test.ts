// Trace columns when actor names do not fit (open mode has up to a dozen
// actors): only the actors that act get a column, names are cut to their
// column and spelt out in a legend, and nothing passes 72 columns.
import { describe, expect, it } from 'vitest';
import { renderColumns } from '../../counterexamples/renderText.js';
import type { Trace, TraceStep } from '../../counterexamples/trace.js';

const step = (index: number, actor: string, starts: string): TraceStep => ({
  index, action: 0, actor, starts, stepName: 'x', fn: 'fn', explain: 'what happened', changes: ['a change'], footprint: [],
});
const trace = (actors: readonly string[]): Trace => ({ steps: actors.map((a, i) => step(i, a, `op by ${a}`)), states: [] });

describe('renderColumns', () => {
  it('keeps one column per actor when the names fit', () => {
    const lines = renderColumns(trace(['P0', 'device']), ['P0', 'P1', 'device']);
    expect(lines[0]).toBe('P0                  P1                  device');
  });

  it('shows only the acting actors when the names do not fit', () => {
    const all = ['P0', 'P1', 'device', 'reclaim', 'migration', 'numa', 'uprobes', 'ksmd'];
    const lines = renderColumns(trace(['P0', 'uprobes']), all);
    expect(lines[0]).toBe('P0                        uprobes');
    expect(lines.some((l) => l.startsWith('                          op by uprobes'))).toBe(true);
  });

  it('cuts names to their column and adds a legend when even those do not fit', () => {
    const all = ['P0', 'P1', 'device', 'reclaim', 'migration', 'numa', 'uprobes', 'ksmd'];
    const lines = renderColumns(trace(all), all);
    expect(lines[0]).toBe('P0   P1   devi recl migr numa upro ksmd');
    expect(lines[1]).toBe('(columns: devi=device, recl=reclaim, migr=migration, upro=uprobes)');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(72);
  });
});
