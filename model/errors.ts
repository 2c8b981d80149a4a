/**
 * User mistakes as coded errors from a closed list (DESIGN.md §3).
 *
 * A violation is a result, never an error. These errors are for input the
 * user can fix: a malformed scenario, an unknown kernel or invariant, an
 * impossible option. Each carries where (file:line:col when there is a file)
 * and what would have been accepted; the CLI maps every one of them to exit
 * code 2 and prints `message` without a stack trace.
 */

/** The closed list of user-error codes. */
export type ErrorCode =
  /** the scenario text does not follow the grammar */
  | 'syntax'
  /** a name (op, process, VA, pin, event, invariant, switch) is unknown */
  | 'unknown-name'
  /** a well-formed scenario that cannot be compiled (e.g. a VA used before mmap) */
  | 'invalid-scenario'
  /** --kernel or an expectation range names no known release or era */
  | 'unknown-kernel'
  /** a command-line option is malformed or conflicts with another */
  | 'bad-option'
  /** a file could not be read */
  | 'io'
  /** a saved trace does not replay */
  | 'invalid-trace';

export interface SourcePos {
  readonly file: string;
  readonly line: number; // 1-based
  readonly col: number; // 1-based
}

export class PincowError extends Error {
  readonly code: ErrorCode;
  readonly pos: SourcePos | undefined;

  constructor(code: ErrorCode, message: string, pos?: SourcePos) {
    super(pos ? `${pos.file}:${pos.line}:${pos.col}: ${message}` : message);
    this.name = 'PincowError';
    this.code = code;
    this.pos = pos;
  }
}

/** Internal impossibility: a bug in pincow, not in the user's input. */
export function unreachable(x: never): never {
  throw new Error(`pincow internal error: unreachable case ${JSON.stringify(x)}`);
}

/** Edit distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** ` (did you mean "x"?)` for the closest candidate within distance 2, else ''. */
export function didYouMean(found: string, candidates: readonly string[]): string {
  let best = '';
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(found.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}
