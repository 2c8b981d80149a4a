/**
 * explorer/collapseArena.ts: records come back byte for byte (through
 * read() and at(), aligned or not, one reused buffer or fresh ones, across
 * clear() under each table policy, past the 16-bit id width), and the byte
 * accounting is exact on a tiny case.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CollapseArena, type CollapseOptions } from '../../explorer/collapseArena.js';

/** Push recs through one reused scratch buffer (the BFS's pattern: same object, new contents). */
function pushAll(a: CollapseArena, recs: readonly Uint8Array[]): void {
  const scratch = new Uint8Array(a.width);
  for (const r of recs) {
    scratch.set(r);
    a.push(scratch);
  }
}

/** Every record read back three ways equals what was pushed. */
function expectRecords(a: CollapseArena, recs: readonly Uint8Array[]): void {
  expect(a.count).toBe(recs.length);
  const into = new Uint8Array(a.width);
  const unaligned = new Uint8Array(a.width + 1).subarray(1);
  for (let i = 0; i < recs.length; i++) {
    a.read(i, into);
    expect(into).toEqual(recs[i]);
    a.read(i, unaligned);
    expect(unaligned).toEqual(recs[i]);
  }
  // at() decodes only segments that changed since its last call: visit out of order too.
  for (let i = recs.length - 1; i >= 0; i -= 2) expect(a.at(i)).toEqual(recs[i]);
  for (let i = 0; i < recs.length; i++) expect(a.at(i)).toEqual(recs[i]);
}

/** Records of `width` bytes over a small alphabet (segments repeat, as in a BFS level) or any bytes. */
const recordsOf = (width: number, alphabet: number): fc.Arbitrary<Uint8Array[]> =>
  fc.array(fc.uint8Array({ minLength: width, maxLength: width, max: alphabet }), { maxLength: 60 });

const setup = fc
  .record({ words: fc.integer({ min: 1, max: 20 }), segWords: fc.integer({ min: 1, max: 8 }), alphabet: fc.constantFrom(1, 3, 255) })
  .chain(({ words, segWords, alphabet }) =>
    fc.record({
      width: fc.constant(words * 4),
      segmentBytes: fc.constant(segWords * 4),
      keepSegments: fc.constantFrom('keep' as const, 'drop' as const, 'auto' as const),
      first: recordsOf(words * 4, alphabet),
      second: recordsOf(words * 4, alphabet),
    }),
  );

