/**
 * Scenario AST → what the checker runs: the model configuration (processes,
 * VAs, pins, events, actors with their programs), the invariants to check
 * and the expectations per era. Every name is checked here, with the
 * position of the word and what would be accepted.
 */
import type { ActorConfig, InstrConfig, ModelConfig, OpKind, PinConfig, ThpConfig } from '../model/config.js';
import { didYouMean, PincowError } from '../model/errors.js';
import type { SourcePos } from '../model/errors.js';
import { SWITCH_NAMES } from '../model/kernels.js';
import * as L from '../model/layout.js';
import { INVARIANT_NAMES } from '../invariants/index.js';
import { collapseRegion, declareThp, refuseThpUnaware, regionHint, regionNamed, thpConfig, vaSpan } from './thpCompile.js';
import { sharedConfig, sharedFlag } from './sharedCompile.js';
import type { Instr, ScenarioAst, Word } from './ast.js';
import { err } from './compileError.js';
import { checkContradictions, compileExpects } from './expects.js';
import { checkShape, checkUffdBounds } from './limits.js';

export { expectedVerdict } from './expects.js';
export { LIMITS } from './limits.js';

export interface Expect {
  readonly invariant: string;
  readonly verdict: 'holds' | 'violated';
  readonly ranges: readonly string[];
  readonly line: number;
}

export interface CompiledScenario {
  readonly name: string;
  readonly title: string;
  readonly refs: readonly string[];
  readonly file: string;
  readonly cfg: ModelConfig;
  /** invariants to check, by name */
  readonly invariants: readonly string[];
  readonly expects: readonly Expect[];
  readonly depth: number | undefined;
}

const THREAD_OPS = ['mmap', 'read', 'write', 'fork', 'exit', 'munmap', 'madvise', 'mprotect', 'pin', 'get', 'unpin', 'put', 'signal', 'wait', 'join', 'uffd-copy', 'uffd-zeropage', 'uffd-wake', 'uffd-read', 'mremap', 'uffd-move'];
const DEVICE_OPS = ['dma-read', 'dma-write', 'unpin', 'put', 'signal', 'wait', 'join'];

/**
 * Actors that are not threads of a process (mm = -1): the device and the
 * kernel daemons (reclaim, migration, the NUMA scanner, ksmd, khugepaged,
 * uprobes), each with the operations it may run. A daemon's section header
 * is its name (`reclaim:`); add a daemon by adding its row here.
 */
export const NON_THREAD_ACTORS: Record<string, readonly string[]> = {
  device: DEVICE_OPS,
  ksmd: ['merge', 'signal', 'wait', 'join'],
  uprobes: ['register', 'unregister', 'signal', 'wait', 'join'],
  khugepaged: ['collapse', 'signal', 'wait', 'join'],
  reclaim: ['pageout', 'signal', 'wait', 'join'],
  migration: ['migrate', 'signal', 'wait', 'join'],
  numa: ['scan', 'signal', 'wait', 'join'],
};


interface Builder {
  readonly processes: string[];
  readonly vas: string[];
  readonly pins: (PinConfig & { pos: SourcePos })[];
  readonly events: string[];
  readonly actors: Map<string, { mm: number; program: InstrConfig[]; pos: SourcePos }>;
  setupSeq: number;
  /** THP regions (`mmap A thp`, scenario/thpCompile.ts) */
  readonly thps: ThpConfig[];
}

function processOf(b: Builder, actor: Word): number {
  if (Object.hasOwn(NON_THREAD_ACTORS, actor.text)) return -1;
  const m = /^(P\d+)(?:\.T\d+)?$/.exec(actor.text);
  const others = Object.keys(NON_THREAD_ACTORS);
  if (!m) err('unknown-name', actor, `unknown actor "${actor.text}"; expected P<n> (a process's main thread), P<n>.T<m> (another thread) or one of ${others.join(', ')}${didYouMean(actor.text, [...others, 'P0', 'P1'])}`);
  let i = b.processes.indexOf(m[1]!);
  if (i < 0) i = b.processes.push(m[1]!) - 1;
  return i;
}

/**
 * `join ACTOR` waits until ACTOR has run its whole program: sugar for a
 * one-shot event that the compiler signals as ACTOR's last instruction
 * (so it is ordered, and independent of everything else, exactly like
 * signal/wait).
 */
