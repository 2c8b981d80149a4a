/**
 * What a step changed, in the words of an LKML race diagram:
 * `P1:A none -> page#2 RW`, `page#1 refcount 1 -> 1025`, `PAE cleared`,
 * `MMF_HAS_PINNED set`. Only differences are listed.
 */
import type { MmModel } from '../model/mmModel.js';
import * as L from '../model/layout.js';
import type { StateView } from '../model/view.js';

function pteText(v: StateView, m: number, va: number): string {
  const k = v.kind(m, va);
  if (k === L.PTE_NONE) return 'none';
  const p = v.pfn(m, va);
  const page = p === L.ZERO_PFN ? 'zeropage' : `page#${p}`;
  // PTE_CLEARED: ptep_clear_flush'd under a held PTL (the page still in the rmap).
  const kinds = ['none', '', 'swap', 'migration', 'protnone', 'cleared'];
  if (k !== L.PTE_PRESENT) return `${kinds[k]} ${page}`;
  return `${page} ${(v.pteFlags(m, va) & L.PTEF_WRITE) !== 0 ? 'RW' : 'R/O'}`;
}

function pteChanges(model: MmModel, b: StateView, a: StateView, out: string[]): void {
  for (let m = 0; m < b.lay.nMm; m++) {
    for (let va = 0; va < b.lay.nVa; va++) {
      const x = pteText(b, m, va);
      const y = pteText(a, m, va);
      if (x === y) continue;
      const name = `${model.cfg.processes[m]}:${model.cfg.vas[va]}`;
      // Same page, only the permission changed: `RW -> R/O`.
      if (b.kind(m, va) === a.kind(m, va) && b.pfn(m, va) === a.pfn(m, va)) out.push(`${name} ${x.split(' ')[1]} -> ${y.split(' ')[1]}`);
      else out.push(`${name} ${x} -> ${y}`);
    }
  }
}

/** A huge PMD in words: `none`, `table`, `THP page#7 RW`, `cleared (khugepaged)` (model/thp.ts). */
function pmdText(v: StateView, m: number, r: number): string {
  const k = v.pmdKind(m, r);
  if (k === L.PMD_HUGE) return `THP page#${v.pmdPfn(m, r)} ${(v.pmdFlags(m, r) & L.PTEF_WRITE) !== 0 ? 'RW' : 'R/O'}`;
  return ['none', 'PTE table', '', 'cleared (table detached)'][k] ?? `kind ${k}`;
}

function pmdChanges(model: MmModel, b: StateView, a: StateView, out: string[]): void {
  for (let m = 0; m < b.lay.nMm; m++) {
    for (let r = 0; r < b.lay.nThp; r++) {
      const x = pmdText(b, m, r);
      const y = pmdText(a, m, r);
      if (x !== y) out.push(`${model.cfg.processes[m]}:${model.cfg.thps?.[r]?.name ?? r} PMD ${x} -> ${y}`);
    }
  }
}

/** A large folio (THP): folio-wide counts on the head line, per-subpage mapcount and PAE on each. */
function folioChanges(model: MmModel, b: StateView, a: StateView, p: number, out: string[]): void {
  const was = b.hasFlag(p, L.PGF_ALLOC);
  const is = a.hasFlag(p, L.PGF_ALLOC);
  if (!was && !is) return;
  const head = p === a.head(p);
  if (was && !is) { if (head) out.push(`THP page#${p} freed`); return; }
  const parts: string[] = [];
  if (head) {
    if (!was) parts.push(`allocated (refcount ${a.refcount(p)})`);
    else if (b.refcount(p) !== a.refcount(p)) parts.push(`refcount ${b.refcount(p)} -> ${a.refcount(p)}`);
    if (b.page(p, L.PG_PINS) !== a.page(p, L.PG_PINS)) parts.push(`pincount ${b.page(p, L.PG_PINS)} -> ${a.page(p, L.PG_PINS)}`);
    if (b.entireMapcount(p) !== a.entireMapcount(p)) parts.push(`entire mapcount ${b.entireMapcount(p)} -> ${a.entireMapcount(p)}`);
  }
  if (b.page(p, L.PG_MAPCOUNT) !== a.page(p, L.PG_MAPCOUNT)) parts.push(`mapcount ${b.page(p, L.PG_MAPCOUNT)} -> ${a.page(p, L.PG_MAPCOUNT)}`);
  if (b.pae(p) !== a.pae(p) && model.k.pae) parts.push(a.pae(p) ? 'PAE set' : 'PAE cleared');
  if (parts.length) out.push(`${head ? 'THP ' : ''}page#${p} ${parts.join(', ')}`);
}

