/**
 * The scenario compiler's one way to fail: a PincowError carrying the
 * position of the offending word, so the message reads file:line:col.
 */
import { PincowError } from '../model/errors.js';
import type { SourcePos } from '../model/errors.js';

export function err(code: 'syntax' | 'unknown-name' | 'invalid-scenario', w: { pos: SourcePos }, msg: string): never {
  throw new PincowError(code, msg, w.pos);
}
