/**
 * Faults in a shared mapping (VM_SHARED, model/shmem.ts), dispatched by
 * handle_pte_fault (ops/fault.ts) under mmap_lock(R):
 * - a none PTE: do_fault → do_read_fault / do_shared_fault → shmem_fault
 *   finds or allocates the page in the page cache, finish_fault maps it.
 *   One step: the page-cache lookup/insert is atomic (the xarray lock) and
 *   the window before finish_fault takes the PTL shows nothing another
 *   actor can act on (the PTE is still none; the extra reference is read
 *   only by decisions on anon pages);
 * - a write (or unshare) fault on a present R/O PTE: do_wp_page's shared
 *   branch, wp_page_shared (shmem has no page_mkwrite): wp_page_reuse makes
 *   the PTE writable and dirty, never a copy (5.10 do_wp_page: `else if
 *   ((vma->vm_flags & (VM_WRITE|VM_SHARED)) == (VM_WRITE|VM_SHARED))`; 6.x:
 *   `if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) return wp_page_shared`).
 *   An unshare fault never gets here (gup_must_unshare is false in a
 *   non-COW mapping); if one did, 6.x returns doing nothing. A shared
 *   VM_WRITE mapping's PTEs are writable from the start (shmem.ts
 *   sharedPteFlags), so the model reaches it only from a decoded state.
 */
import * as L from '../layout.js';
import { shmemMap, sharedPteFlags, inPageCache } from '../shmem.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';

/** do_read_fault / do_shared_fault on a none PTE: map the page-cache page. */
export function sharedFault(v: StateView, c: Ctx): void {
  shmemMap(v, c, v.actFlag(c.actor, L.AF_WRITE));
}

/** wp_page_shared → wp_page_reuse: the same page, now writable and dirty. */
export function wpPageShared(v: StateView, c: Ctx): void {
  if (v.actFlag(c.actor, L.AF_UNSHARE)) return;
  const m = c.mm;
  const va = c.instr.va;
  v.setPteFlags(m, va, v.pteFlags(m, va) | sharedPteFlags(v, m, va, true));
}

export function explainSharedFault(b: StateView, c: Ctx): string {
  const va = c.instr.va;
  const how = b.actFlag(c.actor, L.AF_WRITE) ? 'do_shared_fault' : 'do_read_fault';
  return `${how}: shmem_fault, ${inPageCache(b, va) ? 'page found in the page cache' : 'new page added to the page cache'}`;
}

export function explainWpPageShared(b: StateView, c: Ctx): string {
  if (b.actFlag(c.actor, L.AF_UNSHARE)) return 'do_wp_page: shared mapping, unshare -> nothing to do';
  return `do_wp_page: shared mapping -> wp_page_shared: page#${b.pfn(c.mm, c.instr.va)} made writable, no COW`;
}
