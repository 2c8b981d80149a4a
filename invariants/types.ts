/**
 * What an invariant is: a named predicate over one state of one model
 * instance, with the era from which the kernel means it to hold, and an
 * explanation of a violating state in words for the end of a trace.
 */
import type { MmModel } from '../model/mmModel.js';
import type { StateView } from '../model/view.js';

export interface Invariant {
  /** stable name (DESIGN.md §5) */
  readonly name: string;
  readonly title: string;
  /** from which kernel the property is meant to hold, as the reference argues */
  readonly meantFrom: string;
  /** reference section / commits */
  readonly ref: string;
  /** build the predicate for one model instance (precompute what you can) */
  make(m: MmModel): (v: StateView) => boolean;
  /** one or two sentences on why it fails in v */
  explain(m: MmModel, v: StateView): string;
}
