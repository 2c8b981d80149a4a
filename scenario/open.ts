/**
 * Open mode (`pincow explore`, docs/open-mode.md): instead of one scenario,
 * every program of up to N operations per actor over an alphabet of
 * operations. Built here directly as a ModelConfig (no scenario text):
 * each actor's program is N copies of one choice instruction (config.ts
 * `alts`) whose alternatives are the alphabet instantiated on every VA and
 * pin slot, and the actor may stop before any of them (`mayStop`).
 *
 * The shape, and why (docs/open-mode.md says more):
 * - processes P0..P(P-1): P0 exists, with K private anonymous VAs mmapped
 *   read/write and (setup `written`, the default) written once in setup, so
 *   every page starts present, writable and exclusive — the starting point
 *   of every bug of reference §C.2. The others are process slots that
 *   `fork` fills in order; each child runs its own up-to-N program.
 * - threads: P0 has `threads` threads (gup-fast-vs-fork needs two), each
 *   with its own program; a forked child has one thread, as fork gives it.
 * - pin slots: one per (thread, VA, pin kind in the alphabet); `pin` is
 *   offered when the slot holds nothing, `unpin` and DMA when it is held;
 *   a slot is reused after its release.
 * - the device: one actor doing DMA through held pins (writes only through
 *   FOLL_WRITE pins: a device does not write through a R/O pin).
 * - kernel daemons (reclaim, migration, NUMA, uprobes, ksmd): optional
 *   members, one actor each, every operation picking any (process, VA).
 */
import { createHash } from 'node:crypto';
import type { ActorConfig, InstrConfig, ModelConfig, OpKind, PinConfig } from '../model/config.js';
import { didYouMean, PincowError } from '../model/errors.js';
import * as L from '../model/layout.js';

export type OpenSetup = 'written' | 'mapped';

export interface OpenSpec {
  /** processes: P0 plus P-1 slots that fork fills */
  readonly procs: number;
  /** anonymous pages (VAs A, B, ...) of P0 */
  readonly pages: number;
  /** operations per actor, at most */
  readonly maxOps: number;
  /** the alphabet: OPEN_OPS names, in table order */
  readonly ops: readonly string[];
  /** threads of P0 */
  readonly threads: number;
  /** setup: VAs mmapped and written once (`written`), or only mmapped */
  readonly setup: OpenSetup;
}

/** What the builder knows while instantiating the alphabet for one actor. */
export interface OpenActor {
  readonly name: string;
  /** the actor's process, -1 for non-thread actors */
  readonly mm: number;
}

export interface OpenBuild {
  readonly spec: OpenSpec;
  readonly processes: readonly string[];
  readonly vas: readonly string[];
  readonly pins: readonly (PinConfig & { readonly owner: string; readonly kind: string })[];
}

/** One member of the alphabet: who runs it and its alternatives for an actor. */
export interface OpenOp {
  readonly name: string;
  /** `thread`, `device`, or a kernel daemon's actor name (scenario/compile.ts NON_THREAD_ACTORS) */
  readonly who: string;
  /** in the default alphabet (`--ops` not given) */
  readonly inDefault: boolean;
  /** the scenario syntax of one instance, for `pincow list ops` */
  readonly syntax: string;
  readonly meaning: string;
  /** the alternatives this op offers `actor` (all with setupSeq -1) */
  alts(b: OpenBuild, actor: OpenActor): InstrConfig[];
}

/** A plain main-phase instruction; `text` is what traces show. */
export function openInstr(kind: OpKind, text: string, fields: Partial<InstrConfig> = {}): InstrConfig {
  return { kind, va: 0, child: 0, pin: 0, event: 0, writable: false, vmaFlags: 0, setupSeq: -1, source: 'open', text, ...fields };
}

const perVa = (b: OpenBuild, make: (va: number, name: string) => InstrConfig): InstrConfig[] => b.vas.map((name, va) => make(va, name));

