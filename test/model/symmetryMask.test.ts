/**
 * FrameSymmetry (model/symmetry.ts) checked against a plain reference
 * implementation of its canonical form, and the contract of its read mask
 * (MmModel.symmetryReads): a canonical state changed only at bytes outside
 * the mask is still canonical. Explores each configuration's states under
 * symmetry reduction alone (no POR), on a few catalogue scenarios, a
 * scenario where renaming merges many states, and the open mode.
 */
import { describe, expect, it } from 'vitest';
import { openScenario } from '../../api/explore.js';
import { explore, exploreOptions } from '../../explorer/bfs.js';
import { ERAS, kernelOfEra } from '../../model/kernels.js';
import * as L from '../../model/layout.js';
import { MmModel } from '../../model/mmModel.js';
import { FrameSymmetry } from '../../model/symmetry.js';
import type { ModelConfig } from '../../model/config.js';
import { loadScenario } from '../../scenario/catalog.js';
import { openSpec } from '../../scenario/open.js';
import { configOf } from './harness.js';

// From test/explorer/reducedCounts.test.ts: the order in which two processes allocate is a frame renaming.
const SYM1 = 'setup:\n  P0: mmap A anon; mmap B anon; write A; write B; fork P1\nP0:\n  write A\n  write B\n  madvise A dontneed\n  write A\nP1:\n  write B\n  write A\n  pin A ro as p1\n  unpin p1\n';

const CONFIGS: readonly { label: string; cfg: () => ModelConfig; era: string }[] = [
  { label: 'catalogue gup-fast-vs-fork', cfg: () => loadScenario('gup-fast-vs-fork').cfg, era: 'E9' },
  { label: 'catalogue cow-base-vmsplice-parent', cfg: () => loadScenario('cow-base-vmsplice-parent').cfg, era: 'E2' },
  { label: 'sym1', cfg: () => configOf(SYM1), era: 'E5' },
  { label: 'open mode 2 procs, 2 pages, 2 ops', cfg: () => openScenario(openSpec({ procs: 2, pages: 2, maxOps: 2 })).cfg, era: 'E9' },
];

/** Absolute offset and `add` of every pfn field (layout.ts PFN_FIELDS), ascending by offset. */
function pfnFields(lay: L.Layout): { off: number; add: number }[] {
  const out: { off: number; add: number }[] = [];
  const bases: Record<L.PfnField['region'], number[]> = {
    header: [0], mm: [], page: [],
    pte: Array.from({ length: lay.nMm * lay.nVa }, (_, i) => lay.ptBase + i * L.PT_SIZE),
    pin: Array.from({ length: lay.nPins }, (_, i) => lay.pinBase + i * L.PIN_SIZE),
    actor: Array.from({ length: lay.nActors }, (_, i) => lay.actBase + i * L.A_SIZE),
  };
  for (const f of L.PFN_FIELDS) for (const b of bases[f.region]) out.push({ off: b + f.field, add: f.offset });
  return out.sort((a, b) => a.off - b.off);
}

/**
 * The canonical form as the header of model/symmetry.ts defines it,
 * written for clarity: sort frames 1..n-1 by (page record bytes, the
 * sorted list of offsets of fields referring to them; a proper prefix
 * first), stable; move the records; rename the fields.
 */
function referenceCanonical(lay: L.Layout, s: Uint8Array): Uint8Array {
  const fields = pfnFields(lay);
  const n = lay.nFrames;
  const frameOf = (k: number): number => {
    const v = s[fields[k]!.off]!;
    const p = v - fields[k]!.add;
    return v !== L.NO_PFN && p >= 1 && p < n ? p : -1;
  };
  const refs: number[][] = Array.from({ length: n }, () => []);
  fields.forEach((_, k) => { const p = frameOf(k); if (p >= 0) refs[p]!.push(k); });
  const rec = (p: number): number[] => Array.from(s.subarray(lay.pgBase + p * L.PG_SIZE, lay.pgBase + (p + 1) * L.PG_SIZE));
  const cmpList = (a: number[], b: number[]): number => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  };
  const order = Array.from({ length: n - 1 }, (_, i) => i + 1);
  order.sort((p, q) => cmpList(rec(p), rec(q)) || cmpList(refs[p]!, refs[q]!));
  const out = s.slice();
  const newOf = new Map<number, number>();
  order.forEach((p, i) => {
    newOf.set(p, i + 1);
    out.set(rec(p), lay.pgBase + (i + 1) * L.PG_SIZE);
  });
  fields.forEach((f, k) => { const p = frameOf(k); if (p >= 0) out[f.off] = newOf.get(p)! + f.add; });
  return out;
}

const key = (s: Uint8Array): string => Buffer.from(s).toString('latin1');
const same = (a: Uint8Array, b: Uint8Array): boolean => key(a) === key(b);