function joinEvent(actor: string): string {
  return `${actor}-done`;
}

/** After pass 2: append the signal of every joined actor's end-of-program event. */
function addJoinSignals(b: Builder, blocks: readonly { actor: Word; instrs: readonly Instr[] }[]): void {
  for (const blk of blocks) {
    for (const ins of blk.instrs) {
      if (ins.op.text !== 'join') continue;
      const target = ins.args[0]!;
      const e = b.actors.get(target.text);
      if (!e || e.program.every((i) => i.setupSeq >= 0)) err('unknown-name', target, `"join ${target.text}": ${target.text} has no program to wait for; actors with a program are ${[...b.actors.entries()].filter(([, a]) => a.program.some((i) => i.setupSeq < 0)).map(([n]) => n).join(', ')}`);
      if (target.text === blk.actor.text) err('invalid-scenario', target, `an actor cannot join itself`);
      const event = b.events.indexOf(joinEvent(target.text));
      if (e.program.some((i) => i.kind === 'signal' && i.event === event)) continue;
      // Before a final exit: after exit_mmap the actor runs nothing more.
      const last = e.program[e.program.length - 1]!;
      const at = last.kind === 'exit' ? e.program.length - 1 : e.program.length;
      e.program.splice(at, 0, { ...last, kind: 'signal', va: 0, child: 0, pin: 0, writable: false, vmaFlags: 0, setupSeq: -1, event, text: `(end of ${target.text})` });
    }
  }
}

/**
 * `with` / `without` directives: switch names checked against the kernel
 * model (pincow list kernels); a switch both turned on and off is refused.
 */
function kernelSwitches(ast: ScenarioAst): { kernelWith?: string[]; kernelWithout?: string[] } {
  const names = (ws: readonly Word[] | undefined): string[] =>
    (ws ?? []).map((w) => {
      if (!SWITCH_NAMES.includes(w.text as (typeof SWITCH_NAMES)[number])) {
        err('unknown-name', w, `unknown kernel switch "${w.text}"; see "pincow list kernels"${didYouMean(w.text, SWITCH_NAMES)}`);
      }
      return w.text;
    });
  const on = names(ast.with);
  const off = names(ast.without);
  const both = ast.without?.find((w) => on.includes(w.text));
  if (both) err('invalid-scenario', both, `switch "${both.text}" is both in "with" and in "without"`);
  return { ...(on.length ? { kernelWith: on } : {}), ...(off.length ? { kernelWithout: off } : {}) };
}

/** Pass 1: names that instructions create (processes by fork, VAs by mmap, pins, events). */
function declare(b: Builder, ins: Instr, actorMm: number): void {
  const op = ins.op.text;
  const a0 = ins.args[0];
  if (op === 'fork' && a0 && /^P\d+$/.test(a0.text) && !b.processes.includes(a0.text)) b.processes.push(a0.text);
  if (op === 'mmap' && a0 && !declareThp(b, ins) && !regionNamed(b, a0.text) && !b.vas.includes(a0.text)) b.vas.push(a0.text);
  // mremap's new address need not be mapped before: the move creates it.
  if (op === 'mremap' && ins.args[1] && !b.vas.includes(ins.args[1].text)) b.vas.push(ins.args[1].text);
  if ((op === 'signal' || op === 'wait') && a0 && !b.events.includes(a0.text)) b.events.push(a0.text);
  if (op === 'join' && a0 && !b.events.includes(joinEvent(a0.text))) b.events.push(joinEvent(a0.text));
  if (op === 'pin' || op === 'get') {
    const name = ins.as?.text ?? `pin${b.pins.length}`;
    if (b.pins.some((p) => p.name === name)) err('invalid-scenario', ins.as ?? ins.op, `a pin named "${name}" already exists`);
    const words = ins.args.slice(1).map((w) => w.text);
    b.pins.push({
      name, mm: Math.max(actorMm, 0), va: -1, foll_pin: op === 'pin', write: words.includes('rw'),
      fast: words.includes('fast'), longterm: words.includes('longterm'), pos: ins.pos,
    });
  }
}

