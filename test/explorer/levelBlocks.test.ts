/**
 * The parallel BFS's frontier encoding (explorer/levelBlocks.ts): records
 * round-trip through blocks (each record's words and its raw fingerprint
 * sums), whatever the state size (changed words more than 16 apart: skip
 * bytes; more than 126 changed words: the count's escape), at block
 * boundaries, with empty blocks and with records marked dead; the
 * header walker (PLACE's way to a record's header) agrees with the decoder.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockDecoder, BlockEncoder, ENTRY_SLACK, HeaderWalker, markDead, maxRecordBytes } from '../../explorer/levelBlocks.js';
import { rawA, rawB } from '../../explorer/fingerprint.js';

/** Records of `words` words that mostly resemble one another (few changed bytes), sometimes not at all. */
function recordsArb(words: number): fc.Arbitrary<Uint32Array[]> {
  const change = fc.tuple(fc.nat(words * 4 - 1), fc.nat(255));
  const step = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.nat(7), fc.array(change, { maxLength: 6 })) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(7), fc.array(change, { minLength: Math.min(40, words * 4), maxLength: words * 4 })) },
  );
  return fc.array(step, { maxLength: 60 }).map((steps) => {
    const out: Uint32Array[] = [];
    for (const [back, changes] of steps) {
      const from = out.length === 0 ? new Uint32Array(words) : out[Math.max(0, out.length - 1 - back)]!;
      const rec = from.slice();
      const bytes = new Uint8Array(rec.buffer);
      for (const [pos, v] of changes) bytes[pos] = v;
      out.push(rec);
    }
    return out;
  });
}

/** Encode `blocks` (lists of records) back to back; the byte ranges of each block. */
function encode(stateBytes: number, blocks: Uint32Array[][]): { bytes: Uint8Array; ranges: [number, number][] } {
  const enc = new BlockEncoder(stateBytes, 16);
  const ranges: [number, number][] = [];
  for (const block of blocks) {
    enc.beginBlock();
    const from = enc.length;
    for (const r of block) enc.push(r);
    ranges.push([from, enc.length]);
  }
  // (a buffer of blocks keeps ENTRY_SLACK bytes of room after them, as the engine's do)
  return { bytes: enc.bytes.slice(0, enc.length + ENTRY_SLACK), ranges };
}

function decodeAll(stateBytes: number, bytes: Uint8Array, from: number, to: number): { words: number[]; a: number; b: number; dead: boolean }[] {
  const dec = new BlockDecoder(stateBytes);
  const n = stateBytes >>> 2;
  const out: { words: number[]; a: number; b: number; dead: boolean }[] = [];
  dec.begin(bytes, from, to);
  while (dec.next()) out.push({ words: [...dec.cur.subarray(0, n)], a: dec.cur[n]! | 0, b: dec.cur[n + 1]! | 0, dead: dec.dead });
  return out;
}

