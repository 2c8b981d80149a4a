/** The parallel worker's private level memory (explorer/levelCache.ts): the smallest chunk per fingerprint, across growth and clears. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LevelCache } from '../../explorer/levelCache.js';

describe('LevelCache', () => {
  it('answers the smallest chunk each fingerprint was noted in, -1 for the others', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const lo32 = fc.integer({ min: 1, max: 0xffffffff });
    fc.assert(fc.property(fc.array(fc.tuple(u32, lo32, fc.nat(1000)), { maxLength: 6000 }), (notes) => {
      const cache = new LevelCache();
      const want = new Map<string, number>();
      for (const [hi, lo, c] of notes) {
        cache.note(hi, lo, c);
        const k = `${hi}:${lo}`;
        want.set(k, Math.min(c, want.get(k) ?? Infinity));
      }
      for (const [hi, lo] of notes) expect(cache.chunkOf(hi, lo)).toBe(want.get(`${hi}:${lo}`));
      expect(cache.chunkOf(7, 0xfffffff1)).toBe(want.get(`7:${0xfffffff1}`) ?? -1);
      cache.clear();
      for (const [hi, lo] of notes) expect(cache.chunkOf(hi, lo)).toBe(-1);
    }), { numRuns: 40 });
  });
});
