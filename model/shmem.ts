/**
 * Shared anonymous memory: mmap(MAP_SHARED|MAP_ANONYMOUS) (`mmap A shared`).
 *
 * mmap_region → shmem_zero_setup backs the VMA (VM_SHARED|VM_MAYSHARE) by
 * an unnamed shmem object; its page cache holds one page per offset, and
 * every mm that maps the object maps that same page. Only fork shares the
 * object (dup_mmap gives the child the same vm_file), and the scenario
 * compiler allows one `mmap VA shared` per VA and no mremap of it
 * (scenario/sharedCompile.ts), so "the object at VA va" is one object per
 * VA and its page is a fixed frame, layout.ts vaShmem[va] (the page cache
 * lookup by index, shmem_get_folio_gfp). The frame is in the page cache
 * while PGF_SHMEM is set: the cache then holds one reference on it
 * (refcount-consistent counts it, as for the swap cache).
 *
 * What is different from a private anonymous page (reference §A.2
 * is_cow_mapping, §B.3, §B.4):
 * - a fault on a none PTE maps the page-cache page (shmem_fault, then
 *   finish_fault / set_pte_range), never the zeropage, never a copy;
 * - fork copies no PTE of the VMA (copy_page_range returns early without an
 *   anon_vma; vma_needs_copy since 5.18): the child faults the page in;
 * - a write fault on a R/O PTE is wp_page_shared: made writable, no COW;
 * - zap (MADV_DONTNEED, munmap, exit) drops the mapping but the page stays
 *   in the page cache (the data persists); when the last VMA of the object
 *   goes, the object dies and shmem_truncate_range drops the cache's
 *   reference (a pinned page lives on until unpinned).
 */
import * as L from './layout.js';
import type { Ctx } from './step.js';
import type { StateView } from './view.js';
import { putPage } from './pages.js';

/** Is (m, va) a shared mapping (VM_SHARED)? */
export function isSharedVma(v: StateView, m: number, va: number): boolean {
  return (v.vma(m, va) & (L.VMA_MAPPED | L.VMA_SHARED)) === (L.VMA_MAPPED | L.VMA_SHARED);
}

/** The page-cache frame of the shmem object at va, or -1 if no instruction maps va shared. */
export function cachePfn(v: StateView, va: number): number {
  return v.lay.vaShmem[va] ?? -1;
}

/** Is the object's page at va in its page cache now? */
export function inPageCache(v: StateView, va: number): boolean {
  const p = cachePfn(v, va);
  return p >= 0 && v.hasFlag(p, L.PGF_SHMEM);
}

/**
 * shmem_get_folio_gfp(SGP_CACHE): the page at va's offset, found in the
 * page cache or allocated zeroed and added to it (shmem_alloc_and_add_folio:
 * the cache's reference). Returns its frame.
 */
export function shmemGetFolio(v: StateView, va: number): number {
  const p = cachePfn(v, va);
  if (p < 0) throw new Error(`pincow internal error: VA ${va} has no page-cache frame`);
  if (v.hasFlag(p, L.PGF_SHMEM)) return p;
  // A frame still allocated outside the cache would be an earlier object's truncated, pinned page:
  // impossible, the compiler allows one object per VA (scenario/sharedCompile.ts).
  if (v.hasFlag(p, L.PGF_ALLOC)) throw new Error(`pincow internal error: page-cache frame ${p} of VA ${va} is still in use`);
  v.setPage(p, L.PG_REFS, 1);
  v.setPage(p, L.PG_PINS, 0);
  v.setPage(p, L.PG_MAPCOUNT, 0);
  v.setPage(p, L.PG_FLAGS, L.PGF_ALLOC | L.PGF_SHMEM);
  v.setPage(p, L.PG_CONTENT, L.CONTENT_ZERO);
  return p;
}

/**
 * PTE flags of a shared mapping's page: vm_page_prot of a VM_SHARED|VM_WRITE
 * VMA is writable (PAGE_SHARED) because shmem wants no write notification
 * (vma_wants_writenotify: no page_mkwrite, mapping_can_writeback false, and
 * soft-dirty / uffd-wp tracking are not modelled), so even a read fault maps
 * it writable (mk_pte(page, vma->vm_page_prot)); a write fault also dirties
 * it (maybe_mkwrite(pte_mkdirty(entry))).
 */
export function sharedPteFlags(v: StateView, m: number, va: number, write: boolean): number {
  const w = (v.vma(m, va) & L.VMA_WRITE) !== 0 ? L.PTEF_WRITE : 0;
  return w | (write && w !== 0 ? L.PTEF_DIRTY : 0);
}

/**
 * The fault on a none PTE of a shared mapping (do_read_fault /
 * do_shared_fault): shmem_fault returns the page-cache page with a
 * reference, finish_fault maps it under the PTL (folio_add_file_rmap_pte)
 * and the reference becomes the PTE's.
 */
export function shmemMap(v: StateView, c: Ctx, write: boolean): number {
  const m = c.mm;
  const va = c.instr.va;
  const p = shmemGetFolio(v, va);
  v.getRef(p);
  v.addMap(p, 1);
  v.setPte(m, va, L.PTE_PRESENT, p, sharedPteFlags(v, m, va, write));
  return p;
}

/**
 * After a VMA at va went (munmap, exit, an mmap over it): if no mm maps the
 * object any more, its last file reference goes and shmem_evict_inode →
 * shmem_truncate_range removes the page from the page cache, dropping the
 * cache's reference (the page is freed unless a pin or reference holds it).
 */
export function shmemVmaGone(v: StateView, va: number): void {
  const p = cachePfn(v, va);
  if (p < 0 || !v.hasFlag(p, L.PGF_SHMEM)) return;
  for (let m = 0; m < v.lay.nMm; m++) if (isSharedVma(v, m, va)) return;
  v.setFlag(p, L.PGF_SHMEM, false);
  putPage(v, p);
}
