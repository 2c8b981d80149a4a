/**
 * Test harness for the MM model: build a model from scenario text, run the
 * setup and single actors deterministically, and read the packed state back
 * as plain values. Used by test/model, test/invariants and test/explorer.
 *
 * Scenario text is the language of docs/scenario-language.md. Actors are
 * indexed as the compiler orders them: setup lines first (in file order),
 * then the actor sections; `actor(model, 'P0.T1')` looks an index up by name.
 */
import { expect } from 'vitest';
import type { ModelConfig } from '../../model/config.js';
import { resolveKernels } from '../../model/kernels.js';
import type { Kernel } from '../../model/kernels.js';
import * as L from '../../model/layout.js';
import { MmModel } from '../../model/mmModel.js';
import type { StateView } from '../../model/view.js';
import { compileScenario } from '../../scenario/compile.js';
import type { CompiledScenario } from '../../scenario/compile.js';
import { parseScenario } from '../../scenario/parse.js';

/** Compile scenario text (a `scenario` line is added when missing). */
export function compile(text: string): CompiledScenario {
  const full = /^\s*scenario\s/m.test(text) ? text : `scenario test\n${text}`;
  return compileScenario(parseScenario(full, 'test.pincow'));
}

export function configOf(text: string): ModelConfig {
  return compile(text).cfg;
}

export function kernelOf(spec: string): Kernel {
  return resolveKernels(spec)[0]!;
}

/** The model of scenario text under a kernel (a release such as '5.10', or an era id). */
export function makeModel(text: string, kernel = '5.10'): MmModel {
  return new MmModel(configOf(text), kernelOf(kernel));
}

// ---------------------------------------------------------------- names

export function actor(m: MmModel, name: string): number {
  const i = m.cfg.actors.findIndex((a) => a.name === name);
  if (i < 0) throw new Error(`no actor ${name}; actors are ${m.cfg.actors.map((a) => a.name).join(', ')}`);
  return i;
}

export function proc(m: MmModel, name: string): number {
  const i = m.cfg.processes.indexOf(name);
  if (i < 0) throw new Error(`no process ${name}`);
  return i;
}

export function vaOf(m: MmModel, name: string): number {
  const i = m.cfg.vas.indexOf(name);
  if (i < 0) throw new Error(`no VA ${name}`);
  return i;
}

export function pinOf(m: MmModel, name: string): number {
  const i = m.cfg.pins.findIndex((p) => p.name === name);
  if (i < 0) throw new Error(`no pin ${name}`);
  return i;
}

// ---------------------------------------------------------------- running

export function enabledActors(m: MmModel, s: Uint8Array): number[] {
  const out = new Int32Array(Math.max(1, m.actionCount));
  const n = m.enabled(s, out);
  return Array.from(out.subarray(0, n));
}

export function isEnabled(m: MmModel, s: Uint8Array, a: number): boolean {
  return enabledActors(m, s).includes(a);
}

/** The name of the step actor `a` takes next in `s`, or undefined if it cannot run. */
export function nextStep(m: MmModel, s: Uint8Array, a: number): string | undefined {
  return m.describe(s, a)?.step.name;
}

/** One step of actor `a` into a fresh state; throws if the actor is not enabled. */
export function step(m: MmModel, s: Uint8Array, a: number): Uint8Array {
  if (!isEnabled(m, s, a)) throw new Error(`actor ${m.cfg.actors[a]?.name ?? a} is not enabled`);
  const next = new Uint8Array(s.length);
  m.apply(s, a, next);
  return next;
}

/** Records the names of the steps taken, when passed to the run helpers. */
export type StepLog = string[];

/**
 * Apply actor `a`'s steps while it is enabled, at most `nSteps` of them.
 * Returns the last state (the input itself if no step ran).
 */
export function runActor(m: MmModel, s: Uint8Array, a: number, nSteps = Infinity, log?: StepLog): Uint8Array {
  let cur = s;
  for (let i = 0; i < nSteps && isEnabled(m, cur, a); i++) {
    log?.push(nextStep(m, cur, a)!);
    cur = step(m, cur, a);
  }
  return cur;
}

/** Run actor `a` until its current instruction completes (its pc moves) or it blocks. */
export function runInstr(m: MmModel, s: Uint8Array, a: number, log?: StepLog): Uint8Array {
  const pc0 = m.view(s).act(a, L.A_PC);
  let cur = s;
  while (m.view(cur).act(a, L.A_PC) === pc0 && isEnabled(m, cur, a)) {
    log?.push(nextStep(m, cur, a)!);
    cur = step(m, cur, a);
  }
  return cur;
}

/** Run `n` whole instructions of actor `a`. */
export function runInstrs(m: MmModel, s: Uint8Array, a: number, n: number, log?: StepLog): Uint8Array {
  let cur = s;
  for (let i = 0; i < n; i++) cur = runInstr(m, cur, a, log);
  return cur;
}

