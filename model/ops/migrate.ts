/**
 * Page migration of one anonymous page (reference §B.10, §C.2 row 8, seed
 * 002/003): the `migration:` daemon's `migrate P A` = migrate_pages on the
 * page P maps at A (move_pages(2), mbind, compaction and memory hotplug
 * all come down to it).
 *
 * Steps:
 *  - `migrate.isolate`: isolate (+1 reference) and folio_lock (sleeps while
 *    another holder has it). With the seed 002 RFC (switch
 *    avoid-unmap-pinned) a maybe-pinned page fails here, before unmapping.
 *  - per mapping, try_to_migrate_one as two steps (ops/rmapWalk.ts):
 *    `migrate.unmap_clear` (ptep_clear_flush, PTL kept) and
 *    `migrate.unmap_set`: VM_BUG_ON_PAGE(pte_write && anon &&
 *    !anon_exclusive); 5.19+ page_try_share_anon_rmap fails on a pinned
 *    PageAnonExclusive page → restore, the walk stops (6c287605fd56); else
 *    a migration entry: writable, readable_exclusive (5.19+) or readable.
 *    Before 5.19 nothing looks at pins here: a pinned page is unmapped
 *    (row 8).
 *  - `migrate.move`: still mapped, or folio_migrate_mapping's refcount
 *    freeze at the expected count (the isolation reference) fails — a pin,
 *    a GUP reference, a racing GUP-fast grab — → remove_migration_ptes(src,
 *    src): the old page comes back (-EAGAIN; the kernel retries a few
 *    passes, the model runs one per instruction). Else a new page gets the
 *    content and remove_migration_ptes(src, dst) maps it (RMAP_EXCLUSIVE
 *    for writable and readable_exclusive entries), the old page is freed.
 *
 * Faults and slow GUP on a migration entry wait (fault.ts:
 * migration_entry_wait); GUP-fast refuses it (not present) and falls back.
 * Frame: A_HOLD the page (isolation reference, folio lock), A_ORIG_PTE the
 * kind of the PTE being unmapped, A_ANON_EXCL its anon_exclusive
 * (ops/rmapWalk.ts). Not modelled: swap-cache and KSM pages,
 * THP, the dst allocation before unmapping (it is invisible until mapped).
 */
import * as L from '../layout.js';
import { allocPage, putPage } from '../pages.js';
import { LOC_ALLOC, step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, goto } from './common.js';
import {
  anonExclusive, anonPageAt, clearedMapping, fpDaemon, installEntry, nextMapping, restorePte, slotMm, slotVa, targetOf, tryShare, unmapClearStep, where,
} from './rmapWalk.js';

export const ASSERT_MIGRATE_WRITE_NOT_EXCL = 12; // try_to_migrate_one: VM_BUG_ON_PAGE(pte_write && anon && !anon_exclusive)

const held = (v: StateView, c: Ctx): number => v.act(c.actor, L.A_HOLD);

/**
 * migration_entry_wait: a fault (a user access, or slow GUP's faultin_page)
 * on a migration entry sleeps until remove_migration_ptes replaced it, then
 * retries; handle_mm_fault's step waits on this (fault.ts).
 */
export function migrationEntryWait(v: StateView, c: Ctx): boolean {
  return c.mm >= 0 && v.kind(c.mm, c.instr.va) === L.PTE_MIGRATION;
}

function pageAt(v: StateView, c: Ctx): number {
  const [m, va] = targetOf(c);
  return anonPageAt(v, m, va);
}

/** Why migrate_pages does not start on the page, or ''. */
function refusal(v: StateView, c: Ctx, p: number): string {
  if (p < 0) return 'no anon page to migrate';
  if (v.hasFlag(p, L.PGF_SWAPCACHE)) return `page#${p} is in the swap cache (not modelled) -> skip`;
  if (c.k.avoidUnmapPinned && v.maybePinned(p)) return `page#${p} maybe DMA-pinned -> -EAGAIN before unmapping (seed 002 RFC)`;
  return '';
}

