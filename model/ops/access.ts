/**
 * User load/store at a VA (`read A`, `write A`): what the MMU does. A
 * present PTE that allows the access is used directly (a store writes the
 * content token and may reveal a missed COW); otherwise the CPU faults into
 * handle_mm_fault and retries the access, as the hardware does.
 */
import * as L from '../layout.js';
import { noteWrite } from '../pages.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { callFault, finish, fpVa } from './common.js';
import { faultEntry } from './fault.js';
import { mmuPfn, mmuPresent, mmuSetDirty, mmuWritable } from '../thp.js';

function readOk(v: StateView, c: Ctx): boolean {
  return mmuPresent(v, c.mm, c.instr.va); // a present PTE, or a huge PMD (model/thp.ts)
}

export const userRead = step({
  name: 'user.read',
  fn: 'load',
  cite: 'MMU access; faults via handle_mm_fault (reference §B.1)',
  guard: () => true,
  effect(v, c) {
    if (v.actFlag(c.actor, L.AF_SEGV) || readOk(v, c)) return finish(v, c);
    callFault(v, c, faultEntry, userRead, false, false, false);
  },
  footprint: fpVa,
  explain(b, _a, c) {
    if (b.actFlag(c.actor, L.AF_SEGV)) return 'SIGSEGV';
    const p = mmuPfn(b, c.mm, c.instr.va);
    return readOk(b, c) ? `page#${p} = ${contentName(b.page(p, L.PG_CONTENT), c)}` : 'no PTE -> fault';
  },
});

export const userWrite = step({
  name: 'user.write',
  fn: 'store',
  cite: 'MMU access; write faults via handle_mm_fault → do_wp_page (reference §B.2)',
  guard: () => true,
  effect(v, c) {
    if (v.actFlag(c.actor, L.AF_SEGV)) return finish(v, c);
    const m = c.mm;
    const va = c.instr.va;
    if (!mmuWritable(v, m, va)) return callFault(v, c, faultEntry, userWrite, true, false, false);
    const p = mmuPfn(v, m, va);
    noteWrite(v, c, m, p);
    v.setPage(p, L.PG_CONTENT, L.CONTENT_MM + m);
    mmuSetDirty(v, m, va);
    finish(v, c);
  },
  footprint: fpVa,
  explain(b, _a, c) {
    if (b.actFlag(c.actor, L.AF_SEGV)) return 'SIGSEGV';
    if (!mmuWritable(b, c.mm, c.instr.va)) return `${mmuPresent(b, c.mm, c.instr.va) ? `${b.huge(c.mm, c.instr.va) ? 'PMD' : 'PTE'} R/O` : 'no PTE'} -> fault`;
    return `page#${mmuPfn(b, c.mm, c.instr.va)} <- ${contentName(L.CONTENT_MM + c.mm, c)}`;
  },
});

/** A content token in words: `zero`, `P0's data`, `DMA via pin0`. */
export function contentName(t: number, c: Ctx): string {
  if (t === L.CONTENT_ZERO) return 'zero';
  if (t >= L.CONTENT_DMA) return `DMA(${c.cfg.pins[t - L.CONTENT_DMA]?.name ?? '?'})`;
  return `${c.cfg.processes[t - L.CONTENT_MM] ?? '?'}-data`;
}
