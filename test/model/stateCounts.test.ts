/**
 * Exact reachable state counts of small scenarios (DESIGN.md §10: pinned
 * state counts). REGRESSION PINS: the numbers were computed once with
 * `explore(model, exploreOptions({ maxDepth: 1000 }))` and are cross-checked
 * here by an independent breadth-first search that keeps whole states in a
 * Set (no fingerprints), so a change means the model's transition graph
 * changed, not the explorer's hashing.
 *
 * What legitimately changes them: splitting or merging atomic steps
 * (reference §E.1), a step that stops (or starts) leaving a trace in the
 * packed state (frame registers not reset by finish(), ghost bits), new
 * state fields that tell previously equal states apart, a change to an
 * era's switches or to an operation's per-era behaviour, or editing the
 * scenario texts below. Update the pins only after checking that the new
 * behaviour is intended (and say why in the commit).
 *
 * The scenarios are written out here rather than loaded from catalog/ so
 * that editing the catalogue does not move these pins.
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import type { MmModel } from '../../model/mmModel.js';
import { enabledActors, makeModel } from './harness.js';

const SCENARIOS = {
  // catalog/ro-pin-previously-shared (reference §C.2 row 5)
  'ro-pin-previously-shared': 'setup:\n  P0: mmap A anon; write A; fork P1\n  P1: exit\nP0:\n  pin A ro\n  write A\ndevice:\n  dma-write pin0\n',
  // catalog/fork-after-pin (reference §C.2 row 3)
  'fork-after-pin': 'setup:\n  P0: mmap A anon; write A\nP0:\n  pin A rw longterm\n  fork P1\n  write A\ndevice:\n  dma-write pin0\n',
  // catalog/gup-fast-vs-fork (reference §C.2 row 4)
  'gup-fast-vs-fork': 'setup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\nP0.T1:\n  pin A rw fast\n',
  // three actors: fork + COW write, a R/O GUP-fast pin and its unpin, the child writing and exiting
  'three-actors': 'setup:\n  P0: mmap A anon; write A\nP0:\n  fork P1\n  write A\nP0.T1:\n  pin A ro fast\n  unpin pin0\nP1:\n  write A\n  exit\n',
} as const;

type Name = keyof typeof SCENARIOS;

/** [scenario, kernel, states, transitions, deepest BFS level] */
const PINS: readonly [Name, string, number, number, number][] = [
  ['ro-pin-previously-shared', '5.7', 22, 23, 17],
  ['ro-pin-previously-shared', '5.10', 28, 32, 20],
  ['ro-pin-previously-shared', '5.15', 27, 31, 19],
  ['ro-pin-previously-shared', '6.1', 24, 25, 19],
  ['fork-after-pin', '5.7', 38, 45, 18],
  ['fork-after-pin', '5.10', 27, 30, 15],
  ['fork-after-pin', '5.15', 25, 27, 14],
  ['fork-after-pin', '6.1', 25, 27, 14],
  ['gup-fast-vs-fork', '5.7', 45, 63, 18],
  ['gup-fast-vs-fork', '5.10', 63, 91, 19],
  ['gup-fast-vs-fork', '5.15', 54, 74, 17],
  ['gup-fast-vs-fork', '6.1', 59, 83, 17],
  ['three-actors', '5.7', 932, 2259, 27],
  ['three-actors', '5.10', 935, 2265, 28],
  ['three-actors', '5.15', 1221, 2980, 25],
  ['three-actors', '6.1', 1954, 4776, 29],
];

/** Independent count: BFS over whole states kept as strings, transitions counted per enabled action. */
function bruteForce(m: MmModel): { states: number; transitions: number; depth: number } {
  const key = (s: Uint8Array): string => Buffer.from(s).toString('latin1');
  const seen = new Set<string>();
  let level = [m.initialState()];
  seen.add(key(level[0]!));
  let transitions = 0;
  let depth = 0;
  for (;;) {
    const next: Uint8Array[] = [];
    for (const s of level) {
      for (const a of enabledActors(m, s)) {
        const t = new Uint8Array(m.stateBytes);
        m.apply(s, a, t);
        transitions++;
        const k = key(t);
        if (!seen.has(k)) {
          seen.add(k);
          next.push(t);
        }
      }
    }
    if (next.length === 0) break;
    depth++;
    level = next;
  }
  return { states: seen.size, transitions, depth };
}

describe('pinned reachable state counts', () => {
  it.each(PINS)('%s on %s: %i states, %i transitions, depth %i', (name, kernel, states, transitions, depth) => {
    const m = makeModel(SCENARIOS[name], kernel);
    const r = explore(m, exploreOptions({ maxDepth: 1000 }));
    expect(r.end).toBe('exhausted');
    expect({ states: r.stats.states, transitions: r.stats.transitions, depth: r.stats.maxDepth }).toEqual({ states, transitions, depth });
    expect(bruteForce(m)).toEqual({ states, transitions, depth });
  });

  it('a depth bound below the deepest level ends with "depth" and fewer states', () => {
    const m = makeModel(SCENARIOS['gup-fast-vs-fork'], '5.10');
    const r = explore(m, exploreOptions({ maxDepth: 10 }));
    expect(r.end).toBe('depth');
    expect(r.stats.maxDepth).toBe(10);
    expect(r.stats.states).toBeLessThan(63);
  });
});
