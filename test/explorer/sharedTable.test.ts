/**
 * The parallel BFS's shared visited table (explorer/sharedTable.ts) on its
 * own, in one thread: any number of slots (not only powers of two), the
 * home slot scaled from hi and probing that wraps at the table's end;
 * growth by half as the engine does it, rehashed alone or in parts
 * (SharedTable.rehashPart, what the parked workers share: levelProtocol.ts
 * rehashShare) with the entries spilled across part boundaries, and the
 * fallback when a part spills more than its room. Every entry keeps its
 * tag; visit() answers as before the growth.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLAIMED, INSERTED, OLD, OLD_THIS_LEVEL, SharedTable, SLOT_WORDS, tableBuffer } from '../../explorer/sharedTable.js';
import { C, finishRehash, rehashShare, SPILL_ROOM, SPILL_STRIDE } from '../../explorer/levelProtocol.js';

type Entry = readonly [hi: number, lo: number, tag: number];

/** Distinct fingerprints (lo odd, as finishLo makes them), tags >= 1. */
const entriesArb = (max: number): fc.Arbitrary<Entry[]> =>
  fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0x7fffffff }).map((x) => ((x << 1) | 1) >>> 0), fc.integer({ min: 1, max: 1000 })), {
    maxLength: max, selector: ([hi, lo]) => `${hi}:${lo}`,
  });

function filled(slots: number, entries: readonly Entry[]): SharedTable {
  const t = new SharedTable(tableBuffer(slots));
  for (const [hi, lo, tag] of entries) t.insertAlone(hi, lo, tag);
  return t;
}

function count(t: SharedTable): number {
  let n = 0;
  for (let i = 1; i < t.w.length; i += SLOT_WORDS) if (t.w[i] !== 0) n++;
  return n;
}

/** Every entry found with its tag, nothing else in the table. */
function expectHolds(t: SharedTable, entries: readonly Entry[]): void {
  for (const [hi, lo, tag] of entries) expect(t.tagOf(hi, lo)).toBe(tag);
  expect(count(t)).toBe(entries.length);
}

describe('SharedTable sizes and growth', () => {
  it('any number of slots: entries found again, including clusters that wrap past the end', () => {
    for (const slots of [2, 3, 7, 100, 1000, 4097]) {
      // high hi values all land at the end, so their cluster wraps to the start
      const entries: Entry[] = [];
      for (let k = 0; k < Math.floor(slots * 0.75); k++) entries.push([0xffffffff - k, 2 * k + 1, k + 1]);
      const t = filled(slots, entries);
      expect(t.slots).toBe(slots);
      expectHolds(t, entries);
      expect(t.tagOf(12345, 7777)).toBe(0);
    }
  });

  it('visit(): insert, find again, claim for a smaller chunk, old before the level; on a non-power-of-two table', () => {
    const t = new SharedTable(tableBuffer(1000));
    expect(t.visit(0xfffffff0, 11, 50, 40)).toBe(INSERTED); // home slot 999: probing wraps next
    expect(t.visit(0xfffffff1, 13, 50, 40)).toBe(INSERTED);
    expect(t.visit(0xfffffff1, 13, 60, 40)).toBe(OLD_THIS_LEVEL); // a later chunk
    expect(t.visit(0xfffffff1, 13, 45, 40)).toBe(CLAIMED); // an earlier chunk takes it
    expect(t.claimedFrom).toBe(50);
    expect(t.tagOf(0xfffffff1, 13)).toBe(45);
    expect(t.visit(0xfffffff0, 11, 70, 60)).toBe(OLD); // a later level: visited before
  });

  it('grown by half (alone, and in 2, 3 or 5 parts with their spills): the same entries and tags', () => {
    fc.assert(fc.property(entriesArb(3000), fc.integer({ min: 2, max: 5000 }), (entries, small) => {
      const slots = Math.max(small, Math.ceil(entries.length / 0.75) + 1);
      const t = filled(slots, entries);
      const bigger = Math.ceil(slots * 1.5);
      const alone = new SharedTable(tableBuffer(bigger));
      alone.rehashAlone(t);
      expectHolds(alone, entries);
      for (const parts of [2, 3, 5]) {
        const into = new SharedTable(tableBuffer(bigger));
        const spill = new Uint32Array(parts * SPILL_STRIDE);
        const ctl = new Int32Array(C.SIZE);
        ctl[C.REHASH_PARTS] = parts;
        rehashShare(ctl, t, into, spill); // one thread takes every part
        finishRehash(t, into, spill, parts);
        expectHolds(into, entries);
      }
    }), { numRuns: 60 });
  });

  it('a cluster across the parts\' boundary: part 0 spills its tail, placed after both parts', () => {
    const entries: Entry[] = [];
    for (let k = 0; k < 10; k++) entries.push([0x7fffffff, 2 * k + 1, k + 1]); // home: the last slot of part 0
    for (let k = 0; k < 5; k++) entries.push([0x80000000 + k, 2 * k + 1001, 99]); // homes in part 1's first slots
    const t = filled(100, entries);
    const into = new SharedTable(tableBuffer(150));
    const spill = new Uint32Array(2 * SPILL_STRIDE);
    const ctl = new Int32Array(C.SIZE);
    ctl[C.REHASH_PARTS] = 2;
    rehashShare(ctl, t, into, spill);
    expect(spill[0]).toBe(9);
    expect(spill[SPILL_STRIDE]).toBe(0);
    finishRehash(t, into, spill, 2);
    expectHolds(into, entries);
  });

  it('parts whose spill overflows: the whole rehash is done again alone', () => {
    // every entry's home is the last slot: one long cluster, all spilled by the last part
    const entries: Entry[] = [];
    for (let k = 0; k < 1200; k++) entries.push([0xffffffff, 2 * k + 1, 7]);
    const t = filled(2000, entries);
    const into = new SharedTable(tableBuffer(3000));
    const spill = new Uint32Array(2 * SPILL_STRIDE);
    const ctl = new Int32Array(C.SIZE);
    ctl[C.REHASH_PARTS] = 2;
    rehashShare(ctl, t, into, spill);
    expect(entries.length).toBeGreaterThan(SPILL_ROOM);
    expect(spill[SPILL_STRIDE]).toBe(0xffffffff); // part 1 overflowed its room
    finishRehash(t, into, spill, 2);
    expectHolds(into, entries);
  });
});
