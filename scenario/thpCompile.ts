/**
 * The scenario language's THP names (docs/scenario-language.md, "THP"):
 * `mmap A thp` declares a THP region A of THP_NR subpage VAs `A.0`,
 * `A.1`, ...; region-level operations (mmap, munmap, madvise, mprotect,
 * khugepaged's collapse) take the region name for the whole PMD range or a
 * subpage name for one page of it; accesses and GUP take a subpage.
 * Used by compile.ts; kept apart so that file stays about the language as
 * a whole.
 */
import type { ActorConfig, InstrConfig, ModelConfig, OpKind, ThpConfig } from '../model/config.js';
import { PincowError } from '../model/errors.js';
import type { SourcePos } from '../model/errors.js';
import * as L from '../model/layout.js';
import type { Instr, Word } from './ast.js';

interface Names {
  readonly vas: string[];
  readonly thps: ThpConfig[];
}

const fail = (code: 'syntax' | 'invalid-scenario', w: { pos: SourcePos }, msg: string): never => {
  throw new PincowError(code, msg, w.pos);
};

/** The subpage VA names of region `name`: `A.0`, `A.1`, ... */
export function subpageNames(name: string): string[] {
  return Array.from({ length: L.THP_NR }, (_, i) => `${name}.${i}`);
}

export function regionNamed(b: Names, name: string): ThpConfig | undefined {
  return b.thps.find((t) => t.name === name);
}

/**
 * Pass 1 for `mmap A ... thp`: declare region A and its subpage VAs
 * (consecutive, so the region is THP_NR adjacent virtual pages). True if
 * the instruction is a THP mmap (then the caller declares nothing else).
 */
export function declareThp(b: Names, ins: Instr): boolean {
  const a0 = ins.args[0];
  if (ins.op.text !== 'mmap' || !a0 || !ins.args.slice(1).some((w) => w.text === 'thp')) return false;
  if (regionNamed(b, a0.text)) return true;
  if (b.vas.includes(a0.text)) fail('invalid-scenario', a0, `"${a0.text}" is already a small-page mapping: a THP region needs a name of its own`);
  if (/\.\d+$/.test(a0.text)) fail('invalid-scenario', a0, `"${a0.text}" looks like a subpage name: name the THP region itself, like "mmap A thp" (its subpages are A.0..A.${L.THP_NR - 1})`);
  b.thps.push({ name: a0.text, va: b.vas.length });
  b.vas.push(...subpageNames(a0.text));
  return true;
}

/** An access names a region instead of one of its subpages: the message. */
export function regionHint(b: Names, w: Word, op: string): void {
  if (regionNamed(b, w.text)) {
    fail('invalid-scenario', w, `"${w.text}" is a THP region: "${op}" takes one of its subpages, ${subpageNames(w.text).join(' or ')}`);
  }
}

/**
 * The operand of a region-level operation: a THP region (its first VA,
 * span THP_NR) or any VA (span 1).
 */
export function vaSpan(b: Names, w: Word | undefined, ins: Instr, vaIndex: (w: Word | undefined, ins: Instr) => number): Pick<InstrConfig, 'va' | 'span'> {
  const t = w ? regionNamed(b, w.text) : undefined;
  if (t) return { va: t.va, span: L.THP_NR };
  return { va: vaIndex(w, ins) };
}

/**
 * The model configuration's THP part: the regions, and large-folio slots
 * for one THP per (process, region) plus one per collapse, with one to
 * spare for a fault racing another (the loser's folio lives until it
 * frees it). Empty without THP, so other configurations are unchanged.
 */
export function thpConfig(b: Names, processes: number, collapses: number, smallFrames: number): Pick<ModelConfig, 'thps' | 'largeFolios'> {
  if (b.thps.length === 0) return {};
  // Page frame numbers are bytes and 0xff is NO_PFN: every frame must stay below it.
  const room = Math.floor((L.NO_PFN - smallFrames) / L.THP_NR);
  return { thps: b.thps, largeFolios: Math.min(room, b.thps.length * (processes + 1) + collapses) };
}

/** `collapse P A` (khugepaged): the target process is resolved by the caller; the region or a subpage of it. */
export function collapseRegion(b: Names, w: Word | undefined, ins: Instr): number {
  if (!w) return fail('syntax', ins.op, `"collapse" needs a process and a THP region, like "collapse P0 A"`);
  const t = regionNamed(b, w.text) ?? b.thps.find((r) => subpageNames(r.name).includes(w.text));
  if (!t) return fail('invalid-scenario', w, `"${w.text}" is not a THP region: collapse works on a region created by "mmap NAME thp"${b.thps.length ? ` (${b.thps.map((r) => r.name).join(', ')})` : ''}`);
  return t.va;
}

/**
 * Operations whose kernel paths the model has for small pages only: on a
 * THP region they would treat a subpage of a large folio as a small page
 * (its swap cache flag, its isolation, its rmap walk), and the verdict
 * would mean nothing. Until they learn large folios, a scenario may not
 * aim them at a THP region (nor use `any`, which may pick one).
 */
const THP_UNAWARE: ReadonlySet<OpKind> = new Set<OpKind>([
  'uffd-copy', 'uffd-zeropage', 'ksm-merge', 'uprobe-register', 'uprobe-unregister', 'mremap', 'uffd-move', 'pageout', 'migrate', 'numa-scan',
]);

/** Refuse THP-unaware operations aimed at a THP region (see THP_UNAWARE), with the instruction's position. */
export function refuseThpUnaware(b: Names, actors: readonly ActorConfig[], file: string): void {
  if (b.thps.length === 0) return;
  const inRegion = (va: number | undefined): ThpConfig | undefined =>
    va === undefined ? undefined : b.thps.find((t) => va >= t.va && va < t.va + L.THP_NR);
  for (const a of actors) {
    for (const i of a.program) {
      for (const x of i.alts ?? [i]) {
        if (!THP_UNAWARE.has(x.kind)) continue;
        const t = i.alts ? b.thps[0] : inRegion(x.va) ?? inRegion(x.va2);
        if (!t) continue;
        const [line, col] = i.source.split(':').map(Number);
        throw new PincowError('invalid-scenario',
          `"${i.text}" ${i.alts ? 'may pick' : 'names'} a subpage of THP region ${t.name}, and this operation handles small pages only in the model (model/thp.ts); aim it at a small-page mapping`,
          { file, line: line ?? 1, col: col ?? 1 });
      }
    }
  }
}
