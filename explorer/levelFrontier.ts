/**
 * A parallel BFS level's states as the coordinator (explorer/parallel.ts)
 * sees them: blocks of delta-encoded records (levelBlocks.ts) in the
 * arenas of the threads that wrote them, and how a level is cut into
 * chunks (runs of whole blocks). Also the two places the coordinator
 * handles states itself: the initial state's level, and a shard's cut
 * of a level (decoded, filtered, encoded again). And between EXPAND and
 * PLACE, where the next level's states and blocks will go.
 */
import { BlockDecoder, BlockEncoder, ENTRY_SLACK } from './levelBlocks.js';
import { actionBytes } from './levelProtocol.js';
import type { NextMsg } from './levelProtocol.js';

/**
 * A level's states: blocks of encoded records (levelBlocks.ts) in the
 * arenas of the participants that wrote them (levelWorker.ts), in the
 * order of the chunks of the level before that wrote them.
 */
export interface Frontier {
  readonly arenas: readonly SharedArrayBuffer[];
  /** per block: its arena (an index into `arenas`), first byte and end (64-bit floats: an arena may pass 2 GiB) */
  readonly blockArena: Int32Array;
  readonly blockStart: Float64Array;
  readonly blockEnd: Float64Array;
  /** states of block b (its records that are not dead) */
  readonly kept: Int32Array;
  readonly count: number;
  /** bytes this thread allocated for it (the initial state, a shard's cut); the workers count their own arenas */
  readonly ownBytes: number;
}

/** A level cut into chunks: runs of whole blocks (levelProtocol.ts LevelMsg). */
export interface Chunks {
  readonly n: number;
  readonly chunkBlock: Int32Array;
  readonly chunkPos: Int32Array;
  /** states of the largest chunk */
  readonly largest: number;
}

/**
 * Cut a frontier into chunks of about `target` states: runs of whole
 * blocks (a block is decoded from its start), each closed at the block
 * boundary nearest to `target` states (blocks hold up to about a target
 * each: closing only past it made chunks of two blocks, twice the
 * target, and the workers waited longer for the last chunk of a phase).
 * Any cut into runs of
 * consecutive positions keeps the search deterministic (the tags follow
 * the positions: sharedTable.ts).
 */
export function chunksOf(f: Frontier, target: number): Chunks {
  const nBlocks = f.kept.length;
  const block = [0];
  const pos = [0];
  let held = 0;
  let at = 0;
  let largest = 0;
  for (let b = 0; b < nBlocks; b++) {
    const k = f.kept[b]!;
    if (held > 0 && held + k - target > target - held) {
      // closer to the target without block b than with it
      block.push(b);
      pos.push(at);
      largest = Math.max(largest, held);
      held = 0;
    }
    held += k;
    at += k;
  }
  block.push(nBlocks);
  pos.push(at);
  largest = Math.max(largest, held);
  return { n: block.length - 1, chunkBlock: Int32Array.from(block), chunkPos: Int32Array.from(pos), largest };
}

/** Encode states (each a Uint32Array of the state's words) as one frontier, in blocks of at most `blockStates` states. */
export function frontierOf(stateBytes: number, states: readonly Uint32Array[], blockStates: number): Frontier {
  const enc = new BlockEncoder(stateBytes);
  const off = [0];
  const kept: number[] = [];
  for (let i = 0; i < states.length; i += blockStates) {
    enc.beginBlock();
    const end = Math.min(states.length, i + blockStates);
    for (let k = i; k < end; k++) enc.push(states[k]!);
    off.push(enc.length);
    kept.push(end - i);
  }
  const bytes = new SharedArrayBuffer(enc.length + ENTRY_SLACK); // (the decoder reads a little past a block)
  new Uint8Array(bytes).set(enc.bytes.subarray(0, enc.length));
  return {
    arenas: [bytes], blockArena: new Int32Array(kept.length), blockStart: Float64Array.from(off.slice(0, -1)), blockEnd: Float64Array.from(off.slice(1)),
    kept: Int32Array.from(kept), count: states.length, ownBytes: bytes.byteLength,
  };
}

/** Every state of a frontier (not dead), in order: their words. */
export function statesOf(stateBytes: number, f: Frontier): Uint32Array[] {
  const dec = new BlockDecoder(stateBytes);
  const arenas = f.arenas.map((a) => new Uint8Array(a));
  const words = stateBytes >>> 2;
  const out: Uint32Array[] = [];
  for (let b = 0; b < f.kept.length; b++) {
    dec.begin(arenas[f.blockArena[b]!]!, f.blockStart[b]!, f.blockEnd[b]!);
    while (dec.next()) if (!dec.dead) out.push(dec.cur.slice(0, words));
  }
  return out;
}

/**
 * After EXPAND, where PLACE puts the next level: each chunk's blocks
 * become blocks of the next level, in place, and its kept records
 * (recorded - dropped) get the positions after the chunks before it.
 * `counts` (per chunk: the records it wrote) is overwritten with each
 * chunk's first position; `claims` is the claims log's entry count
 * (levelProtocol.ts claimsHeld).
 */
export function nextLevel(
  counts: Int32Array, dropped: Int32Array, blockRecords: number, actionCount: number, claims: number,
): { readonly msg: NextMsg; readonly total: number; readonly nBlocks: number } {
  const nChunks = counts.length;
  const firstBlock = new Int32Array(nChunks + 1);
  let total = 0;
  for (let c = 0; c < nChunks; c++) {
    firstBlock[c + 1] = firstBlock[c]! + Math.ceil(counts[c]! / blockRecords);
    const k = counts[c]! - dropped[c]!; // kept records of chunk c
    counts[c] = total;
    total += k;
  }
  const nBlocks = firstBlock[nChunks]!;
  const msg: NextMsg = {
    kind: 'next',
    parent: new SharedArrayBuffer(Math.max(1, total) * 4),
    action: new SharedArrayBuffer(Math.max(1, total) * actionBytes(actionCount)),
    firstBlock,
    blockKept: new SharedArrayBuffer(nBlocks * 4),
    blockArena: new SharedArrayBuffer(nBlocks * 4),
    blockStart: new SharedArrayBuffer(nBlocks * 8),
    blockEnd: new SharedArrayBuffer(nBlocks * 8),
    claims,
  };
  return { msg, total, nBlocks };
}

/** The level PLACE laid out (nextLevel), read from the participants' arenas of its parity. */
export function placedFrontier(arenas: readonly SharedArrayBuffer[], next: NextMsg, total: number): Frontier {
  return {
    arenas, blockArena: new Int32Array(next.blockArena), blockStart: new Float64Array(next.blockStart),
    blockEnd: new Float64Array(next.blockEnd), kept: new Int32Array(next.blockKept), count: total, ownBytes: 0,
  };
}