/** The pin kinds: FOLL_PIN/FOLL_GET x R/O or R/W x slow GUP or GUP-fast; the op name is the slot kind. */
const PIN_KINDS = [
  { name: 'pin-ro', foll_pin: true, write: false, fast: false },
  { name: 'pin-rw', foll_pin: true, write: true, fast: false },
  { name: 'pin-ro-fast', foll_pin: true, write: false, fast: true },
  { name: 'pin-rw-fast', foll_pin: true, write: true, fast: true },
  { name: 'get-ro', foll_pin: false, write: false, fast: false },
  { name: 'get-rw', foll_pin: false, write: true, fast: false },
  { name: 'get-ro-fast', foll_pin: false, write: false, fast: true },
  { name: 'get-rw-fast', foll_pin: false, write: true, fast: true },
] as const;

function pinOp(k: (typeof PIN_KINDS)[number], inDefault: boolean): OpenOp {
  const word = k.foll_pin ? 'pin' : 'get';
  const text = (va: string): string => `${word} ${va} ${k.write ? 'rw' : 'ro'}${k.fast ? ' fast' : ''}`;
  return {
    name: k.name, who: 'thread', inDefault, syntax: text('VA'),
    meaning: `${word}_user_pages${k.fast ? '_fast' : ''}(${k.foll_pin ? 'FOLL_PIN' : 'FOLL_GET'}${k.write ? '|FOLL_WRITE' : ''}), short-term, into slot THREAD/VA/${k.name.replace(/^pin-/, '')}`,
    alts: (b, a) => b.pins.flatMap((p, i) => (p.owner === a.name && p.kind === k.name
      ? [openInstr('pin', text(b.vas[p.va]!), { va: p.va, pin: i, needs: 'pin-free' })] : [])),
  };
}

/**
 * The alphabet, in canonical order. Kernel daemons join it as rows with
 * their actor name as `who` (inDefault false), when the model has them.
 */
