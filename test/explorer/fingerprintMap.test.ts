/** FingerprintMap (explorer/fingerprintMap.ts): the smallest number per fingerprint, across growth and clears. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FingerprintMap } from '../../explorer/fingerprintMap.js';

describe('FingerprintMap', () => {
  it('answers the smallest number each fingerprint was given, -1 for the others', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const lo32 = fc.integer({ min: 1, max: 0xffffffff });
    fc.assert(fc.property(fc.array(fc.tuple(u32, lo32, fc.nat(1000)), { maxLength: 6000 }), (notes) => {
      const map = new FingerprintMap();
      const want = new Map<string, number>();
      for (const [hi, lo, c] of notes) {
        map.lower(hi, lo, c);
        const k = `${hi}:${lo}`;
        want.set(k, Math.min(c, want.get(k) ?? Infinity));
      }
      expect(map.size).toBe(want.size);
      for (const [hi, lo] of notes) expect(map.get(hi, lo)).toBe(want.get(`${hi}:${lo}`));
      expect(map.get(7, 0xfffffff1)).toBe(want.get(`7:${0xfffffff1}`) ?? -1);
      map.clear();
      for (const [hi, lo] of notes) expect(map.get(hi, lo)).toBe(-1);
    }), { numRuns: 40 });
  });
});