/** The states reachable under symmetry reduction alone (all canonical), by breadth-first search. */
function canonicalStates(m: MmModel): Uint8Array[] {
  const init = m.initialState();
  m.canonicalize!(init);
  const seen = new Set([key(init)]);
  const out = [init];
  const en = new Int32Array(m.actionCount);
  for (let i = 0; i < out.length; i++) {
    const s = out[i]!;
    const k = m.enabled(s, en);
    for (let j = 0; j < k; j++) {
      const t = new Uint8Array(m.stateBytes);
      m.apply(s, en[j]!, t);
      m.canonicalize!(t);
      if (!seen.has(key(t))) { seen.add(key(t)); out.push(t); }
    }
  }
  return out;
}

/** A deterministic pseudo-random generator (xorshift32), so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 0x100000000; };
}

describe.each(CONFIGS)('frame symmetry on $label', ({ cfg, era }) => {
  const m = new MmModel(cfg(), kernelOfEra(ERAS.find((e) => e.id === era)!));
  const sym = new FrameSymmetry(m);
  const lay = m.lay;

  it('is supported, and the read mask covers exactly the records of frames 1..n-1 and the pfn fields', () => {
    expect(m.canonicalize).toBeDefined();
    const mask = sym.readMask();
    expect(m.symmetryReads).toEqual(mask);
    const want = new Uint8Array(m.stateBytes);
    for (let b = lay.pgBase + L.PG_SIZE; b < lay.pgBase + lay.nFrames * L.PG_SIZE; b++) want[b] = 1;
    for (const f of pfnFields(lay)) want[f.off] = 1;
    expect(mask).toEqual(want);
  });

  const states = canonicalStates(m);

  it('explores as many canonical states as the explorer with symmetry', () => {
    const r = explore(m, exploreOptions({ symmetry: true }));
    expect(r.reductions.symmetry).toBe(true);
    expect(states.length).toBe(r.stats.states);
  });

  it('gives the reference canonical form, and says whether it changed the state', () => {
    const bad: string[] = [];
    const random = rng(7);
    let renamed = 0;
    const en = new Int32Array(m.actionCount);
    for (const s of states) {
      // the explored state itself (canonical), its successors before canonicalisation, and a random renaming
      const inputs = [s];
      const k = m.enabled(s, en);
      for (let j = 0; j < k; j++) { const t = new Uint8Array(m.stateBytes); m.apply(s, en[j]!, t); inputs.push(t); }
      const perm = [0, ...Array.from({ length: lay.nFrames - 1 }, (_, i) => i + 1).sort(() => random() - 0.5)];
      const r = s.slice();
      for (let p = 1; p < lay.nFrames; p++) r.set(s.subarray(lay.pgBase + p * L.PG_SIZE, lay.pgBase + (p + 1) * L.PG_SIZE), lay.pgBase + perm[p]! * L.PG_SIZE);
      for (const f of pfnFields(lay)) {
        const p = s[f.off]! - f.add;
        if (s[f.off] !== L.NO_PFN && p >= 1 && p < lay.nFrames) r[f.off] = perm[p]! + f.add;
      }
      inputs.push(r);
      for (const x of inputs) {
        const want = referenceCanonical(lay, x);
        const got = x.slice();
        const changed = sym.canonicalize(got);
        if (changed) renamed++;
        if (!same(got, want) || changed !== !same(x, want)) bad.push(key(x));
      }
      // a renaming of a canonical state canonicalises back to it
      const back = r.slice();
      sym.canonicalize(back);
      if (!same(back, s)) bad.push(`renaming of ${key(s)}`);
    }
    expect(bad).toEqual([]);
    expect(renamed).toBeGreaterThan(0);
  });

  it('keeps the read-mask contract on every step out of a reachable canonical state', () => {
    const mask = sym.readMask();
    const bad: string[] = [];
    let outside = 0;
    const en = new Int32Array(m.actionCount);
    for (const s of states) {
      expect(sym.canonicalize(s.slice())).toBe(false);
      const k = m.enabled(s, en);
      for (let j = 0; j < k; j++) {
        const t = new Uint8Array(m.stateBytes);
        m.apply(s, en[j]!, t);
        let onlyOutside = true;
        for (let b = 0; b < t.length && onlyOutside; b++) if (t[b] !== s[b] && mask[b]) onlyOutside = false;
        if (!onlyOutside) continue;
        outside++;
        const c = t.slice();
        if (sym.canonicalize(c) || !same(c, t)) bad.push(`${key(s)} action ${en[j]}`);
      }
    }
    expect(bad).toEqual([]);
    expect(outside).toBeGreaterThan(0);
  });

  it('keeps the read-mask contract on arbitrary changes outside the mask', () => {
    const mask = sym.readMask();
    const free = [...mask.keys()].filter((b) => mask[b] === 0);
    const random = rng(11);
    const bad: string[] = [];
    for (const s of states) {
      const t = s.slice();
      for (let i = 0; i < 8; i++) t[free[Math.floor(random() * free.length)]!] = Math.floor(random() * 256);
      const c = t.slice();
      if (sym.canonicalize(c) || !same(c, t)) bad.push(key(s));
    }
    expect(bad).toEqual([]);
  });
});