function pageChanges(model: MmModel, b: StateView, a: StateView, out: string[]): void {
  for (let p = 1; p < b.lay.nFrames; p++) {
    if (b.isLarge(p)) {
      folioChanges(model, b, a, p, out);
      continue;
    }
    const was = b.hasFlag(p, L.PGF_ALLOC);
    const is = a.hasFlag(p, L.PGF_ALLOC);
    if (!was && !is) continue;
    if (was && !is) { out.push(`page#${p} freed`); continue; }
    const parts: string[] = [];
    if (!was) parts.push(`allocated (refcount ${a.refcount(p)})`);
    else if (b.refcount(p) !== a.refcount(p)) parts.push(`refcount ${b.refcount(p)} -> ${a.refcount(p)}`);
    if (b.mapcount(p) !== a.mapcount(p)) parts.push(`mapcount ${b.mapcount(p)} -> ${a.mapcount(p)}`);
    if (b.pae(p) !== a.pae(p) && model.k.pae) parts.push(a.pae(p) ? 'PAE set' : 'PAE cleared');
    // A shared mapping's shmem page (model/shmem.ts) enters or leaves the page cache.
    if (b.hasFlag(p, L.PGF_SHMEM) !== a.hasFlag(p, L.PGF_SHMEM)) parts.push(a.hasFlag(p, L.PGF_SHMEM) ? 'in the page cache' : 'truncated from the page cache');
    if (parts.length) out.push(`page#${p} ${parts.join(', ')}`);
  }
}

function mmChanges(model: MmModel, b: StateView, a: StateView, out: string[]): void {
  for (let m = 0; m < b.lay.nMm; m++) {
    const name = model.cfg.processes[m];
    if (b.mm(m, L.MM_HAS_PINNED) !== a.mm(m, L.MM_HAS_PINNED)) out.push(`${name} ${model.k.wpSeq ? 'MMF_HAS_PINNED' : 'mm->has_pinned'} set`);
  }
}

function pinChanges(model: MmModel, b: StateView, a: StateView, out: string[]): void {
  model.cfg.pins.forEach((pin, i) => {
    // mremap moved the pinned VA: the pin follows its PTE (layout.ts PIN_VA).
    if (b.pinVa(i, pin.va) !== a.pinVa(i, pin.va) && a.pinHolds(i)) out.push(`${pin.name} now at ${model.cfg.vas[a.pinVa(i, pin.va)]}`);
    if (b.pinState(i) === a.pinState(i)) return;
    const s = a.pinState(i);
    if (s === L.PIN_HELD) out.push(`${pin.name} = page#${a.pinPfn(i)}`);
    else if (s === L.PIN_FAILED) out.push(`${pin.name} failed (-EFAULT)`);
  });
}

export function diffStates(model: MmModel, b: StateView, a: StateView): string[] {
  const out: string[] = [];
  pteChanges(model, b, a, out);
  if (b.lay.nThp > 0) pmdChanges(model, b, a, out);
  pageChanges(model, b, a, out);
  mmChanges(model, b, a, out);
  pinChanges(model, b, a, out);
  return out;
}