describe('level blocks', () => {
  it.each([[8], [184], [400], [1200]])('round-trip of random records in blocks (%i-byte states): words and raw sums', (stateBytes) => {
    const words = stateBytes / 4;
    fc.assert(fc.property(fc.array(recordsArb(words), { maxLength: 5 }), (blocks) => {
      const { bytes, ranges } = encode(stateBytes, blocks);
      blocks.forEach((block, i) => {
        const [from, to] = ranges[i]!;
        if (block.length === 0) expect(to).toBe(from); // an empty block takes no byte
        const got = decodeAll(stateBytes, bytes, from, to);
        expect(got.map((g) => g.words)).toEqual(block.map((r) => [...r]));
        expect(got.map((g) => [g.a, g.b])).toEqual(block.map((r) => [rawA(r, 0, words), rawB(r, 0, words)]));
        expect(got.every((g) => !g.dead)).toBe(true);
        expect(to - from).toBeLessThanOrEqual(block.length * maxRecordBytes(stateBytes));
      });
    }), { numRuns: 60 });
  });

  it('a block decodes the same wherever it starts in the arena, and on its own', () => {
    const words = 46;
    fc.assert(fc.property(recordsArb(words), recordsArb(words), (first, second) => {
      const both = encode(words * 4, [first, second]);
      const alone = encode(words * 4, [second]);
      const [from, to] = both.ranges[1]!;
      expect(both.bytes.subarray(from, to)).toEqual(alone.bytes.subarray(0, alone.ranges[0]![1]));
      expect(decodeAll(words * 4, both.bytes, from, to).map((g) => g.words)).toEqual(second.map((r) => [...r]));
    }), { numRuns: 40 });
  });

  it.each([[184], [1200]])('the header walker finds the headers the decoder reads, for any increasing records asked (%i-byte states)', (stateBytes) => {
    const words = stateBytes / 4;
    fc.assert(fc.property(recordsArb(words), recordsArb(words), fc.array(fc.nat(59)), (first, block, ask) => {
      const { bytes, ranges } = encode(stateBytes, [first, block]);
      const [from, to] = ranges[1]!;
      const dec = new BlockDecoder(stateBytes);
      dec.begin(bytes, from, to);
      const headers: number[] = [];
      while (dec.next()) headers.push(dec.header);
      const js = [...new Set(ask.filter((j) => j < block.length))].sort((a, b) => a - b);
      const walker = new HeaderWalker();
      walker.begin(bytes, from);
      expect(js.map((j) => walker.headerOf(j))).toEqual(js.map((j) => headers[j]!));
    }), { numRuns: 60 });
  });

  it('records marked dead keep their place (later records may refer to them) and read back dead', () => {
    const words = 46;
    fc.assert(fc.property(recordsArb(words), fc.array(fc.nat(59)), (block, kill) => {
      const { bytes, ranges } = encode(words * 4, [block]);
      const [from, to] = ranges[0]!;
      // find each record's header by decoding, then mark some dead
      const dec = new BlockDecoder(words * 4);
      dec.begin(bytes, from, to);
      const headers: number[] = [];
      while (dec.next()) headers.push(dec.header);
      const dead = new Set(kill.filter((k) => k < block.length));
      for (const k of dead) markDead(bytes, headers[k]!);
      const got = decodeAll(words * 4, bytes, from, to);
      expect(got.map((g) => g.words)).toEqual(block.map((r) => [...r]));
      expect(got.map((g) => g.dead)).toEqual(block.map((_, k) => dead.has(k)));
    }), { numRuns: 40 });
  });

  it('a record changing every word of a 1200-byte state (the count past the header), then none, then one far word', () => {
    const words = 300;
    const all = new Uint32Array(words).fill(0xffffffff);
    const same = all.slice();
    const far = all.slice();
    far[299] = 0x12345678;
    const block = [all, same, far, new Uint32Array(words)];
    const { bytes, ranges } = encode(words * 4, [block]);
    const got = decodeAll(words * 4, bytes, ranges[0]![0], ranges[0]![1]);
    expect(got.map((g) => g.words)).toEqual(block.map((r) => [...r]));
    expect(got.map((g) => [g.a, g.b])).toEqual(block.map((r) => [rawA(r, 0, words), rawB(r, 0, words)]));
  });

  it('similar records take a few bytes each; the arena grows as needed', () => {
    const words = 46;
    const recs: Uint32Array[] = [];
    let x = 1;
    for (let i = 0; i < 2000; i++) {
      const r = new Uint32Array(words);
      r[0] = i; // one or two bytes change from record to record
      r[7] = 0xabcdef01;
      r[20] = (i >> 3) & 0xff;
      x = (x * 1103515245 + 12345) >>> 0;
      r[30] = x & 0x3; // and one of 4 values here: some earlier record matches it
      recs.push(r);
    }
    const { bytes, ranges } = encode(words * 4, [recs]);
    expect(bytes.length / recs.length).toBeLessThan(6);
    expect(decodeAll(words * 4, bytes, ranges[0]![0], ranges[0]![1]).map((g) => g.words)).toEqual(recs.map((r) => [...r]));
  });
});
