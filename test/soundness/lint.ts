/**
 * The checks behind the soundness harness (checker-anchors §4.7), run on
 * every reachable state of small configurations explored without
 * reduction. Each returns human-readable problems (step names, actors,
 * the state decoded), empty when the model keeps its promises:
 *
 * - independence: two enabled steps of different actors whose footprints
 *   do not conflict commute (same state either order, ghost values aside)
 *   and neither disables the other;
 * - write completeness: every byte a step changes lies in a location its
 *   footprint writes (or its own actor's frame, or a write-once ghost);
 * - futures: an actor's enabled steps lie in its future footprint, and a
 *   future grows only through locations the step taken touches
 *   (explorer/por.ts obligations);
 * - reads: changing bytes outside an invariant's read mask
 *   (invariants/reads.ts) never changes its verdict;
 * - symmetry: canonical forms are exact, invariants and enabledness are
 *   invariant under renaming, and steps commute with it where the model
 *   says symmetry is safe.
 */
import type { Property } from '../../explorer/types.js';
import { NO_DEADLOCK } from '../../explorer/types.js';
import { properties } from '../../api/check.js';
import { MmModel } from '../../model/mmModel.js';
import { decodeState } from '../../model/decode.js';
import * as L from '../../model/layout.js';
import { ANY, LOC_LIFE, MmPor, READ } from '../../model/porSupport.js';
import { LOC_EVENTS, LOC_MM, LOC_PAGE, LOC_PHASE, LOC_PIN, LOC_PTE } from '../../model/step.js';

const GHOSTS = [L.G_ASSERT, L.G_MISSED_COW, L.G_MISSED_COW_PFN, L.G_BAD_FREE];

/** Every reachable state of the full graph (BFS over whole states), at most `limit`. */
export function reachable(m: MmModel, limit = 20_000): Uint8Array[] {
  const key = (s: Uint8Array): string => Buffer.from(s).toString('latin1');
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const en = new Int32Array(Math.max(1, m.actionCount));
  let level = [m.initialState()];
  seen.add(key(level[0]!));
  while (level.length > 0) {
    const next: Uint8Array[] = [];
    for (const s of level) {
      out.push(s);
      if (out.length >= limit) throw new Error(`more than ${limit} states: too big for the linter`);
      const n = m.enabled(s, en);
      for (let j = 0; j < n; j++) {
        const t = new Uint8Array(m.stateBytes);
        m.apply(s, en[j]!, t);
        const k = key(t);
        if (!seen.has(k)) {
          seen.add(k);
          next.push(t);
        }
      }
    }
    level = next;
  }
  return out;
}

export function enabledOf(m: MmModel, s: Uint8Array): number[] {
  const en = new Int32Array(Math.max(1, m.actionCount));
  return Array.from(en.subarray(0, m.enabled(s, en)));
}

export function after(m: MmModel, s: Uint8Array, a: number): Uint8Array {
  const t = new Uint8Array(m.stateBytes);
  m.apply(s, a, t);
  return t;
}

/**
 * The state with the write-once ghosts reduced to what a step or an
 * invariant can tell (set or not; layout.ts PfnField.ghost): their values
 * (which assertion, which writer, which frame) are for traces only. The
 * missed-COW frame is dropped (0 names the zeropage, no frame to rename).
 */
