/**
 * The benchmark's engine-ceiling model (bench/toyModel.ts, the racy
 * counter of checker-anchors §5.4): the explorer's state and transition
 * counts equal a naive enumeration's (strings in a Set, no fingerprints,
 * no compression), padding changes nothing, and two worker threads
 * rebuilding it from its factory agree with one thread.
 */
import { describe, expect, it } from 'vitest';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import { exploreParallel } from '../../explorer/parallel.js';
import { toyModel } from '../../bench/toyModel.js';
import type { ToyArgs } from '../../bench/toyModel.js';

/** Every reachable state and transition, by a plain BFS over the model's own steps. */
function naive(args: ToyArgs): { states: number; transitions: number } {
  const m = toyModel(args);
  const out = new Int32Array(m.actionCount);
  const seen = new Set<string>();
  let frontier = [m.initialState()];
  seen.add(frontier[0]!.join());
  let transitions = 0;
  while (frontier.length > 0) {
    const next: Uint8Array[] = [];
    for (const s of frontier) {
      const n = m.enabled(s, out);
      for (let j = 0; j < n; j++) {
        const t = new Uint8Array(m.stateBytes);
        m.apply(s, out[j]!, t);
        transitions++;
        const key = t.join();
        if (!seen.has(key)) {
          seen.add(key);
          next.push(t);
        }
      }
    }
    frontier = next;
  }
  return { states: seen.size, transitions };
}

describe('bench toy model (engine ceiling)', () => {
  it('the explorer counts what a naive enumeration counts', () => {
    for (const args of [{ threads: 2, increments: 2, bytes: 8 }, { threads: 3, increments: 2, bytes: 64 }]) {
      const r = explore(toyModel(args), exploreOptions({}));
      expect(r.end).toBe('exhausted');
      expect({ states: r.stats.states, transitions: r.stats.transitions }).toEqual(naive(args));
    }
  });

  it('has the exact counts of the configuration the bench pads (3 threads x 2 increments)', () => {
    const small = explore(toyModel({ threads: 3, increments: 2, bytes: 8 }), exploreOptions({}));
    const padded = explore(toyModel({ threads: 3, increments: 2, bytes: 184 }), exploreOptions({}));
    expect(small.stats.states).toBe(padded.stats.states);
    expect(small.stats.transitions).toBe(padded.stats.transitions);
    expect([small.stats.states, small.stats.transitions]).toEqual([2358, 4119]);
  });

  it('two worker threads agree with one thread', () => {
    const args = { threads: 3, increments: 3, bytes: 64 };
    const factory = { module: new URL('../../bench/toyModel.ts', import.meta.url).href, exportName: 'buildToyModel', args };
    const one = explore(toyModel(args), exploreOptions({}));
    const two = exploreParallel(toyModel(args), { ...exploreOptions({}), workers: 2, factory, shard: undefined, parallelMin: 1 });
    expect(two.end).toBe('exhausted');
    expect([two.stats.states, two.stats.transitions]).toEqual([one.stats.states, one.stats.transitions]);
  });

  it('refuses a state too small for its threads', () => {
    expect(() => toyModel({ threads: 4, increments: 1, bytes: 8 })).toThrow(/cannot hold 4 threads/);
  });
});