export const OPEN_OPS: readonly OpenOp[] = [
  { name: 'read', who: 'thread', inDefault: true, syntax: 'read VA', meaning: 'user load (faults in the zeropage on an empty PTE)',
    alts: (b) => perVa(b, (va, n) => openInstr('read', `read ${n}`, { va })) },
  { name: 'write', who: 'thread', inDefault: true, syntax: 'write VA', meaning: 'user store (anonymous or write fault, COW)',
    alts: (b) => perVa(b, (va, n) => openInstr('write', `write ${n}`, { va })) },
  // GUP-fast and FOLL_GET are members but not defaults: see DEFAULT_OPEN_OPS.
  ...PIN_KINDS.map((k) => pinOp(k, k.foll_pin && !k.fast)),
  { name: 'unpin', who: 'thread', inDefault: true, syntax: 'unpin PIN | put PIN', meaning: 'unpin_user_page / put_page of a pin or reference the thread holds',
    alts: (b, a) => b.pins.flatMap((p, i) => (p.owner === a.name ? [openInstr('unpin', `${p.foll_pin ? 'unpin' : 'put'} ${p.name}`, { va: p.va, pin: i, needs: 'pin-held' })] : [])) },
  { name: 'fork', who: 'thread', inDefault: true, syntax: 'fork CHILD', meaning: 'fork() into the next free process slot',
    alts: (b, a) => b.processes.flatMap((p, m) => (m > 0 && m !== a.mm ? [openInstr('fork', `fork ${p}`, { child: m, needs: 'next-child' })] : [])) },
  { name: 'exit', who: 'thread', inDefault: true, syntax: 'exit', meaning: 'exit_group(): exit_mmap zaps every VMA; pins stay on their pages',
    alts: () => [openInstr('exit', 'exit')] },
  { name: 'dontneed', who: 'thread', inDefault: true, syntax: 'madvise VA dontneed', meaning: 'MADV_DONTNEED: zap the PTE (no pin check)',
    alts: (b) => perVa(b, (va, n) => openInstr('dontneed', `madvise ${n} dontneed`, { va })) },
  { name: 'dontfork', who: 'thread', inDefault: true, syntax: 'madvise VA dontfork', meaning: 'MADV_DONTFORK: VM_DONTCOPY, fork skips the VMA',
    alts: (b) => perVa(b, (va, n) => openInstr('dontfork', `madvise ${n} dontfork`, { va })) },
  { name: 'dofork', who: 'thread', inDefault: false, syntax: 'madvise VA dofork', meaning: 'MADV_DOFORK: clear VM_DONTCOPY',
    alts: (b) => perVa(b, (va, n) => openInstr('dofork', `madvise ${n} dofork`, { va })) },
  { name: 'wipeonfork', who: 'thread', inDefault: false, syntax: 'madvise VA wipeonfork', meaning: 'MADV_WIPEONFORK: the child gets an empty VMA',
    alts: (b) => perVa(b, (va, n) => openInstr('wipeonfork', `madvise ${n} wipeonfork`, { va })) },
  { name: 'mprotect-ro', who: 'thread', inDefault: true, syntax: 'mprotect VA ro', meaning: 'mprotect(PROT_READ): write-protect the PTE',
    alts: (b) => perVa(b, (va, n) => openInstr('mprotect', `mprotect ${n} ro`, { va, writable: false })) },
  { name: 'mprotect-rw', who: 'thread', inDefault: true, syntax: 'mprotect VA rw', meaning: 'mprotect(PROT_READ|PROT_WRITE): VM_WRITE (6.0+: PAE pages writable at once)',
    alts: (b) => perVa(b, (va, n) => openInstr('mprotect', `mprotect ${n} rw`, { va, writable: true })) },
  { name: 'munmap', who: 'thread', inDefault: false, syntax: 'munmap VA', meaning: 'munmap(): the VMA goes (nothing maps it again)',
    alts: (b) => perVa(b, (va, n) => openInstr('munmap', `munmap ${n}`, { va })) },
  { name: 'dma-write', who: 'device', inDefault: false, syntax: 'dma-write PIN', meaning: 'device DMA write through a held FOLL_WRITE pin or reference',
    alts: (b) => b.pins.flatMap((p, i) => (p.write ? [openInstr('dma-write', `dma-write ${p.name}`, { va: p.va, pin: i, needs: 'pin-held' })] : [])) },
  { name: 'dma-read', who: 'device', inDefault: false, syntax: 'dma-read PIN', meaning: 'device DMA read through a held pin or reference',
    alts: (b) => b.pins.flatMap((p, i) => [openInstr('dma-read', `dma-read ${p.name}`, { va: p.va, pin: i, needs: 'pin-held' })]) },
  // Kernel daemons: each is one actor with its own up-to-N program, picking any page (`any`, scenario/compile.ts anyTargets).
  daemonOp('pageout', 'reclaim', 'pageout', 'reclaim: shrink_folio_list of the page at (P, VA): add_to_swap, try_to_unmap, pageout'),
  daemonOp('migrate', 'migration', 'migrate', 'migration: migrate_pages of the page at (P, VA): unmap, copy, remap'),
  daemonOp('numa-scan', 'numa', 'scan', 'NUMA balancing: change_prot_numa makes (P, VA) PROT_NONE; the next access takes the hint fault'),
  daemonOp('uprobe-register', 'uprobes', 'register', 'uprobes: uprobe_write_opcode at (P, VA) (__replace_page up to 6.15)'),
  daemonOp('uprobe-unregister', 'uprobes', 'unregister', 'uprobes: uprobe_write_opcode restoring the original page at (P, VA)'),
  { name: 'ksm-merge', who: 'ksmd', inDefault: false, syntax: 'merge P VA Q VB', meaning: 'ksmd: try_to_merge_two_pages of two pages of any (P, VA) != (Q, VB)',
    alts: (b) => targets(b).flatMap(([m, va]) => targets(b).flatMap(([m2, va2]) => (m === m2 && va === va2 ? []
      : [openInstr('ksm-merge', `merge ${b.processes[m]} ${b.vas[va]} ${b.processes[m2]} ${b.vas[va2]}`, { target: m, va, target2: m2, va2 })]))) },
];

/** Every (process, VA): what a daemon may pick. */
function targets(b: OpenBuild): [number, number][] {
  return b.processes.flatMap((_p, m) => b.vas.map((_v, va): [number, number] => [m, va]));
}

/** A daemon operation on one page named by process and VA (`pageout P VA`), offered on every target. */
function daemonOp(name: string, who: string, word: string, meaning: string): OpenOp {
  const kind = name as OpKind; // the open-mode name is the OpKind
  return {
    name, who, inDefault: false, syntax: `${word} P VA`, meaning,
    alts: (b) => targets(b).map(([m, va]) => openInstr(kind, `${word} ${b.processes[m]} ${b.vas[va]}`, { target: m, va })),
  };
}

