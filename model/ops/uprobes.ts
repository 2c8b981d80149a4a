/**
 * uprobes (reference §B.15, §C.2 row 12): the `uprobes:` daemon's
 * `register P A` / `unregister P A` = install_breakpoint / remove_breakpoint
 * → uprobe_write_opcode on P's VA A, under P's mmap_lock(W)
 * (register_for_each_vma).
 *
 * Abstraction: uprobes writes into text, normally a file-backed private
 * page; the model has anonymous private pages only, so A stands for a text
 * page that is already an anon copy (from an earlier probe or a ptrace
 * write, the reference's "anon copy A"). The breakpoint byte itself is not
 * modelled (the page's content token stays): what matters is which page
 * the VA maps afterwards and whether a pinned page is replaced or unmapped.
 *
 * Up to 6.15 (kernel/events/uprobes.c, both versions in the code index):
 *  - `uprobe.write_opcode`: get_user_pages_remote(FOLL_FORCE) takes the
 *    old page (a FOLL_GET reference), a new anon page gets a copy
 *    (unregister: the copy with the original opcode, i.e. the branch where
 *    it differs from the file page; the model has no file page);
 *  - `uprobe.replace_page`: __replace_page: lock the old page,
 *    page_vma_mapped_walk under the PTL: if the PTE no longer maps the old
 *    page (reclaim made it a swap entry, migration a migration entry or the
 *    new page) -EAGAIN, and uprobe_write_opcode retries from the GUP with
 *    mmap_lock still held; else map the new page (folio_add_new_anon_rmap,
 *    RMAP_EXCLUSIVE) R/O in its place, drop the old (try_to_free_swap once
 *    unmapped) — no page_count / pin check at all.
 * With `uprobe-write-rewrite` (the 2025 rewrite, lore v3 20250321113713;
 * reference: 6.16, unverified; not in the indexed mainline uprobes.c):
 *  - `uprobe.write_opcode`: GUP with FOLL_FORCE (register: |FOLL_WRITE, so
 *    a write fault breaks COW first: do_wp_page's reuse-or-copy decision);
 *  - `uprobe.clear`: folio_walk + PTL: the PTE must still map the page GUP
 *    returned (fw.page == page, else -EAGAIN and a retry from the GUP); a
 *    R/O PTE needs PageAnonExclusive (else -EFAULT, retried with
 *    FOLL_WRITE), then ptep_clear_flush: the
 *    page is unmapped while the opcode is written (PTE_CLEARED, MM_PTL);
 *  - `uprobe.remap`: unregister zaps the page if refcount == mapcount + 1
 *    (+ swapcache) and it equals the file page (assumed: the original
 *    bytes are back); otherwise set_pte_at(pte_mkdirty) restores it. The
 *    pinned page is written in place and stays.
 *
 * Not modelled: the retried GUP faulting a swap or migration entry back in
 * (get_user_pages_remote would swap the page in, or wait for the
 * migration): like the first GUP, it finds no page mapped and gives up.
 */
import * as L from '../layout.js';
import { allocPage, mapNewAnon, putPage } from '../pages.js';
import { LOC_ALLOC, step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, fp, fpBase, goto } from './common.js';
import { isReuse, wpDecide } from './wpDecide.js';
import { mapsPage } from './rmapWalk.js';
import { dropFromSwapCache, inSwapCache, swapCount } from '../swap.js';

const target = (c: Ctx): number => c.instr.target ?? 0;
const isRegister = (c: Ctx): boolean => c.instr.kind === 'uprobe-register';

/** A_CUR bits of a uprobes actor: the rewrite's retry after -EFAULT has FOLL_WRITE in gup_flags. */
const CUR_FOLL_WRITE = 1;
/** A_CUR bits: a retry (-EAGAIN, -EFAULT) of uprobe_write_opcode, whose caller still holds mmap_lock(W). */
const CUR_RETRY = 2;
const retrying = (v: StateView, c: Ctx): boolean => (v.act(c.actor, L.A_CUR) & CUR_RETRY) !== 0;

/**
 * Does the PTE still map the page GUP returned? __replace_page's
 * page_vma_mapped_walk (check_pte: pte_present, which includes a NUMA
 * PROT_NONE PTE, and the same pfn) and the rewrite's folio_walk_start with
 * fw.page == page; a swap or migration entry, or another page, is -EAGAIN.
 */