export function ghostless(s: Uint8Array): Uint8Array {
  const t = new Uint8Array(s);
  for (const g of GHOSTS) t[g] = t[g] === 0 ? 0 : 1;
  t[L.G_MISSED_COW_PFN] = 0;
  return t;
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

function name(m: MmModel, s: Uint8Array, a: number): string {
  return `${m.cfg.actors[m.actorOf(a)]!.name}:${m.describe(s, a)?.step.name ?? '?'}`;
}

function show(m: MmModel, s: Uint8Array): string {
  return JSON.stringify(decodeState(m, s));
}

/** location -> 1 read / 2 write, from footprint codes */
function locs(codes: readonly number[]): Map<number, number> {
  const r = new Map<number, number>();
  for (const c of codes) {
    if (c === ANY) { r.set(ANY, 2); continue; }
    const loc = c & ~READ;
    r.set(loc, (r.get(loc) ?? 0) | ((c & READ) !== 0 ? 1 : 2));
  }
  return r;
}

function conflict(a: Map<number, number>, b: Map<number, number>): boolean {
  if (a.has(ANY) || b.has(ANY)) return true;
  for (const [loc, ma] of a) {
    const mb = b.get(loc);
    if (mb !== undefined && ((ma | mb) & 2) !== 0) return true;
  }
  return false;
}

function fpOf(por: MmPor, s: Uint8Array, a: number): Map<number, number> {
  const out: number[] = [];
  por.footprint(s, a, out);
  return locs(out);
}

/** Independence: footprint-disjoint pairs of steps commute and do not disable each other. */
export function lintIndependence(m: MmModel, states: readonly Uint8Array[], limit = 5): string[] {
  const por = new MmPor(m);
  const bad: string[] = [];
  for (const s of states) {
    const en = enabledOf(m, s);
    for (let i = 0; i < en.length && bad.length < limit; i++) {
      for (let j = i + 1; j < en.length && bad.length < limit; j++) {
        const a = en[i]!;
        const b = en[j]!;
        if (m.actorOf(a) === m.actorOf(b) || conflict(fpOf(por, s, a), fpOf(por, s, b))) continue;
        const sa = after(m, s, a);
        const sb = after(m, s, b);
        const what = `${name(m, s, a)} and ${name(m, s, b)} in ${show(m, s)}`;
        if (!enabledOf(m, sa).includes(b)) { bad.push(`${name(m, s, a)} disables ${name(m, s, b)} in ${show(m, s)}`); continue; }
        if (!enabledOf(m, sb).includes(a)) { bad.push(`${name(m, s, b)} disables ${name(m, s, a)} in ${show(m, s)}`); continue; }
        if (!same(ghostless(after(m, sa, b)), ghostless(after(m, sb, a)))) bad.push(`do not commute: ${what}`);
      }
    }
  }
  return bad;
}

/** The location a state byte belongs to, 'own' (the actor's frame), 'ghost', or another actor's frame ('actor'). */
function locationOf(m: MmModel, off: number, actor: number): number | 'own' | 'ghost' | 'actor' {
  const lay = m.lay;
  if (off < L.HEADER_SIZE) return off === L.G_PHASE ? LOC_PHASE : off === L.G_EVENTS ? LOC_EVENTS : 'ghost';
  if (off < lay.ptBase) {
    const mm = Math.floor((off - lay.mmBase) / L.MM_SIZE);
    return LOC_MM + mm;
  }
  if (off < lay.pgBase) return LOC_PTE + Math.floor((off - lay.ptBase) / L.PT_SIZE);
  if (off < lay.pinBase) return LOC_PAGE + Math.floor((off - lay.pgBase) / L.PG_SIZE);
  if (off < lay.actBase) return LOC_PIN + Math.floor((off - lay.pinBase) / L.PIN_SIZE);
  const a = Math.floor((off - lay.actBase) / L.A_SIZE);
  return a === actor ? 'own' : 'actor';
}

/** Write completeness: each changed byte is in a written location of the step's footprint. */
export function lintWrites(m: MmModel, states: readonly Uint8Array[], limit = 5): string[] {
  const por = new MmPor(m);
  const bad: string[] = [];
  for (const s of states) {
    for (const a of enabledOf(m, s)) {
      const t = after(m, s, a);
      const fp = fpOf(por, s, a);
      for (let off = 0; off < s.length && bad.length < limit; off++) {
        if (s[off] === t[off]) continue;
        const loc = locationOf(m, off, m.actorOf(a));
        if (loc === 'own' || loc === 'ghost') continue;
        const ok = loc !== 'actor' && ((fp.get(loc) ?? 0) & 2) !== 0;
        // MM_ALIVE is the life pseudo-location too (fork, exit).
        const life = loc !== 'actor' && (off - m.lay.mmBase) % L.MM_SIZE === L.MM_ALIVE && off >= m.lay.mmBase && off < m.lay.ptBase
          && ((fp.get(LOC_LIFE + (loc - LOC_MM)) ?? 0) & 2) !== 0;
        if (!ok && !life) bad.push(`${name(m, s, a)} writes byte ${off} (location ${loc}) outside its footprint in ${show(m, s)}`);
      }
    }
  }
  return bad;
}

function futureOf(por: MmPor, s: Uint8Array, q: number): Map<number, number> {
  const out: number[] = [];
  por.future(s, q, out);
  return locs(out);
}

/** Is every access of `small` covered by `big` (a write by a write, a read by either)? */
function covered(small: Map<number, number>, big: Map<number, number>, extra?: Map<number, number>): number | undefined {
  if (big.has(ANY)) return undefined;
  for (const [loc, md] of small) {
    const mb = (big.get(loc) ?? 0) | (extra?.get(loc) ?? 0);
    if ((md & 2) !== 0 ? (mb & 2) === 0 : mb === 0) return loc;
  }
  return undefined;
}

/** Futures: enabled steps lie in their actor's future; futures grow only through what a step touches. */
export function lintFutures(m: MmModel, states: readonly Uint8Array[], limit = 5): string[] {
  const por = m.por!;
  const bad: string[] = [];
  const actors = m.cfg.actors.map((_, q) => q);
  for (const s of states) {
    if (bad.length >= limit) break;
    const fs = actors.map((q) => futureOf(por, s, q));
    for (const a of enabledOf(m, s)) {
      const fp = fpOf(por, s, a);
      const q = m.actorOf(a);
      const miss = covered(fp, fs[q]!);
      if (miss !== undefined) bad.push(`${name(m, s, a)} touches location ${miss} outside its actor's future in ${show(m, s)}`);
      const t = after(m, s, a);
      for (const r of actors) {
        const grown = covered(futureOf(por, t, r), fs[r]!, fp);
        if (grown !== undefined) bad.push(`after ${name(m, s, a)}, ${m.cfg.actors[r]!.name}'s future gains location ${grown} in ${show(m, s)}`);
      }
    }
  }
  return bad;
}

/** Reads: changing bytes outside a property's read mask never changes its verdict. */
export function lintReads(m: MmModel, props: readonly Property[], states: readonly Uint8Array[], seed = 1, limit = 5): string[] {
  let x = seed;
  const rand = (k: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % k;
  };
  const bad: string[] = [];
  for (const p of props) {
    if (!p.reads) continue;
    for (const s of states) {
      if (bad.length >= limit) return bad;
      const want = p.holds(s);
      for (let trial = 0; trial < 3; trial++) {
        const donor = states[rand(states.length)]!;
        const t = new Uint8Array(s);
        for (let i = 0; i < t.length; i++) if (!p.reads[i]) t[i] = trial === 2 ? rand(256) : donor[i]!;
        let got: boolean | string;
        try { got = p.holds(t); } catch (e) { got = String(e); }
        if (got !== want) bad.push(`${p.name} reads outside its mask: ${show(m, s)} gives ${want}, with unmasked bytes changed ${got}`);
      }
    }
  }
  return bad;
}

/**
 * Reads along steps (what explorer/successor.ts relies on to skip a
 * check): a step that leaves every byte of a property's read mask as it
 * was leaves its verdict as it was.
 */
export function lintReadsAlongSteps(m: MmModel, props: readonly Property[], states: readonly Uint8Array[], limit = 5): string[] {
  const bad: string[] = [];
  for (const s of states) {
    for (const a of enabledOf(m, s)) {
      const t = after(m, s, a);
      for (const p of props) {
        if (!p.reads || p.holds(s) === p.holds(t)) continue;
        if (p.reads.every((r, i) => !r || s[i] === t[i])) {
          bad.push(`${p.name}: action ${a} changes its verdict without changing a byte it reads, from ${show(m, s)}`);
          if (bad.length >= limit) return bad;
        }
      }
    }
  }
  return bad;
}

/** A random renaming of frames 1..n-1 applied to a state (every pfn field rewritten). */
export function permute(m: MmModel, s: Uint8Array, seed: number): Uint8Array {
  const n = m.lay.nFrames;
  const perm = Array.from({ length: n }, (_, i) => i);
  let x = seed;
  for (let i = n - 1; i > 1; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = 1 + ((x >>> 8) % i);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const t = new Uint8Array(s);
  const lay = m.lay;
  for (let p = 1; p < n; p++) t.set(s.subarray(lay.pgBase + p * L.PG_SIZE, lay.pgBase + (p + 1) * L.PG_SIZE), lay.pgBase + perm[p]! * L.PG_SIZE);
  const bases = {
    header: [0], mm: [] as number[], pte: Array.from({ length: lay.nMm * lay.nVa }, (_, i) => lay.ptBase + i * L.PT_SIZE),
    page: [] as number[], pin: Array.from({ length: lay.nPins }, (_, i) => lay.pinBase + i * L.PIN_SIZE),
    actor: Array.from({ length: lay.nActors }, (_, i) => lay.actBase + i * L.A_SIZE),
  };
  for (const f of L.PFN_FIELDS) {
    for (const b of bases[f.region]) {
      const val = s[b + f.field]!;
      const p = val - f.offset;
      if (val !== L.NO_PFN && p >= 1 && p < n) t[b + f.field] = perm[p]! + f.offset;
    }
  }
  return t;
}

/** Symmetry: exact canonical forms, invariant verdicts and enabledness, and equivariant steps where safe. */
export function lintSymmetry(m: MmModel, props: readonly Property[], states: readonly Uint8Array[], limit = 5): string[] {
  const canon = (s: Uint8Array): Uint8Array => { const t = new Uint8Array(s); m.canonicalize!(t); return t; };
  const bad: string[] = [];
  let seed = 7;
  for (const s of states) {
    if (bad.length >= limit) break;
    const c = canon(s);
    const p = permute(m, s, seed++);
    if (!same(canon(p), c)) bad.push(`canonical form not exact: ${show(m, s)} and its renaming differ`);
    for (const pr of props) if (pr.holds(s) !== pr.holds(c)) bad.push(`${pr.name} is not renaming-invariant on ${show(m, s)}`);
    if (enabledOf(m, s).join() !== enabledOf(m, c).join()) bad.push(`enabledness is not renaming-invariant on ${show(m, s)}`);
    if (m.isFinal(s) !== m.isFinal(c)) bad.push(`isFinal is not renaming-invariant on ${show(m, s)}`);
    const safe = m.symmetrySafe!(s);
    if (safe !== m.symmetrySafe!(c) || safe !== m.symmetrySafe!(p)) bad.push(`symmetrySafe is not renaming-invariant on ${show(m, s)}`);
    if (!safe) continue;
    for (const a of enabledOf(m, s)) {
      if (!same(canon(ghostless(after(m, s, a))), canon(ghostless(after(m, p, a))))) {
        bad.push(`${name(m, s, a)} does not commute with renaming frames in ${show(m, s)}`);
      }
    }
  }
  return bad;
}

/** Replay a reduced run's path on a fresh unreduced model: every step enabled, the end violating `property`. */
export function replaysToViolation(m: MmModel, names: readonly string[], property: string, path: readonly number[]): boolean {
  const fresh = new MmModel(m.cfg, m.kernel);
  let s = fresh.initialState();
  for (const a of path) {
    if (!enabledOf(fresh, s).includes(a)) return false;
    s = after(fresh, s, a);
  }
  if (property === NO_DEADLOCK) return enabledOf(fresh, s).length === 0 && !fresh.isFinal(s);
  return !properties(fresh, names.filter((n) => n === property))[0]!.holds(s);
}