export const OPEN_OP_NAMES: readonly string[] = OPEN_OPS.map((o) => o.name);
/**
 * The default alphabet: what finishes `--procs 2 --pages 2 --max-ops 3` in
 * seconds on the full graph. Left out, by measurement (docs/open-mode.md):
 * GUP-fast (x4 states at that size; its lockless races are with other
 * threads of the same mm, so it matters with --threads 2), the device's DMA
 * (x3.5; only no-missed-cow reads what it writes, and the same bugs show
 * as pinned-not-cow-shared without it), FOLL_GET, dofork, wipeonfork and
 * munmap. Name them in --ops (`--ops default,pin-rw-fast`, `--ops all`).
 */
export const DEFAULT_OPEN_OPS: readonly string[] = OPEN_OPS.filter((o) => o.inDefault).map((o) => o.name);

/** Names that stand for several ops in `--ops`. */
export const OPEN_OP_GROUPS: Readonly<Record<string, readonly string[]>> = {
  default: DEFAULT_OPEN_OPS,
  all: OPEN_OP_NAMES,
  pin: ['pin-ro', 'pin-rw', 'pin-ro-fast', 'pin-rw-fast'],
  fast: ['pin-ro-fast', 'pin-rw-fast'],
  get: ['get-ro', 'get-rw', 'get-ro-fast', 'get-rw-fast'],
  mprotect: ['mprotect-ro', 'mprotect-rw'],
  madvise: ['dontneed', 'dontfork', 'dofork', 'wipeonfork'],
  dma: ['dma-write', 'dma-read'],
  daemons: ['pageout', 'migrate', 'numa-scan', 'uprobe-register', 'uprobe-unregister', 'ksm-merge'],
};

/** Bounds of the options (the packed state keeps counters in bytes; beyond these nothing finishes anyway). */
export const OPEN_LIMITS = { procs: 8, pages: 8, maxOps: 50, threads: 4 } as const;

export const OPEN_DEFAULTS = { procs: 2, pages: 1, maxOps: 2, threads: 1, setup: 'written' } as const;

function bad(msg: string): never {
  throw new PincowError('bad-option', msg);
}

/** `--ops` words (comma or space separated; groups expanded) to alphabet names in canonical order. */
export function parseOps(words: readonly string[]): string[] {
  const chosen = new Set<string>();
  const accepted = [...OPEN_OP_NAMES, ...Object.keys(OPEN_OP_GROUPS)];
  for (const w of words.flatMap((x) => x.split(/[\s,]+/)).filter((x) => x !== '')) {
    const group = Object.hasOwn(OPEN_OP_GROUPS, w) ? OPEN_OP_GROUPS[w] : undefined;
    if (group) for (const g of group) chosen.add(g);
    else if (OPEN_OP_NAMES.includes(w)) chosen.add(w);
    else bad(`unknown op "${w}" in --ops; expected a comma list of ${OPEN_OP_NAMES.join(', ')} or the groups ${Object.keys(OPEN_OP_GROUPS).join(', ')} (pincow list ops)${didYouMean(w, accepted)}`);
  }
  const ops = OPEN_OP_NAMES.filter((n) => chosen.has(n));
  if (!ops.some((n) => OPEN_OPS.find((o) => o.name === n)!.who === 'thread')) {
    bad(`--ops ${words.join(',') || '(empty)'} gives the threads nothing to do; name at least one thread op (${OPEN_OPS.filter((o) => o.who === 'thread').map((o) => o.name).join(', ')})`);
  }
  return ops;
}

/** A count option, from a number or command-line text (`2`; not `2.5`, `1e3`, `x`, or a repeated option). */
function intIn(what: string, x: unknown, lo: number, hi: number): number {
  if (Array.isArray(x)) bad(`--${what} is given ${x.length} times; give it once`);
  const n = typeof x === 'string' && /^\s*\d+\s*$/.test(x) ? Number(x) : x;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < lo || n > hi) bad(`--${what} must be an integer from ${lo} to ${hi}, found ${JSON.stringify(x) ?? String(x)}`);
  return n;
}