function stillMaps(v: StateView, c: Ctx): boolean {
  const m = target(c);
  const va = c.instr.va;
  return mapsPage(v, m, va) && v.pfn(m, va) === v.act(c.actor, L.A_HOLD);
}

/**
 * -EAGAIN (or the rewrite's -EFAULT): put the new page and the GUP
 * reference, and `goto retry` in uprobe_write_opcode, mmap_lock(W) still
 * held (the caller, register_for_each_vma / remove_breakpoint, holds it).
 */
function retry(v: StateView, c: Ctx, follWrite: boolean): void {
  const q = v.act(c.actor, L.A_NEW);
  if (q !== L.NO_PFN) putPage(v, q);
  putPage(v, v.act(c.actor, L.A_HOLD));
  v.setAct(c.actor, L.A_HOLD, L.NO_PFN);
  v.setAct(c.actor, L.A_NEW, L.NO_PFN);
  v.setAct(c.actor, L.A_CUR, v.act(c.actor, L.A_CUR) | CUR_RETRY | (follWrite ? CUR_FOLL_WRITE : 0));
  goto(v, c, uprobeWriteOpcode);
}

/** Why GUP finds nothing to probe at the VA ('' = a small anon page is mapped). */
function refusal(v: StateView, c: Ctx): string {
  const m = target(c);
  const va = c.instr.va;
  if (!v.alive(m)) return 'process gone';
  if ((v.vma(m, va) & L.VMA_MAPPED) === 0 || !v.present(m, va)) return 'no page mapped';
  const p = v.pfn(m, va);
  if (p === L.ZERO_PFN || !v.isAnon(p) || v.isLarge(p)) return 'not a small anon page';
  return '';
}

/** Drop what is held (GUP reference, new page, PTL, mmap_lock) and finish. */
function release(v: StateView, c: Ctx): void {
  const m = target(c);
  const hold = v.act(c.actor, L.A_HOLD);
  const q = v.act(c.actor, L.A_NEW);
  if (hold !== L.NO_PFN) {
    putPage(v, hold);
    v.setMm(m, L.MM_MMAP_WRITER, 0);
  }
  if (q !== L.NO_PFN) putPage(v, q);
  v.setPtl(m, false);
  finish(v, c);
}

function fpUprobe(v: StateView, c: Ctx, out: number[]): void {
  fpBase(c, out);
  const m = target(c);
  const va = c.instr.va;
  out.push(fp.mm(m), fp.pte(v, m, va), LOC_ALLOC);
  if (v.kind(m, va) !== L.PTE_NONE) out.push(fp.page(v.pfn(m, va)));
  for (const f of [L.A_HOLD, L.A_NEW]) {
    const p = v.act(c.actor, f);
    if (p !== L.NO_PFN) out.push(fp.page(p));
  }
}

/**
 * The write fault FOLL_WRITE|FOLL_FORCE raises when the PTE cannot be
 * written through (rewrite only): do_wp_page reuses (PageAnonExclusive set)
 * or copies into a new exclusive page — writable if VM_WRITE, else R/O
 * (maybe_mkwrite), as a ptrace write into text. Returns the page mapped now.
 */
function breakCow(v: StateView, c: Ctx, m: number, va: number, p: number): number {
  const w = (v.vma(m, va) & L.VMA_WRITE) !== 0 ? L.PTEF_WRITE : 0;
  if (isReuse(wpDecide(v, c.k, p))) {
    if (c.k.pae) v.setFlag(p, L.PGF_PAE, true);
    v.setPteFlags(m, va, v.pteFlags(m, va) | w | L.PTEF_DIRTY);
    return p;
  }
  const q = allocPage(v, v.page(p, L.PG_CONTENT));
  // wp_page_copy: set_pte_at(new) before folio_remove_rmap_pte(old) and folio_put(old), which may free it.
  mapNewAnon(v, c, m, va, q, w | L.PTEF_DIRTY);
  v.addMap(p, -1);
  putPage(v, p);
  return q;
}

/** can_follow_write_pte with FOLL_FORCE: writable, or (5.19+/6.0) an exclusive anon page. */
const canWrite = (v: StateView, c: Ctx, m: number, va: number, p: number): boolean =>
  v.writable(m, va) || (c.k.pae && v.pae(p));