function vaIndex(b: Builder, w: Word | undefined, ins: Instr): number {
  if (!w) err('syntax', ins.op, `"${ins.op.text}" needs a VA (one of: ${b.vas.join(', ') || 'none mmapped yet'})`);
  regionHint(b, w, ins.op.text);
  const i = b.vas.indexOf(w.text);
  if (i < 0) err('unknown-name', w, `unknown VA "${w.text}"; VAs are created by "mmap VA"${didYouMean(w.text, b.vas)}`);
  return i;
}

/** A process named in an operand (`merge P0 A P1 B`, `uffd-move A B to P1`): P0 or a forked one. */
function processIndex(b: Builder, w: Word | undefined, ins: Instr): number {
  if (!w) err('syntax', ins.op, `"${ins.op.text}" needs a process name, like P0`);
  const i = b.processes.indexOf(w.text);
  if (i < 0) err('unknown-name', w, `unknown process "${w.text}"; processes are P0 and those created by fork (${b.processes.join(', ')})${didYouMean(w.text, b.processes)}`);
  return i;
}

function pinIndex(b: Builder, w: Word | undefined, ins: Instr): number {
  const names = b.pins.map((p) => p.name);
  if (!w) err('syntax', ins.op, `"${ins.op.text}" needs a pin name (one of: ${names.join(', ') || 'no pin/get yet'})`);
  const i = names.indexOf(w.text);
  if (i < 0) err('unknown-name', w, `unknown pin "${w.text}"; pins are ${names.join(', ') || 'created by pin/get'}${didYouMean(w.text, names)}`);
  return i;
}

/**
 * `any` as a kernel daemon's target (`reclaim: pageout any`,
 * `uprobes: register any`): a daemon may pick any page, so the
 * instruction compiles to a nondeterministic choice (config.ts `alts`)
 * among the concrete targets — every process and every VA — each
 * alternative built by `make(mm, va, text)` as if the scenario had named
 * that target; `text` is the instruction as written with `any` replaced by
 * `P VA` (make may use its own). Returns undefined when args[at] is not
 * `any`: the caller then compiles its concrete target as usual. A process
 * that does not exist (yet) is a target too: the op must treat a dead or
 * unforked mm as "nothing to do". docs/scenario-language.md, "Choices".
 */
export function anyTargets(
  b: { readonly processes: readonly string[]; readonly vas: readonly string[] },
  ins: Instr, make: (mm: number, va: number, text: string) => InstrConfig, at = 0,
): InstrConfig | undefined {
  if (ins.args[at]?.text !== 'any') return undefined;
  if (b.vas.length === 0) err('invalid-scenario', ins.args[at]!, `"any" picks among the mmapped VAs, and none is mmapped`);
  const words = [ins.op.text, ...ins.args.map((a) => a.text)];
  const alts = b.processes.flatMap((p, mm) => b.vas.map((va, v) => {
    const text = words.map((w, i) => (i === at + 1 ? `${p} ${va}` : w)).join(' ');
    return make(mm, v, text);
  }));
  return { ...alts[0]!, alts, text: words.join(' ') };
}

function expectWords(ins: Instr, from: number, allowed: readonly string[], required: readonly string[][]): string[] {
  const words = ins.args.slice(from);
  for (const w of words) {
    if (!allowed.includes(w.text)) err('syntax', w, `unexpected "${w.text}" after "${ins.op.text}"; expected ${allowed.join(', ')}${didYouMean(w.text, allowed)}`);
  }
  for (const group of required) {
    if (!words.some((w) => group.includes(w.text))) err('syntax', ins.op, `"${ins.op.text}" needs one of: ${group.join(', ')}`);
  }
  return words.map((w) => w.text);
}

const blank = (ins: Instr, kind: OpKind, seq: number): InstrConfig => ({
  kind, va: 0, child: 0, pin: 0, event: 0, writable: false, vmaFlags: 0, setupSeq: seq,
  source: `${ins.pos.line}:${ins.pos.col}`,
  text: [ins.op.text, ...ins.args.map((a) => a.text), ...(ins.as ? ['as', ins.as.text] : [])].join(' '),
});