/** Validate raw option values into a spec (defaults: OPEN_DEFAULTS, DEFAULT_OPEN_OPS). */
export function openSpec(raw: { procs?: unknown; pages?: unknown; maxOps?: unknown; ops?: readonly string[] | undefined; threads?: unknown; setup?: unknown }): OpenSpec {
  const setup = raw.setup ?? OPEN_DEFAULTS.setup;
  if (setup !== 'written' && setup !== 'mapped') bad(`--setup must be written or mapped, found ${String(setup)}`);
  return {
    procs: intIn('procs', raw.procs ?? OPEN_DEFAULTS.procs, 1, OPEN_LIMITS.procs),
    pages: intIn('pages', raw.pages ?? OPEN_DEFAULTS.pages, 1, OPEN_LIMITS.pages),
    maxOps: intIn('max-ops', raw.maxOps ?? OPEN_DEFAULTS.maxOps, 1, OPEN_LIMITS.maxOps),
    threads: intIn('threads', raw.threads ?? OPEN_DEFAULTS.threads, 1, OPEN_LIMITS.threads),
    setup,
    ops: raw.ops === undefined ? [...DEFAULT_OPEN_OPS] : parseOps(raw.ops),
  };
}

/** The canonical command line of a spec (without --kernel): what traces print and replay reads back. */
export function openCommand(s: OpenSpec): string {
  const parts = [`explore --procs ${s.procs} --pages ${s.pages} --max-ops ${s.maxOps}`];
  if (s.threads !== OPEN_DEFAULTS.threads) parts.push(`--threads ${s.threads}`);
  if (s.setup !== OPEN_DEFAULTS.setup) parts.push(`--setup ${s.setup}`);
  if (s.ops.join(',') !== DEFAULT_OPEN_OPS.join(',')) parts.push(`--ops ${opsWords(s.ops).join(',')}`);
  return parts.join(' ');
}

/** An alphabet in few words: `all`, `default` plus extras, or the list itself. */
function opsWords(ops: readonly string[]): string[] {
  if (ops.length === OPEN_OP_NAMES.length) return ['all'];
  if (DEFAULT_OPEN_OPS.every((o) => ops.includes(o))) return ['default', ...ops.filter((o) => !DEFAULT_OPEN_OPS.includes(o))];
  return [...ops];
}

/** Is this SCENARIO argument an open-mode command (as ITF traces and vitest tests name it)? */
export function isOpenCommand(arg: string): boolean {
  return /^explore(\s|$)/.test(arg);
}

/** Parse openCommand()'s output (or any `explore --opt value ...` line) back into a spec. */
export function parseOpenCommand(text: string): OpenSpec {
  const words = text.trim().split(/\s+/);
  if (words[0] !== 'explore') bad(`"${text}" is not an open-mode command: it starts with "explore"`);
  const raw: Record<string, string> = {};
  const known = ['procs', 'pages', 'max-ops', 'threads', 'setup', 'ops'];
  for (let i = 1; i < words.length; i += 2) {
    const k = words[i]!.replace(/^--/, '');
    if (!words[i]!.startsWith('--') || !known.includes(k) || words[i + 1] === undefined) bad(`"${text}": expected --${known.join(', --')} each with a value, found "${words[i]}"`);
    raw[k] = words[i + 1]!;
  }
  return openSpec({ procs: raw['procs'], pages: raw['pages'], maxOps: raw['max-ops'], threads: raw['threads'], setup: raw['setup'], ops: raw['ops'] === undefined ? undefined : [raw['ops']] });
}

/** A short name for headers and Observation lines: `open-p2-k2-n3` (+`-t2`, `-mapped`, `-ops:...`). */
export function openName(s: OpenSpec): string {
  let n = `open-p${s.procs}-k${s.pages}-n${s.maxOps}`;
  if (s.threads !== 1) n += `-t${s.threads}`;
  if (s.setup !== 'written') n += `-${s.setup}`;
  if (s.ops.join(',') !== DEFAULT_OPEN_OPS.join(',')) n += `-${opsWords(s.ops).join('+')}`;
  return n;
}

function vaName(i: number): string {
  return i < 26 ? String.fromCharCode(65 + i) : `V${i}`;
}