/** The PTEs that are migration entries for p (remove_migration_ptes walks them), as m * nVa + va. */
function entriesOf(v: StateView, p: number): number[] {
  const out: number[] = [];
  for (let m = 0; m < v.lay.nMm; m++) {
    for (let va = 0; va < v.lay.nVa; va++) if (v.kind(m, va) === L.PTE_MIGRATION && v.pfn(m, va) === p) out.push(m * v.lay.nVa + va);
  }
  return out;
}

/**
 * remove_migration_ptes(from, to): each migration entry of `from` becomes a
 * PTE of `to`, writable if the entry was, PageAnonExclusive (5.19+) if the
 * entry was writable or readable_exclusive.
 */
function removeMigrationPtes(v: StateView, c: Ctx, from: number, to: number): void {
  for (const s of entriesOf(v, from)) {
    const m = slotMm(v, s);
    const va = slotVa(v, s);
    const f = v.pteFlags(m, va);
    v.setPte(m, va, L.PTE_PRESENT, to, f & (L.PTEF_WRITE | L.PTEF_DIRTY));
    v.addMap(to, 1);
    v.getRef(to);
    if (c.k.pae && (f & (L.PTEF_WRITE | L.PTEF_SWP_EXCL)) !== 0) v.setFlag(to, L.PGF_PAE, true);
  }
}

/** Migration failed: the old page is mapped back, unlocked and put back on the LRU (-EAGAIN). */
function undo(v: StateView, c: Ctx): void {
  const p = held(v, c);
  removeMigrationPtes(v, c, p, p);
  v.setFlag(p, L.PGF_LOCKED, false);
  putPage(v, p);
  finish(v, c);
}

function nextOrMove(v: StateView, c: Ctx): void {
  goto(v, c, nextMapping(v, held(v, c)) >= 0 ? migrateUnmapClear : migrateMove);
}

export const migrateIsolate = step({
  name: 'migrate.isolate',
  fn: 'migrate_pages',
  cite: 'reference §B.10 step 1-2: isolate (+1 ref), migrate_folio_unmap: folio_lock (MIGRATE_SYNC sleeps)',
  guard(v, c) {
    const p = pageAt(v, c);
    return p < 0 || !v.hasFlag(p, L.PGF_LOCKED);
  },
  effect(v, c) {
    const p = pageAt(v, c);
    if (refusal(v, c, p) !== '') return finish(v, c);
    v.getRef(p);
    v.setFlag(p, L.PGF_LOCKED, true);
    v.setAct(c.actor, L.A_HOLD, p);
    nextOrMove(v, c);
  },
  footprint: (v, c, out) => fpDaemon(v, c, out, pageAt(v, c), -1),
  explain(b, _a, c) {
    const p = pageAt(b, c);
    return refusal(b, c, p) || `isolate and lock page#${p}`;
  },
});

export const migrateUnmapClear = unmapClearStep({
  name: 'migrate.unmap_clear',
  fn: 'try_to_migrate_one',
  cite: 'reference §B.10 step 2.1, §E.1: ptep_clear_flush under the PTL (kept across the next step)',
  then: () => migrateUnmapSet,
  whenNone: () => migrateMove, // a zap took the last mapping meanwhile
});