export const uprobeWriteOpcode = step({
  name: 'uprobe.write_opcode',
  fn: 'uprobe_write_opcode',
  cite: 'reference §B.15 steps 1-3 (kernel/events/uprobes.c <=6.15): mmap_write_lock, get_user_pages_remote(FOLL_FORCE), alloc + copy the new page; rewrite (lore 20250321113713): GUP FOLL_WRITE|FOLL_FORCE breaks COW; `retry:` keeps mmap_lock(W)',
  // mmap_write_lock, unless this is uprobe_write_opcode's `goto retry` (still held).
  guard: (v, c) => (retrying(v, c) || v.canWrite(target(c))) && !v.ptlHeld(target(c)),
  effect(v, c) {
    const m = target(c);
    if (refusal(v, c) !== '') {
      if (retrying(v, c)) v.setMm(m, L.MM_MMAP_WRITER, 0);
      return finish(v, c);
    }
    const va = c.instr.va;
    let p = v.pfn(m, va);
    v.setMm(m, L.MM_MMAP_WRITER, 1);
    if (c.k.uprobeWriteRewrite) {
      const foll = isRegister(c) || (v.act(c.actor, L.A_CUR) & CUR_FOLL_WRITE) !== 0;
      if (foll && !canWrite(v, c, m, va, p)) p = breakCow(v, c, m, va, p);
      v.getRef(p);
      v.setAct(c.actor, L.A_HOLD, p);
      return goto(v, c, uprobeClear);
    }
    v.getRef(p);
    v.setAct(c.actor, L.A_HOLD, p);
    v.setAct(c.actor, L.A_NEW, allocPage(v, v.page(p, L.PG_CONTENT)));
    goto(v, c, uprobeReplacePage);
  },
  footprint: fpUprobe,
  explain(b, a, c) {
    const r = refusal(b, c);
    if (r !== '') return `${r}: nothing to do`;
    const m = target(c);
    const p = a.act(c.actor, L.A_HOLD);
    const cow = p !== b.pfn(m, c.instr.va) ? ` (write fault: COW page#${b.pfn(m, c.instr.va)} -> page#${p})` : '';
    if (c.k.uprobeWriteRewrite) return `GUP page#${p}${cow}`;
    return `GUP page#${p}; new page#${a.act(c.actor, L.A_NEW)} = copy${isRegister(c) ? ' + breakpoint' : ' with the original opcode'}`;
  },
});

export const uprobeReplacePage = step({
  name: 'uprobe.replace_page',
  fn: '__replace_page',
  cite: 'reference §B.15 step 4 (kernel/events/uprobes.c <=6.15, both indexed versions): folio_lock(old), page_vma_mapped_walk under the PTL or -EAGAIN (uprobe_write_opcode: goto retry), folio_add_new_anon_rmap(new, RMAP_EXCLUSIVE), ptep_clear_flush, set_pte_at(mk_pte(new, vm_page_prot)), folio_remove_rmap_pte(old), try_to_free_swap if unmapped, folio_put(old): no pin check',
  // folio_lock(old) sleeps while someone else holds the page lock.
  guard: (v, c) => !v.hasFlag(v.act(c.actor, L.A_HOLD), L.PGF_LOCKED) && !v.ptlHeld(target(c)),
  effect(v, c) {
    if (!stillMaps(v, c)) return retry(v, c, false); // page_vma_mapped_walk fails: -EAGAIN
    const m = target(c);
    const va = c.instr.va;
    const old = v.act(c.actor, L.A_HOLD);
    const q = v.act(c.actor, L.A_NEW);
    mapNewAnon(v, c, m, va, q, 0); // the new page's allocation reference becomes the PTE's
    v.addMap(old, -1);
    // try_to_free_swap (folio_free_swap): under the old page's lock, once no PTE or swap entry uses it.
    if (v.mapcount(old) === 0 && inSwapCache(v, old) && swapCount(v, old) === 0) dropFromSwapCache(v, old);
    putPage(v, old); // the old PTE's reference
    putPage(v, old); // uprobe_write_opcode: put_page(old_page), the GUP reference
    v.setAct(c.actor, L.A_HOLD, L.NO_PFN);
    v.setAct(c.actor, L.A_NEW, L.NO_PFN);
    v.setMm(m, L.MM_MMAP_WRITER, 0);
    finish(v, c);
  },
  footprint(v, c, out) {
    fpUprobe(v, c, out);
    c.cfg.pins.forEach((_p, i) => out.push(fp.pin(i)));
  },
  explain: (b, _a, c) => {
    const at = `${c.cfg.processes[target(c)]}:${c.cfg.vas[c.instr.va]}`;
    if (!stillMaps(b, c)) return `${at}: page_vma_mapped_walk: page#${b.act(c.actor, L.A_HOLD)} no longer mapped there -> -EAGAIN, retry`;
    return `${at}: page#${b.act(c.actor, L.A_HOLD)} -> page#${b.act(c.actor, L.A_NEW)} R/O (no pin check)`;
  },
});

