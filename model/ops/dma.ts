/**
 * Device DMA through a pin (`dma-read pinN`, `dma-write pinN`): the device
 * reads or writes the pinned page frame directly, whatever the page tables
 * say. A write is a write by the pinning process for no-missed-cow.
 */
import * as L from '../layout.js';
import { noteWrite } from '../pages.js';
import { step } from '../step.js';
import type { Ctx } from '../step.js';
import type { StateView } from '../view.js';
import { finish, fp, fpBase } from './common.js';
import { contentName } from './access.js';

const ready = (v: StateView, c: Ctx): boolean => v.pinState(c.instr.pin) !== L.PIN_UNUSED && v.pinState(c.instr.pin) !== L.PIN_GRABBED;

function fpDma(v: StateView, c: Ctx, out: number[]): void {
  fpBase(c, out);
  out.push(fp.pin(c.instr.pin), fp.page(v.pinPfn(c.instr.pin)));
}

export const dmaRead = step({
  name: 'dma.read',
  fn: 'device DMA read',
  cite: 'the device reads the pinned frame (reference §E.2.1)',
  guard: ready,
  effect: (v, c) => finish(v, c),
  footprint: fpDma,
  explain(b, _a, c) {
    const i = c.instr.pin;
    if (b.pinState(i) !== L.PIN_HELD) return `${c.pin!.name} not held: no DMA`;
    const p = b.pinPfn(i);
    return `page#${p} = ${contentName(b.page(p, L.PG_CONTENT), c)}`;
  },
});

export const dmaWrite = step({
  name: 'dma.write',
  fn: 'device DMA write',
  cite: 'the device writes the pinned frame (reference §E.2.1)',
  guard: ready,
  effect(v, c) {
    const i = c.instr.pin;
    if (v.pinState(i) === L.PIN_HELD && v.pinPfn(i) !== L.ZERO_PFN) {
      const p = v.pinPfn(i);
      noteWrite(v, c, c.pin!.mm, p);
      v.setPage(p, L.PG_CONTENT, L.CONTENT_DMA + i);
    }
    finish(v, c);
  },
  footprint: fpDma,
  explain(b, _a, c) {
    const i = c.instr.pin;
    if (b.pinState(i) !== L.PIN_HELD) return `${c.pin!.name} not held: no DMA`;
    return `page#${b.pinPfn(i)} <- ${contentName(L.CONTENT_DMA + i, c)}`;
  },
});