export const migrateUnmapSet = step({
  name: 'migrate.unmap_set',
  fn: 'try_to_migrate_one',
  cite: 'reference §B.10 steps 2.2-2.4: VM_BUG_ON_PAGE(pte_write && anon && !anon_exclusive); 5.19+ page_try_share_anon_rmap fails -> restore, stop (6c287605fd56); writable / readable_exclusive / readable migration entry, folio_remove_rmap_pte, folio_put',
  guard: () => true,
  effect(v, c) {
    const p = held(v, c);
    const s = clearedMapping(v, p);
    if (s < 0) return undo(v, c); // cannot happen while every PTL taker waits on MM_PTL; be safe
    const f = v.pteFlags(slotMm(v, s), slotVa(v, s));
    const wasWrite = (f & L.PTEF_WRITE) !== 0;
    const excl = anonExclusive(v, c);
    if (c.k.pae && wasWrite && !excl) v.fireAssert(ASSERT_MIGRATE_WRITE_NOT_EXCL);
    if (!tryShare(v, c, p)) {
      restorePte(v, c, s);
      return undo(v, c); // ret = false: the folio stays mapped, migrate_folio_undo_src
    }
    const kindBits = wasWrite ? L.PTEF_WRITE : excl && c.k.unmapTryShare ? L.PTEF_SWP_EXCL : 0;
    installEntry(v, c, s, L.PTE_MIGRATION, kindBits | (f & L.PTEF_DIRTY));
    nextOrMove(v, c);
  },
  footprint: (v, c, out) => fpDaemon(v, c, out, held(v, c), clearedMapping(v, held(v, c))),
  explain(b, a, c) {
    const p = held(b, c);
    const s = clearedMapping(b, p);
    if (s < 0) return 'the cleared PTE is gone -> give up';
    const m = slotMm(b, s);
    const va = slotVa(b, s);
    if (a.kind(m, va) !== L.PTE_MIGRATION) return `${where(c, m, va)}: page_try_share_anon_rmap: page#${p} maybe pinned -> restore the PTE, migration fails`;
    const f = a.pteFlags(m, va);
    const kind = (f & L.PTEF_WRITE) !== 0 ? 'writable' : (f & L.PTEF_SWP_EXCL) !== 0 ? 'readable_exclusive' : 'readable';
    const share = anonExclusive(b, c) && c.k.unmapTryShare ? 'clear PageAnonExclusive, ' : '';
    return `${where(c, m, va)}: ${share}${kind} migration entry for page#${p}`;
  },
});

/** folio_migrate_mapping: unmapped, and folio_ref_freeze at the expected count (the isolation reference) succeeds. */
function freezes(v: StateView, p: number): boolean {
  return v.mapcount(p) === 0 && v.refcount(p) === 1;
}

export const migrateMove = step({
  name: 'migrate.move',
  fn: 'migrate_folio_move',
  cite: 'reference §B.10 steps 3-5: folio_migrate_mapping refcount freeze (-EAGAIN on extra refs or pins) -> remove_migration_ptes(src, src); else copy, remove_migration_ptes(src, dst) (RMAP_EXCLUSIVE unless readable), free src',
  guard(v, c) {
    for (const s of entriesOf(v, held(v, c))) if (v.ptlHeld(slotMm(v, s))) return false;
    return true;
  },
  effect(v, c) {
    const p = held(v, c);
    if (!freezes(v, p)) return undo(v, c);
    const q = allocPage(v, v.page(p, L.PG_CONTENT));
    removeMigrationPtes(v, c, p, q);
    putPage(v, q); // the new folio's allocation reference; its mappings hold it now
    v.setFlag(p, L.PGF_LOCKED, false);
    putPage(v, p); // the last reference: the old page is freed
    finish(v, c);
  },
  footprint(v, c, out) {
    const p = held(v, c);
    fpDaemon(v, c, out, p, -1);
    out.push(LOC_ALLOC);
    for (const s of entriesOf(v, p)) fpDaemon(v, c, out, -1, s);
  },
  explain(b, a, c) {
    const p = held(b, c);
    const n = entriesOf(b, p).length;
    if (b.mapcount(p) > 0) return `page#${p} still mapped -> remove_migration_ptes(page#${p}, page#${p}), -EAGAIN`;
    if (b.refcount(p) !== 1) return `folio_ref_freeze(page#${p}, 1) fails: refcount ${b.refcount(p)} -> remove_migration_ptes back to page#${p}, -EAGAIN`;
    const [m, va] = targetOf(c);
    const q = a.kind(m, va) === L.PTE_PRESENT ? a.pfn(m, va) : -1;
    return `copy page#${p} to ${q >= 0 ? `page#${q}` : 'a new page'}, remap ${n} entr${n === 1 ? 'y' : 'ies'}, free page#${p}`;
  },
});