/** Why __uprobe_write_opcode gives -EFAULT (a R/O PTE of a page not known exclusive), or ''. */
function clearRefusal(v: StateView, c: Ctx): string {
  const m = target(c);
  const va = c.instr.va;
  const p = v.act(c.actor, L.A_HOLD);
  if (!v.writable(m, va) && !(c.k.pae && v.pae(p))) return '-EFAULT: R/O PTE, page not PageAnonExclusive';
  return '';
}

export const uprobeClear = step({
  name: 'uprobe.clear',
  fn: '__uprobe_write_opcode',
  cite: 'uprobes rewrite (lore 20250321113713.204682-4-david@redhat.com): folio_walk under the PTL, fw.page != page -> -EAGAIN (retry); !pte_write && !PageAnonExclusive -> -EFAULT (retry with FOLL_WRITE); ptep_clear_flush to write the opcode atomically',
  guard: (v, c) => !v.ptlHeld(target(c)),
  effect(v, c) {
    const m = target(c);
    const va = c.instr.va;
    if (!stillMaps(v, c)) return retry(v, c, false); // folio_walk: fw.page != page -> -EAGAIN
    if (clearRefusal(v, c) !== '') {
      // Retry once with FOLL_WRITE|FOLL_SPLIT_PMD; a second refusal (pre-5.19 eras, no PAE) gives up.
      const again = !isRegister(c) && (v.act(c.actor, L.A_CUR) & CUR_FOLL_WRITE) === 0;
      if (again) return retry(v, c, true);
      putPage(v, v.act(c.actor, L.A_HOLD));
      v.setAct(c.actor, L.A_HOLD, L.NO_PFN);
      v.setMm(m, L.MM_MMAP_WRITER, 0);
      return finish(v, c);
    }
    v.setPte(m, va, L.PTE_CLEARED, v.pfn(m, va), v.pteFlags(m, va));
    v.setPtl(m, true);
    goto(v, c, uprobeRemap);
  },
  footprint: fpUprobe,
  explain: (b, _a, c) => {
    if (!stillMaps(b, c)) return `folio_walk: page#${b.act(c.actor, L.A_HOLD)} no longer mapped there -> -EAGAIN, retry`;
    return clearRefusal(b, c) || `ptep_clear_flush: page#${b.act(c.actor, L.A_HOLD)} unmapped while the opcode is written`;
  },
});

/** Unregister may zap: no uffd-missing registration and no unexpected reference (+1: our GUP reference). */
function mayZap(v: StateView, c: Ctx, p: number): boolean {
  const m = target(c);
  if (isRegister(c) || (v.vma(m, c.instr.va) & L.VMA_UFFD) !== 0) return false;
  return v.refcount(p) === v.mapcount(p) + 1 + (v.hasFlag(p, L.PGF_SWAPCACHE) ? 1 : 0);
}

export const uprobeRemap = step({
  name: 'uprobe.remap',
  fn: '__uprobe_write_opcode',
  cite: 'uprobes rewrite (lore 20250321113713): unregister zaps if !userfaultfd_missing && folio_ref_count == folio_mapcount + 1 + swapcache && orig_page_is_identical; else set_pte_at(pte_mkdirty) restores the same page',
  guard: () => true,
  effect(v, c) {
    const m = target(c);
    const va = c.instr.va;
    const p = v.pfn(m, va);
    if (mayZap(v, c, p)) {
      v.setPte(m, va, L.PTE_NONE, 0, 0);
      v.addMap(p, -1);
      putPage(v, p);
    } else {
      v.setPte(m, va, L.PTE_PRESENT, p, v.pteFlags(m, va) | L.PTEF_DIRTY);
    }
    release(v, c);
  },
  footprint: fpUprobe,
  explain(b, _a, c) {
    const p = b.pfn(target(c), c.instr.va);
    return mayZap(b, c, p) ? `no other reference: zap page#${p}` : `set_pte_at: page#${p} mapped again, dirty`;
  },
});