/** Pass 2: one instruction to its configuration. */
function compileInstr(b: Builder, ins: Instr, actor: Word, mm: number, seq: number, pinCursor: { i: number }): InstrConfig {
  const op = ins.op.text;
  const allowedOps = mm < 0 ? NON_THREAD_ACTORS[actor.text] ?? DEVICE_OPS : THREAD_OPS;
  if (!allowedOps.includes(op)) {
    const who = mm < 0 ? `the ${actor.text}` : `a thread (${actor.text})`;
    err('unknown-name', ins.op, `"${op}" is not an operation of ${who}; expected one of ${allowedOps.join(', ')}${didYouMean(op, allowedOps)}`);
  }
  if (ins.as && op !== 'pin' && op !== 'get') err('syntax', ins.as, `"as NAME" only names a pin or get`);
  const a0 = ins.args[0];
  switch (op) {
    case 'mmap': {
      const w = expectWords(ins, 1, ['anon', 'private', 'shared', 'ro', 'rw', 'dontfork', 'wipeonfork', 'uffd', 'thp'], []);
      const flags = (w.includes('ro') ? 0 : L.VMA_WRITE) | (w.includes('dontfork') ? L.VMA_DONTCOPY : 0) | (w.includes('wipeonfork') ? L.VMA_WIPEONFORK : 0)
        | (w.includes('uffd') ? L.VMA_UFFD : 0) // mmap + UFFDIO_REGISTER_MODE_MISSING
        | sharedFlag(ins, w); // MAP_SHARED|MAP_ANONYMOUS (scenario/sharedCompile.ts)
      return { ...blank(ins, 'mmap', seq), ...vaSpan(b, a0, ins, (x, i) => vaIndex(b, x, i)), vmaFlags: flags };
    }
    case 'munmap': // a THP region (span) or one VA
      expectWords(ins, 1, [], []);
      return { ...blank(ins, op, seq), ...vaSpan(b, a0, ins, (x, i) => vaIndex(b, x, i)) };
    case 'read': case 'write': case 'uffd-copy': case 'uffd-zeropage': case 'uffd-wake': case 'uffd-read':
      expectWords(ins, 1, [], []);
      return { ...blank(ins, op, seq), va: vaIndex(b, a0, ins) };
    case 'exit':
      expectWords(ins, 0, [], []);
      return blank(ins, 'exit', seq);
    case 'fork': {
      if (!a0 || !/^P\d+$/.test(a0.text)) err('syntax', a0 ?? ins.op, `"fork" needs the child's process name, like P1`);
      expectWords(ins, 1, [], []);
      const child = b.processes.indexOf(a0.text);
      if (child === mm) err('invalid-scenario', a0, `a process cannot fork itself`);
      return { ...blank(ins, 'fork', seq), child };
    }
    case 'madvise': {
      const [adv] = expectWords(ins, 1, ['dontneed', 'dontfork', 'dofork', 'wipeonfork', 'collapse'], [['dontneed', 'dontfork', 'dofork', 'wipeonfork', 'collapse']]);
      // MADV_COLLAPSE (6.1): khugepaged's collapse run by the thread on its own mm (model/ops/khugepaged.ts).
      if (adv === 'collapse') return { ...blank(ins, 'collapse', seq), target: mm, va: collapseRegion(b, a0, ins), span: L.THP_NR };
      return { ...blank(ins, adv as OpKind, seq), ...vaSpan(b, a0, ins, (x, i) => vaIndex(b, x, i)) };
    }
    case 'mprotect': {
      const w = expectWords(ins, 1, ['ro', 'rw'], [['ro', 'rw']]);
      return { ...blank(ins, 'mprotect', seq), ...vaSpan(b, a0, ins, (x, i) => vaIndex(b, x, i)), writable: w.includes('rw') };
    }
    case 'pin': case 'get': {
      const allowed = op === 'pin' ? ['ro', 'rw', 'fast', 'longterm'] : ['ro', 'rw', 'fast'];
      expectWords(ins, 1, allowed, [['ro', 'rw']]);
      const i = pinCursor.i++;
      const va = vaIndex(b, a0, ins);
      b.pins[i] = { ...b.pins[i]!, va, mm };
      return { ...blank(ins, 'pin', seq), va, pin: i };
    }
    case 'unpin': case 'put': {
      const i = pinIndex(b, a0, ins);
      const isPin = b.pins[i]!.foll_pin;
      if (isPin !== (op === 'unpin')) err('invalid-scenario', a0!, `${b.pins[i]!.name} is a ${isPin ? 'FOLL_PIN pin: release it with unpin' : 'FOLL_GET reference: release it with put'}`);
      return { ...blank(ins, 'unpin', seq), pin: i, va: b.pins[i]!.va };
    }
    case 'dma-read': case 'dma-write': {
      const i = pinIndex(b, a0, ins);
      return { ...blank(ins, op, seq), pin: i, va: b.pins[i]!.va };
    }
    case 'collapse': { // khugepaged: collapse P A (model/ops/khugepaged.ts)
      expectWords(ins, 2, [], []);
      return { ...blank(ins, 'collapse', seq), target: processIndex(b, a0, ins), va: collapseRegion(b, ins.args[1], ins), span: L.THP_NR };
    }
    case 'merge': { // ksmd: merge P VA Q VB
      expectWords(ins, 4, [], []);
      return { ...blank(ins, 'ksm-merge', seq), target: processIndex(b, a0, ins), va: vaIndex(b, ins.args[1], ins), target2: processIndex(b, ins.args[2], ins), va2: vaIndex(b, ins.args[3], ins) };
    }
    case 'register': case 'unregister': // uprobes: register P VA, or register any (model/ops/uprobes.ts)
      return daemonTargetInstr(b, ins, op === 'register' ? 'uprobe-register' : 'uprobe-unregister', seq);
    case 'mremap': { // mremap VA NEWVA [dontunmap]
      const w = expectWords(ins, 2, ['dontunmap'], []);
      return { ...blank(ins, 'mremap', seq), va: vaIndex(b, a0, ins), va2: vaIndex(b, ins.args[1], ins), dontunmap: w.includes('dontunmap') };
    }
    case 'uffd-move': { // uffd-move VA DSTVA [to P]
      const w = ins.args.slice(2);
      if (w.length > 0 && (w[0]!.text !== 'to' || w.length !== 2)) err('syntax', w[0]!, `expected "to PROCESS" (the cross-mm proposal) or nothing after "uffd-move VA DSTVA"`);
      const to = w.length === 2 ? processIndex(b, w[1], ins) : mm;
      return { ...blank(ins, 'uffd-move', seq), va: vaIndex(b, a0, ins), va2: vaIndex(b, ins.args[1], ins), target: to };
    }
    case 'pageout': case 'migrate': case 'scan': // reclaim / migration / numa: OP P VA, or OP any (model/ops/reclaim.ts, migrate.ts, numa.ts)
      return daemonTargetInstr(b, ins, op === 'scan' ? 'numa-scan' : op, seq);
    case 'join': {
      if (seq >= 0) err('invalid-scenario', ins.op, `"join" cannot be a setup instruction (setup already runs in order)`);
      if (!a0) err('syntax', ins.op, `"join" needs the actor to wait for, like P0.T1`);
      expectWords(ins, 1, [], []);
      return { ...blank(ins, 'wait', seq), event: b.events.indexOf(joinEvent(a0.text)) };
    }
    default: { // signal, wait
      if (!a0) err('syntax', ins.op, `"${op}" needs an event name`);
      return { ...blank(ins, op as OpKind, seq), event: b.events.indexOf(a0.text) };
    }
  }
}

