/**
 * The scenario file as parsed, before any checking against the model.
 *
 * The parser (parse.ts) knows only the grammar; names of ops, processes,
 * VAs, pins, invariants and kernel ranges are checked later (compile.ts),
 * which is why every node keeps its source position.
 */
import type { SourcePos } from '../model/errors.js';

/**
 * Comments attached to a line so that `pincow fmt` loses none of them.
 * Each string is one comment as written, starting with `#` (trailing blanks
 * dropped); a string without a leading `#` is printed as `# TEXT`.
 * When several instructions share a line, the first one gets the comment
 * lines before it and the last one the comment at the end of the line.
 */
export interface Commented {
  /** standalone comment lines just before this line */
  readonly leading?: readonly string[];
  /** the comment at the end of this line */
  readonly comment?: string;
}

/** One word of an instruction, with where it stands. */
export interface Word {
  readonly text: string;
  readonly pos: SourcePos;
}

/** `OP ARG... [as NAME]` in some actor's program. */
export interface Instr extends Commented {
  readonly op: Word;
  readonly args: readonly Word[];
  /** `as NAME`: the name of the pin/reference this instruction creates */
  readonly as: Word | undefined;
  readonly pos: SourcePos;
}

/**
 * `P0:` / `P0.T1:` / `device:` / a kernel daemon, and its program
 * (`comment` is the one on the `ACTOR:` line itself).
 */
export interface ActorBlock extends Commented {
  /** `P0` for thread 0 of process P0, `P0.T1` for thread 1, `device`, ... */
  readonly actor: Word;
  readonly instrs: readonly Instr[];
}

/** One line of the setup block: `P0: mmap A anon; write A; fork P1`. */
export interface SetupLine extends Commented {
  readonly actor: Word;
  readonly instrs: readonly Instr[];
}

/** `expect INVARIANT holds|violated on RANGE, RANGE...` */
export interface Expectation extends Commented {
  readonly invariant: Word;
  readonly verdict: 'holds' | 'violated';
  /** kernel ranges as written: `5.9..5.18`, `<=5.8`, `>=5.19`, `5.10`, `E2`, `E2..E4`, `all` */
  readonly ranges: readonly Word[];
  readonly pos: SourcePos;
}

export interface ScenarioAst {
  readonly file: string;
  readonly name: Word;
  readonly title: string | undefined;
  readonly refs: readonly Word[];
  /** `check INV, INV`: invariants to check; absent = those named by `expect` */
  readonly check: readonly Word[] | undefined;
  /** `depth N`: the default BFS depth bound for this scenario */
  readonly depth: number | undefined;
  /**
   * `with SWITCH, ...` / `without SWITCH, ...`: kernel switches this
   * scenario turns on / off on every era (a proposal such as
   * uffd-move-cross-mm); absent = none
   */
  readonly with?: readonly Word[];
  readonly without?: readonly Word[];
  readonly setup: readonly SetupLine[];
  readonly actors: readonly ActorBlock[];
  readonly expects: readonly Expectation[];
  /**
   * comment lines (`# ...`) at the top of the file, kept for `fmt`; comment
   * lines between header directives are kept here too
   */
  readonly comments: readonly string[];
  /** comments at the end of header directive lines (`depth 40  # ...`) */
  readonly directiveComments?: { readonly [D in DirectiveName]?: string };
  /** comments before and on the `setup:` line */
  readonly setupComments?: Commented;
  /** comment lines after the last line of the file that is not a comment */
  readonly trailingComments?: readonly string[];
}

/** The header directives, in their canonical order. */
export type DirectiveName = 'scenario' | 'title' | 'refs' | 'check' | 'depth' | 'with' | 'without';
