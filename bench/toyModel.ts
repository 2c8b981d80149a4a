/**
 * The engine's own ceiling: the toy model of reference checker-anchors
 * §5.4 ("end-to-end toy BFS": T threads each doing K racy
 * read-then-increment steps on a shared counter), as a Model of the
 * generic explorer, with no POR, no symmetry and no properties. Its steps
 * cost almost nothing, so `npm run bench` measuring it says what the
 * explorer itself (successor pipeline, visited set, compressed levels,
 * parent index) does per state on this machine. It runs twice: with
 * 64-byte states (the reference's figure) and padded to the open-mode
 * benchmark's state size, where the MM model's figure can be read
 * against it.
 *
 * State: byte 0 the counter; per thread t, byte 1 + 2t its program
 * counter (0..2K: even = about to read, odd = about to write) and byte
 * 2 + 2t its register; the rest padding (zero).
 */
import type { BuiltModel } from '../explorer/factory.js';
import type { Model } from '../explorer/types.js';

export interface ToyArgs {
  readonly threads: number;
  readonly increments: number;
  /** state size in bytes: a multiple of 4, at least 1 + 2 x threads */
  readonly bytes: number;
}

export function toyModel({ threads, increments, bytes }: ToyArgs): Model {
  if (bytes % 4 !== 0 || bytes < 1 + 2 * threads) throw new Error(`toy model: ${bytes} bytes cannot hold ${threads} threads`);
  const end = 2 * increments;
  return {
    stateBytes: bytes,
    actionCount: threads,
    initialState: () => new Uint8Array(bytes),
    enabled(s, out) {
      let n = 0;
      for (let t = 0; t < threads; t++) if (s[1 + 2 * t]! < end) out[n++] = t;
      return n;
    },
    apply(s, t, into) {
      into.set(s);
      const pc = s[1 + 2 * t]!;
      if ((pc & 1) === 0) into[2 + 2 * t] = s[0]!; // read the counter
      else into[0] = (s[2 + 2 * t]! + 1) & 0xff; // write register + 1
      into[1 + 2 * t] = pc + 1;
    },
    isFinal: () => true,
  };
}

/** The factory worker threads call (explorer/factory.ts). */
export function buildToyModel(args: ToyArgs): BuiltModel {
  return { model: toyModel(args), properties: [] };
}