/** `pageout P VA` / `migrate P VA` / `scan P VA`: the page a daemon acts on, by process and VA; `any` = every target. */
function daemonTargetInstr(b: Builder, ins: Instr, kind: OpKind, seq: number): InstrConfig {
  const make = (target: number, va: number, text: string): InstrConfig => ({ ...blank(ins, kind, seq), target, va, text });
  const any = anyTargets(b, ins, make);
  if (any) {
    expectWords(ins, 1, [], []);
    return any;
  }
  expectWords(ins, 2, [], []);
  return make(processIndex(b, ins.args[0], ins), vaIndex(b, ins.args[1], ins), blank(ins, kind, seq).text);
}

function actorEntry(b: Builder, actor: Word) {
  const mm = processOf(b, actor);
  let e = b.actors.get(actor.text);
  if (!e) {
    e = { mm, program: [], pos: actor.pos };
    b.actors.set(actor.text, e);
  }
  return e;
}

/**
 * Check every name of a parsed scenario against the model and build what
 * the checker runs. Errors are PincowErrors (`unknown-name`,
 * `invalid-scenario`, `syntax`) with the file:line:col of the word.
 */
export function compileScenario(ast: ScenarioAst): CompiledScenario {
  const b: Builder = { processes: ['P0'], vas: [], pins: [], events: [], actors: new Map(), setupSeq: 0, thps: [] };
  const blocks = [...ast.setup.map((l) => ({ ...l, setup: true })), ...ast.actors.map((a) => ({ ...a, setup: false }))];
  for (const blk of blocks) for (const ins of blk.instrs) declare(b, ins, processOf(b, blk.actor));
  const pinCursor = { i: 0 };
  let seq = 0;
  for (const blk of blocks) {
    const e = actorEntry(b, blk.actor);
    for (const ins of blk.instrs) e.program.push(compileInstr(b, ins, blk.actor, e.mm, blk.setup ? seq++ : -1, pinCursor));
  }
  checkShape(blocks);
  refuseThpUnaware(b, [...b.actors.values()].map((a) => ({ name: '', mm: a.mm, program: a.program })), ast.file);
  addJoinSignals(b, blocks);
  const forked = new Set(b.actors.size ? [...b.actors.values()].flatMap((a) => a.program.filter((i) => i.kind === 'fork').map((i) => i.child)) : []);
  b.processes.forEach((p, i) => {
    if (i > 0 && !forked.has(i)) {
      const at = [...b.actors.entries()].find(([, a]) => a.mm === i);
      throw new PincowError('invalid-scenario', `process ${p} has a program but no "fork ${p}" creates it`, at?.[1].pos);
    }
  });
  if (b.actors.size === 0) throw new PincowError('invalid-scenario', 'the scenario has no actor programs', ast.name.pos);
  if (b.events.length > 8) throw new PincowError('invalid-scenario', 'at most 8 distinct events are supported', ast.name.pos);
  const actors: ActorConfig[] = [...b.actors.entries()].map(([name, a]) => ({ name, mm: a.mm, program: a.program }));
  const nVa = Math.max(1, b.vas.length);
  // Each UFFDIO_COPY may allocate one more page.
  const uffdCopies = actors.reduce((n, a) => n + a.program.filter((i) => i.kind === 'uffd-copy').length, 0);
  checkUffdBounds(actors, ast);
  // Each uprobes register/unregister may allocate one page (the copy, or the COW of the rewrite).
  const uprobeCopies = actors.reduce((n, a) => n + a.program.filter((i) => i.kind === 'uprobe-register' || i.kind === 'uprobe-unregister').length, 0);
  // Each migration allocates its new page (the old one is freed only after).
  const migrations = actors.reduce((n, a) => n + a.program.filter((i) => i.kind === 'migrate').length, 0);
  const frames = Math.min(250, 2 + 2 * b.processes.length * nVa + b.pins.length + actors.length + uffdCopies + uprobeCopies + migrations);
  // Shared mappings: one page-cache frame per shared VA after the small frames (model/shmem.ts).
  const shared = sharedConfig(actors, b.vas, frames, ast.file);
  const cfg: ModelConfig = {
    processes: b.processes, vas: b.vas.length ? b.vas : ['A'], pins: b.pins.map(({ pos: _pos, ...p }) => p),
    events: b.events, actors, frames, setupLength: seq,
    ...kernelSwitches(ast),
    ...thpConfig(b, b.processes.length, actors.reduce((n, a) => n + a.program.filter((i) => i.kind === 'collapse').length, 0), frames + (shared.shared?.length ?? 0)),
    ...shared,
  };
  const expects = compileExpects(ast);
  for (const w of ast.check ?? []) {
    if (!INVARIANT_NAMES.includes(w.text)) err('unknown-name', w, `unknown invariant "${w.text}"; expected one of ${INVARIANT_NAMES.join(', ')}${didYouMean(w.text, INVARIANT_NAMES)}`);
  }
  const named = ast.check?.map((w) => w.text) ?? [...new Set(expects.map((e) => e.invariant))];
  const s: CompiledScenario = {
    name: ast.name.text, title: ast.title ?? '', refs: ast.refs.map((r) => r.text), file: ast.file, cfg,
    invariants: named.length ? named : INVARIANT_NAMES, expects, depth: ast.depth,
  };
  checkContradictions(s, ast);
  return s;
}