/** Run the setup section (it is sequential: exactly one actor is enabled at each step). */
export function runSetup(m: MmModel, s: Uint8Array = m.initialState()): Uint8Array {
  let cur = s;
  while (m.view(cur).phase < m.cfg.setupLength) {
    const en = enabledActors(m, cur);
    if (en.length !== 1) throw new Error(`setup: ${en.length} actors enabled at phase ${m.view(cur).phase}`);
    cur = step(m, cur, en[0]!);
  }
  return cur;
}

/** Run the named actors one after the other, each to the end of its program (or until it blocks). */
export function runSequential(m: MmModel, s: Uint8Array, names: readonly string[]): Uint8Array {
  let cur = s;
  for (const n of names) cur = runActor(m, cur, actor(m, n));
  return cur;
}

/** initialState + setup. */
export function afterSetup(m: MmModel): Uint8Array {
  return runSetup(m, m.initialState());
}

// ---------------------------------------------------------------- reading

export interface PteInfo {
  readonly kind: 'none' | 'present' | 'swap' | 'migration' | 'protnone' | 'cleared';
  readonly pfn: number;
  readonly write: boolean;
  readonly dirty: boolean;
  readonly special: boolean;
}

const KINDS = ['none', 'present', 'swap', 'migration', 'protnone', 'cleared'] as const;

export function pte(m: MmModel, s: Uint8Array, procName: string, vaName: string): PteInfo {
  const v = m.view(s);
  const mm = proc(m, procName);
  const va = vaOf(m, vaName);
  const f = v.pteFlags(mm, va);
  return {
    kind: KINDS[v.kind(mm, va)]!,
    pfn: v.pfn(mm, va),
    write: (f & L.PTEF_WRITE) !== 0,
    dirty: (f & L.PTEF_DIRTY) !== 0,
    special: (f & L.PTEF_SPECIAL) !== 0,
  };
}

export interface PageInfo {
  readonly alloc: boolean;
  readonly refcount: number;
  readonly pins: number;
  readonly mapcount: number;
  readonly anon: boolean;
  readonly pae: boolean;
  readonly content: number;
}

export function page(m: MmModel, s: Uint8Array, p: number): PageInfo {
  const v = m.view(s);
  return {
    alloc: v.hasFlag(p, L.PGF_ALLOC),
    refcount: v.refcount(p),
    pins: v.page(p, L.PG_PINS),
    mapcount: v.mapcount(p),
    anon: v.isAnon(p),
    pae: v.pae(p),
    content: v.page(p, L.PG_CONTENT),
  };
}

const PIN_STATES = ['unused', 'held', 'released', 'failed', 'grabbed'] as const;

export interface PinInfo {
  readonly state: (typeof PIN_STATES)[number];
  readonly pfn: number;
  readonly userUnmapped: boolean;
}

export function pinInfo(m: MmModel, s: Uint8Array, name: string): PinInfo {
  const v = m.view(s);
  const i = pinOf(m, name);
  return { state: PIN_STATES[v.pinState(i)]!, pfn: v.pinPfn(i), userUnmapped: (v.pinGhost(i) & L.PING_USER_UNMAPPED) !== 0 };
}

export function mmField(m: MmModel, s: Uint8Array, procName: string, field: number): number {
  return m.view(s).mm(proc(m, procName), field);
}

export function vmaFlags(m: MmModel, s: Uint8Array, procName: string, vaName: string): number {
  return m.view(s).vma(proc(m, procName), vaOf(m, vaName));
}

/** Is actor `a` done with its whole program? */
export function finished(m: MmModel, s: Uint8Array, a: number): boolean {
  return m.view(s).act(a, L.A_PC) >= m.cfg.actors[a]!.program.length;
}

/** A writable copy of a state and a view on it, for constructing states by hand. */
export function edit(m: MmModel, s: Uint8Array): StateView {
  return m.view(new Uint8Array(s));
}

/** Expect a page to be allocated with exactly these counts. */
export function expectPage(m: MmModel, s: Uint8Array, p: number, want: Partial<PageInfo>): void {
  const got = page(m, s, p);
  const sub = Object.fromEntries(Object.keys(want).map((k) => [k, got[k as keyof PageInfo]]));
  expect(sub, `page#${p}`).toEqual(want);
}

export function expectPte(m: MmModel, s: Uint8Array, procName: string, vaName: string, want: Partial<PteInfo>): void {
  const got = pte(m, s, procName, vaName);
  const sub = Object.fromEntries(Object.keys(want).map((k) => [k, got[k as keyof PteInfo]]));
  expect(sub, `${procName}:${vaName}`).toEqual(want);
}

/** A freed frame: no flags, no counts. */
export const FREE: Partial<PageInfo> = { alloc: false, refcount: 0, mapcount: 0, pae: false };