describe('CollapseArena', () => {
  it('round-trips random records, and again after clear() under every table policy', () => {
    fc.assert(
      fc.property(setup, ({ width, segmentBytes, keepSegments, first, second }) => {
        const a = new CollapseArena(width, { segmentBytes, keepSegments, chunkRecords: 8 });
        pushAll(a, first);
        expectRecords(a, first);
        a.clear();
        expect(a.count).toBe(0);
        pushAll(a, second);
        expectRecords(a, second);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips records pushed from fresh and unaligned buffers, with caller-given boundaries', () => {
    fc.assert(
      fc.property(recordsOf(36, 255), (recs) => {
        const a = new CollapseArena(36, { boundaries: [4, 16, 20] });
        expect(a.segments).toBe(4);
        for (const r of recs) {
          const buf = new Uint8Array(38);
          buf.set(r, 2);
          a.push(recs.indexOf(r) % 2 === 0 ? r.slice() : buf.subarray(2, 38));
        }
        expectRecords(a, recs);
      }),
      { numRuns: 100 },
    );
  });

  it('shares one stored copy per distinct segment', () => {
    const a = new CollapseArena(8, { segmentBytes: 4 });
    const recs = [0, 1, 2, 1, 0, 2, 2].map((v) => Uint8Array.of(v, 0, 0, 0, 7, 7, 7, 7));
    pushAll(a, recs);
    expect(a.distinctAt(0)).toBe(3);
    expect(a.distinctAt(1)).toBe(1);
    expectRecords(a, recs);
  });

  it('widens ids to 32 bits past 65536 distinct segments, keeps every record, and narrows again when the tables are dropped', () => {
    const a = new CollapseArena(8, { segmentBytes: 4, chunkRecords: 4096 });
    const n = 70_000;
    const scratch = new Uint8Array(8);
    const view = new DataView(scratch.buffer);
    const rec = (i: number): void => {
      view.setUint32(0, i * 2654435761, true);
      view.setUint32(4, i % 5, true);
    };
    for (let i = 0; i < n; i++) {
      rec(i);
      a.push(scratch);
    }
    expect(a.wideIds).toBe(true);
    expect(a.distinctAt(0)).toBe(n);
    expect(a.distinctAt(1)).toBe(5);
    const into = new Uint8Array(8);
    for (let i = 0; i < n; i += 97) {
      rec(i);
      a.read(i, into);
      expect(into).toEqual(scratch);
      expect(a.at(i)).toEqual(scratch);
    }
    a.clear(); // 'auto' drops the tables of a wide arena
    expect(a.wideIds).toBe(false);
    expect(a.distinctAt(0)).toBe(0);
    const recs = [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), Uint8Array.of(1, 2, 3, 4, 0, 0, 0, 0)];
    pushAll(a, recs);
    expectRecords(a, recs);
  });

  it('keeps the segment tables across clear() while they are small, and the records still decode', () => {
    const a = new CollapseArena(8, { segmentBytes: 4 });
    const recs = Array.from({ length: 300 }, (_, i) => Uint8Array.of(i % 10, 0, 0, 0, i % 3, 0, 0, 0));
    pushAll(a, recs);
    a.clear();
    expect(a.distinctAt(0)).toBe(10);
    pushAll(a, recs.slice(0, 5));
    expect(a.distinctAt(0)).toBe(10);
    expectRecords(a, recs.slice(0, 5));
  });

  it('accounts bytes exactly on a tiny case', () => {
    // width 8 in 4-byte segments: K = 2 positions, each a store of 16 one-word
    // segments (64 B) and a table of 32 Int32 slots (128 B).
    const a = new CollapseArena(8, { segmentBytes: 4 });
    expect(a.bytes).toBe(2 * (64 + 128));
    expect(a.peakBytes).toBe(384);
    const scratch = new Uint8Array(8);
    a.push(scratch); // first id chunk: 256 records x 2 ids x 2 bytes
    expect(a.bytes).toBe(384 + 1024);
    for (let v = 1; v <= 16; v++) {
      scratch[0] = v;
      a.push(scratch);
    }
    // position 0 now holds 17 segments: its store doubled (+64 B), its table too (+128 B)
    expect(a.distinctAt(0)).toBe(17);
    expect(a.bytes).toBe(1408 + 64 + 128);
    for (let i = 17; i < 257; i++) a.push(scratch); // the first chunk doubles to 512 records
    expect(a.bytes).toBe(1600 + 1024);
    expect(a.peakBytes).toBe(2624);
    a.clear(); // tables (448 B) < records: kept; the first chunk stays
    expect(a.bytes).toBe(2624);
    const drop = new CollapseArena(8, { segmentBytes: 4, keepSegments: 'drop' });
    drop.push(scratch);
    drop.clear();
    expect(drop.bytes).toBe(384 + 1024);
    expect(drop.peakBytes).toBe(1408);
  });

  it('stores full chunks after the first', () => {
    const a = new CollapseArena(8, { segmentBytes: 4, chunkRecords: 1024 });
    const scratch = new Uint8Array(8);
    for (let i = 0; i < 1025; i++) a.push(scratch);
    // chunk 0: 1024 records (grown 256 -> 512 -> 1024), chunk 1: 1024 records, 2 ids x 2 bytes each
    expect(a.bytes).toBe(384 + 2 * 1024 * 4);
  });

  it('rejects widths and segmentations it cannot store', () => {
    const bad: [number, CollapseOptions][] = [
      [6, {}],
      [8, { segmentBytes: 6 }],
      [16, { boundaries: [8, 4] }],
      [16, { boundaries: [6] }],
      [16, { chunkRecords: 3 }],
      [200, { segmentBytes: 4 }], // 50 segments > 32
    ];
    for (const [w, o] of bad) expect(() => new CollapseArena(w, o)).toThrow(/CollapseArena/);
  });
});
