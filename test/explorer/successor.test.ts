/**
 * The successor pipeline (explorer/successor.ts): its incremental
 * fingerprint equals the full one, canonicalize runs where it must, and a
 * property is skipped only when the step left its read bytes alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { properties } from '../../api/check.js';
import { hashHi, hashLo } from '../../explorer/fingerprint.js';
import { Successors } from '../../explorer/successor.js';
import type { Model, Property } from '../../explorer/types.js';
import { INVARIANT_NAMES } from '../../invariants/index.js';
import { resolveKernels } from '../../model/kernels.js';
import { MmModel } from '../../model/mmModel.js';
import { openConfig, openSpec } from '../../scenario/open.js';
import { Counters } from './counters.js';

const full = (s: Uint8Array): [number, number] => {
  const w = new Uint32Array(s.buffer, s.byteOffset, s.byteLength >>> 2);
  return [hashHi(w, 0, w.length), hashLo(w, 0, w.length)];
};

/** Counters whose action i sets counter i to a given value: any word may change. */
class Setter extends Counters {
  constructor(n: number) {
    super(n, 255);
  }
  override apply(s: Uint8Array, a: number, into: Uint8Array): void {
    into.set(s);
    into[a % this.n] = (s[a % this.n]! + 1 + a) & 0xff;
  }
}

describe('Successors', () => {
  it('the incremental fingerprint of every successor equals the full one', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.nat(11), (bytes, a) => {
      const m = new Setter(12);
      const sc = new Successors(m, [], false);
      sc.begin(bytes);
      sc.make(a);
      expect([sc.hi, sc.lo]).toEqual(full(sc.out));
      const want = new Uint8Array(12);
      m.apply(bytes, a, want);
      expect(sc.out).toEqual(want);
    }));
  });

  it('fingerprints tell apart states one bit apart, and states whose words are swapped', () => {
    fc.assert(fc.property(fc.uint32Array({ minLength: 2, maxLength: 46 }), fc.nat(), (ws, k) => {
      const [hi, lo] = full(new Uint8Array(ws.buffer));
      const bit = k % (32 * ws.length);
      const flipped = Uint32Array.from(ws);
      flipped[bit >>> 5]! ^= 1 << (bit & 31);
      expect(full(new Uint8Array(flipped.buffer))).not.toEqual([hi, lo]);
      const i = k % ws.length;
      const j = (i + 1) % ws.length;
      if (ws[i] !== ws[j]) {
        const swapped = Uint32Array.from(ws);
        [swapped[i], swapped[j]] = [ws[j]!, ws[i]!];
        expect(full(new Uint8Array(swapped.buffer))).not.toEqual([hi, lo]);
      }
    }), { numRuns: 2000 });
  });

  it('checks a property only if the step changed a byte it reads', () => {
    const m = new Counters(8, 3);
    const reads = new Uint8Array(8);
    reads[5] = 1; // byte 1 of word 1: the word is shared with counters 4, 6 and 7
    const p: Property = { name: 'c5', holds: () => true, reads };
    const all: Property = { name: 'all', holds: () => true };
    const sc = new Successors(m, [p, all], false);
    sc.begin(new Uint8Array(8));
    for (let a = 0; a < 8; a++) {
      sc.make(a);
      expect(sc.mustCheck(0)).toBe(a === 5);
      expect(sc.mustCheck(1)).toBe(true);
    }
  });

  it('canonicalises only when a byte the canonical form reads changed, and rehashes what it renamed', () => {
    let calls = 0;
    const symmetryReads = new Uint8Array(8);
    symmetryReads[0] = symmetryReads[1] = 1;
    const m: Model = Object.assign(new Counters(8, 3), {
      // counters 0 and 1 are interchangeable: sort them, descending
      canonicalize(s: Uint8Array): boolean {
        calls++;
        if (s[0]! >= s[1]!) return false;
        [s[0], s[1]] = [s[1]!, s[0]!];
        return true;
      },
      symmetryReads,
    });
    const reads = new Uint8Array(8);
    reads[4] = 1;
    const sc = new Successors(m, [{ name: 'c4', holds: () => true, reads }], true);
    sc.begin(new Uint8Array(8));
    sc.make(3); // outside the mask: not canonicalised
    expect(calls).toBe(0);
    sc.make(1); // (0, 1) -> renamed to (1, 0)
    expect(calls).toBe(1);
    expect([...sc.out.subarray(0, 2)]).toEqual([1, 0]);
    expect([sc.hi, sc.lo]).toEqual(full(sc.out));
    expect(sc.mustCheck(0)).toBe(false); // the step did not touch counter 4; renaming keeps verdicts
    sc.make(0); // (1, 0): already canonical
    expect(calls).toBe(2);
    expect(sc.mustCheck(0)).toBe(false);
    sc.make(4);
    expect(calls).toBe(2);
    expect(sc.mustCheck(0)).toBe(true);
  });

  it('on the MM model with symmetry: every successor is canonical, with the full fingerprint, and a skipped check would have held', () => {
    const mm = new MmModel(openConfig(openSpec({ procs: 2, pages: 2, maxOps: 2 })), resolveKernels('6.1')[0]!);
    const props = properties(mm, INVARIANT_NAMES);
    const sc = new Successors(mm, props, true);
    const en = new Int32Array(mm.actionCount);
    let frontier = [mm.initialState()];
    mm.canonicalize!(frontier[0]!);
    let checked = 0;
    let skipped = 0;
    for (let depth = 0; depth < 6; depth++) {
      const next: Uint8Array[] = [];
      for (const s of frontier.slice(0, 300)) {
        const parent = sc.begin(s);
        const n = mm.enabled(parent, en);
        for (let j = 0; j < n; j++) {
          sc.make(en[j]!);
          const want = new Uint8Array(mm.stateBytes);
          mm.apply(s, en[j]!, want);
          mm.canonicalize!(want);
          expect(sc.out).toEqual(want);
          expect([sc.hi, sc.lo]).toEqual(full(want));
          props.forEach((p, k) => {
            if (sc.mustCheck(k)) checked++;
            else {
              skipped++;
              expect(p.holds(want)).toBe(p.holds(s));
            }
          });
          next.push(want);
        }
      }
      frontier = next;
    }
    expect(skipped).toBeGreaterThan(checked); // the point of it
  });
});