/** The thread actors: P0's threads, then one per child slot. */
function threadActors(s: OpenSpec, processes: readonly string[]): OpenActor[] {
  const p0 = Array.from({ length: s.threads }, (_, t) => ({ name: t === 0 ? 'P0' : `P0.T${t}`, mm: 0 }));
  return [...p0, ...processes.slice(1).map((name, i) => ({ name, mm: i + 1 }))];
}

/** One slot per (thread, VA, pin kind of the alphabet). */
function pinSlots(s: OpenSpec, threads: readonly OpenActor[], vas: readonly string[]): OpenBuild['pins'] {
  const kinds = PIN_KINDS.filter((k) => s.ops.includes(k.name));
  return threads.flatMap((t) => vas.flatMap((va, i) => kinds.map((k) => ({
    name: `${t.name}/${va}/${k.name.replace(/^pin-/, '')}`, owner: t.name, kind: k.name,
    mm: t.mm, va: i, foll_pin: k.foll_pin, write: k.write, fast: k.fast, longterm: false,
  }))));
}

function setupProgram(s: OpenSpec, vas: readonly string[]): InstrConfig[] {
  const out: InstrConfig[] = [];
  vas.forEach((name, va) => {
    out.push(openInstr('mmap', `mmap ${name} anon`, { va, vmaFlags: L.VMA_WRITE, setupSeq: out.length, source: 'setup' }));
    if (s.setup === 'written') out.push(openInstr('write', `write ${name}`, { va, setupSeq: out.length, source: 'setup' }));
  });
  return out;
}

/** The actor's up-to-N program: N copies of one choice among its alternatives (none: no program). */
function choiceProgram(s: OpenSpec, alts: readonly InstrConfig[]): InstrConfig[] {
  if (alts.length === 0) return [];
  const choice = openInstr(alts[0]!.kind, `one of ${alts.length} operations`, { alts });
  return Array.from({ length: s.maxOps }, () => choice);
}

/** The model configuration of an open-mode spec. */
export function openConfig(s: OpenSpec): ModelConfig {
  const processes = Array.from({ length: s.procs }, (_, i) => `P${i}`);
  const vas = Array.from({ length: s.pages }, (_, i) => vaName(i));
  const threads = threadActors(s, processes);
  const pins = pinSlots(s, threads, vas);
  const b: OpenBuild = { spec: s, processes, vas, pins };
  const ops = OPEN_OPS.filter((o) => s.ops.includes(o.name));
  const altsOf = (a: OpenActor, who: string): InstrConfig[] => ops.filter((o) => o.who === who).flatMap((o) => o.alts(b, a));
  const actors: ActorConfig[] = threads.map((t) => ({
    name: t.name, mm: t.mm, mayStop: true,
    program: [...(t.name === 'P0' ? setupProgram(s, vas) : []), ...choiceProgram(s, altsOf(t, 'thread'))],
  }));
  const others = [...new Set(ops.map((o) => o.who).filter((w) => w !== 'thread'))];
  for (const who of others) {
    const program = choiceProgram(s, altsOf({ name: who, mm: -1 }, who));
    if (program.length) actors.push({ name: who, mm: -1, mayStop: true, program });
  }
  // Every allocated frame has a holder: a PTE, a pin slot, or an actor's transient A_NEW/A_HOLD;
  // daemons may keep a page in the swapcache or hand out a copy besides (a margin of one per PTE).
  const daemons = others.some((w) => w !== 'device');
  const frames = Math.min(250, 2 + s.procs * s.pages * (daemons ? 2 : 1) + pins.length + 2 * actors.length);
  return {
    processes, vas, pins: pins.map(({ owner: _o, kind: _k, ...p }) => p), events: [], actors, frames,
    setupLength: actors[0]!.program.filter((i) => i.setupSeq >= 0).length,
  };
}

/** A content hash of the spec and the builder's version (ITF traces check it on replay). */
export const OPEN_BUILDER_VERSION = 1;

export function openHash(s: OpenSpec): string {
  return createHash('sha256').update(`open-mode v${OPEN_BUILDER_VERSION}\n${openCommand(s)}`).digest('hex').slice(0, 12);
}
