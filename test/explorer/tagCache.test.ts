/**
 * explorer/tagCache.ts: a worker's cache in front of the shared table
 * must answer exactly as the table would. Random visits over several
 * levels (tags growing with the level, chunks visited in any order, as
 * a worker helping another's range does), with few fingerprints that
 * collide in the cache, are answered through the cache on one table and
 * by the table alone on another: same answers, same tables.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ASK, TagCache } from '../../explorer/tagCache.js';
import { CLAIMED, INSERTED, OLD, OLD_THIS_LEVEL, SharedTable, tableBuffer } from '../../explorer/sharedTable.js';

/** lo values sharing their low 16 bits: they fight over one cache slot */
const LOS = [1, 1 + 65536, 1 + 2 * 65536, 7];
const HIS = [0x10000000, 0x90000000];

interface Visit {
  readonly fp: number;
  readonly chunk: number;
}

const level = fc.array(fc.record({ fp: fc.nat(LOS.length * HIS.length - 1), chunk: fc.nat(5) }), { maxLength: 30 });

describe('TagCache', () => {
  it('a miss asks; a remembered answer is given back while it still holds', () => {
    const c = new TagCache();
    expect(c.answer(5, 9, 10, 10)).toBe(ASK);
    c.remember(5, 9, INSERTED, 12);
    expect(c.answer(5, 9, 12, 10)).toBe(OLD_THIS_LEVEL); // the same chunk
    expect(c.answer(5, 9, 15, 10)).toBe(OLD_THIS_LEVEL); // a later chunk
    expect(c.answer(5, 9, 11, 10)).toBe(ASK); // a smaller chunk may claim it
    expect(c.answer(5, 9, 20, 20)).toBe(OLD); // the next level
    expect(c.answer(6, 9, 20, 20)).toBe(ASK); // another state, same lo
    c.remember(6, 9, OLD, 20);
    expect(c.answer(6, 9, 30, 30)).toBe(OLD);
    expect(c.answer(5, 9, 30, 30)).toBe(ASK); // overwritten
    expect(c.bytes).toBe(3 * 4 * 65536);
  });

  it('answers as the shared table does, over random levels of visits', () => {
    fc.assert(
      fc.property(fc.array(level, { minLength: 1, maxLength: 4 }), (levels: Visit[][]) => {
        const cached = new SharedTable(tableBuffer(16));
        const plain = new SharedTable(tableBuffer(16));
        const cache = new TagCache();
        let base = 2;
        for (const visits of levels) {
          for (const v of visits) {
            const hi = HIS[v.fp % HIS.length]!;
            const lo = LOS[Math.floor(v.fp / HIS.length)]!;
            const tag = base + v.chunk;
            const want = plain.visit(hi, lo, tag, base);
            let got = cache.answer(hi, lo, tag, base);
            if (got === ASK) {
              got = cached.visit(hi, lo, tag, base);
              cache.remember(hi, lo, got, tag);
            }
            expect(got).toBe(want);
            if (want === CLAIMED) expect(cached.claimedFrom).toBe(plain.claimedFrom);
          }
          base += 6;
        }
        expect([...cached.w]).toEqual([...plain.w]);
      }),
      { numRuns: 500 },
    );
  });
});
