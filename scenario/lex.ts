/**
 * The scenario language's words and lines: vocabulary, the kinds of words,
 * a source line split into code and comment, a reading cursor, and the
 * small productions every part of the grammar shares (word lists, quoted
 * strings, instructions). parse.ts builds the file structure on top.
 */
import type { SourcePos } from '../model/errors.js';
import { PincowError } from '../model/errors.js';
import type { Commented, DirectiveName, Instr, Word } from './ast.js';
// ---------------------------------------------------------------- vocabulary

export const DIRECTIVES: readonly DirectiveName[] = ['scenario', 'title', 'refs', 'check', 'depth', 'with', 'without'];
export const KEYWORDS: readonly string[] = [...DIRECTIVES, 'expect'];
/** what a misspelt column-1 word is compared with */
// `with`/`without` are left out: too close to instruction names (write) to suggest.
export const SUGGESTIONS: readonly string[] = [...KEYWORDS.filter((k) => k !== 'with' && k !== 'without'), 'setup:'];

export const USAGE: Readonly<Record<string, string>> = {
  scenario: 'scenario NAME',
  title: 'title "TEXT"',
  refs: 'refs WORD...',
  check: 'check INV, INV...',
  depth: 'depth N',
  with: 'with SWITCH, SWITCH...',
  without: 'without SWITCH, SWITCH...',
  expect: 'expect INV holds|violated on RANGE, RANGE...',
};

/** A kind of word: what it may be made of, and how to describe it. */
export interface Kind {
  readonly re: RegExp;
  readonly desc: string;
}

export const ACTOR_START = /[A-Za-z][A-Za-z0-9_.-]*/y;

export const K = {
  scenario: { re: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, desc: 'a scenario name (letters, digits and _ . -)' },
  ref: { re: /^[!-~]+$/, desc: 'a reference (printable ASCII, like seed:004 or a commit id)' },
  invariant: { re: /^[A-Za-z][A-Za-z0-9_.-]*$/, desc: 'an invariant name (like pin-coherent)' },
  switch: { re: /^[a-z][a-z0-9-]*$/, desc: 'a kernel switch name (like uffd-move-cross-mm; pincow list kernels)' },
  range: { re: /^[A-Za-z0-9.<>=_-]+$/, desc: 'a kernel range (like 5.10, <=5.8, 5.9..5.18, E2..E4 or all)' },
  op: { re: /^[a-z][a-z0-9-]*$/, desc: 'an operation name (lowercase letters, digits and -, like mmap or dma-write)' },
  arg: { re: /^[A-Za-z0-9_.:-]+$/, desc: 'an argument (letters, digits and _ . : -)' },
  name: { re: /^[A-Za-z_][A-Za-z0-9_.-]*$/, desc: 'a name (letters, digits and _ . -)' },
} satisfies Record<string, Kind>;

// ---------------------------------------------------------------- helpers

export function syntax(pos: SourcePos, message: string): never {
  throw new PincowError('syntax', message, pos);
}

/** Characters that would be invisible or confusing in a message. */
export const INVISIBLE = /[\u007f-\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f\u2060\u3000\ufeff]/g;

/** A piece of input quoted for a message, cut short when long. */
export function show(s: string): string {
  const chars = Array.from(s.slice(0, 100));
  const cut = chars.length > 40 || s.length > 100;
  const json = JSON.stringify(chars.slice(0, 40).join('') + (cut ? '...' : ''));
  return json.replace(INVISIBLE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function isBlank(ch: string): boolean {
  return ch === ' ' || ch === '\t';
}

/** A token ends at a blank, a separator or a quote. */
export function isDelimiter(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === ';' || ch === ',' || ch === '"';
}

// ---------------------------------------------------------------- lines

/** One source line, split into code and trailing comment. */
export class Line {
  readonly code: string;
  readonly comment: string | undefined;
  private memoIdx = 0;
  private memoCol = 1;

  constructor(
    readonly file: string,
    readonly no: number,
    readonly text: string,
  ) {
    const hash = this.findComment();
    this.code = hash < 0 ? text : text.slice(0, hash);
    this.comment = hash < 0 ? undefined : text.slice(hash).trimEnd();
  }

  /** Index of the `#` that starts the comment (outside strings), or -1. */
  private findComment(): number {
    const t = this.text;
    let open = -1;
    for (let i = 0; i < t.length; i++) {
      const ch = t[i];
      if (open >= 0) {
        if (ch === '\\') i++;
        else if (ch === '"') open = -1;
      } else if (ch === '"') open = i;
      else if (ch === '#') return i;
    }
    if (open >= 0) this.fail(open, 'unterminated string: expected a closing " before the end of the line');
    return -1;
  }

  get blank(): boolean {
    return /^[ \t]*$/.test(this.code);
  }

  get indented(): boolean {
    return isBlank(this.code.charAt(0));
  }

  /** 1-based column (in code points) of index idx. */
  col(idx: number): number {
    if (idx < this.memoIdx) {
      this.memoIdx = 0;
      this.memoCol = 1;
    }
    let i = this.memoIdx;
    let c = this.memoCol;
    while (i < idx && i < this.text.length) {
      i += (this.text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
      c++;
    }
    this.memoIdx = i;
    this.memoCol = c;
    return c + Math.max(0, idx - i);
  }

  pos(idx: number): SourcePos {
    return { file: this.file, line: this.no, col: this.col(idx) };
  }

  fail(idx: number, message: string): never {
    return syntax(this.pos(idx), message);
  }
}

/** A reading position in the code part of a line. */
export class Cursor {
  constructor(
    readonly line: Line,
    public i: number,
  ) {}

  private get code(): string {
    return this.line.code;
  }

  skipSpace(): void {
    while (this.i < this.code.length && isBlank(this.code.charAt(this.i))) this.i++;
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.i >= this.code.length;
  }

  /** The next character after blanks, '' at the end of the line. */
  peek(): string {
    this.skipSpace();
    return this.code.charAt(this.i);
  }

  /** The raw token at the cursor (after blanks), possibly empty. */
  token(): string {
    this.skipSpace();
    let j = this.i;
    while (j < this.code.length && !isDelimiter(this.code.charAt(j))) j++;
    return this.code.slice(this.i, j);
  }

  /** What stands at the cursor, for a message. */
  found(): string {
    if (this.atEnd()) return 'end of line';
    const ch = this.code.charAt(this.i);
    if (ch === '"') return 'a quoted string';
    const t = this.token();
    return show(t === '' ? ch : t);
  }

  fail(message: string): never {
    this.skipSpace();
    return this.line.fail(this.i, message);
  }

  /** Reads one word of the given kind; `ctx` completes "expected X". */
  word(kind: Kind, ctx: string, hint = ''): Word {
    const t = this.token();
    if (t === '' || !kind.re.test(t)) this.fail(`expected ${kind.desc}${ctx}, found ${this.found()}${hint}`);
    const w = { text: t, pos: this.line.pos(this.i) };
    this.i += t.length;
    return w;
  }

  /** Consumes `ch` if it is next. */
  eat(ch: string): boolean {
    if (this.peek() !== ch) return false;
    this.i++;
    return true;
  }

  end(after: string): void {
    if (!this.atEnd()) this.fail(`expected end of line ${after}, found ${this.found()}`);
  }
}

// ---------------------------------------------------------------- small grammars

/** `WORD[, WORD]...`, and with `spaces` also `WORD WORD...`. */
export function wordList(c: Cursor, kind: Kind, ctx: string, spaces: boolean): Word[] {
  const words = [c.word(kind, ctx)];
  for (;;) {
    if (c.atEnd()) return words;
    if (c.eat(',')) words.push(c.word(kind, ' after ","'));
    else if (spaces) words.push(c.word(kind, ''));
    else c.fail(`expected "," or end of line after ${show(words[words.length - 1]?.text ?? '')}, found ${c.found()}`);
  }
}

/** A double-quoted string with \" and \\ escapes; the cursor is on the quote. */
export function quoted(c: Cursor): string {
  const code = c.line.code;
  let out = '';
  for (let i = c.i + 1; i < code.length; i++) {
    const ch = code.charAt(i);
    if (ch === '"') {
      c.i = i + 1;
      return out;
    }
    if (ch === '\\') {
      const next = code.charAt(++i);
      if (next !== '"' && next !== '\\') c.line.fail(i - 1, `unknown escape ${show('\\' + next)} in string: only \\" and \\\\ are accepted`);
      out += next;
    } else if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(ch)) {
      c.line.fail(i, `control character ${show(ch)} in string`);
    } else out += ch;
  }
  return c.line.fail(c.i, 'unterminated string: expected a closing " before the end of the line');
}

/** `OP ARG... [as NAME]`. */
export function instr(c: Cursor): Instr {
  const op = c.word(K.op, '');
  const args: Word[] = [];
  let as: Word | undefined;
  while (!c.atEnd() && c.peek() !== ';') {
    if (c.token() === 'as') {
      c.i += 2;
      as = c.word(K.name, ' after "as"');
      if (!c.atEnd() && c.peek() !== ';') c.fail(`expected ";" or end of line after "as ${as.text}", found ${c.found()}`);
      break;
    }
    if (c.token() === '') c.fail(`expected an argument, "as NAME", ";" or end of line, found ${c.found()}`);
    args.push(c.word(K.arg, ''));
  }
  return { op, args, as, pos: op.pos };
}

/** `INSTR; INSTR...` to the end of the line (at least one). */
export function instrList(c: Cursor): Instr[] {
  const out: Instr[] = [];
  for (;;) {
    if (c.peek() === ';') c.fail(out.length ? 'empty instruction between ";" and ";"' : 'empty instruction before ";"');
    out.push(instr(c));
    if (c.atEnd()) return out;
    c.eat(';');
    if (c.atEnd()) c.fail('empty instruction after ";" at the end of the line (remove the ";")');
  }
}

/** Comments onto a node, leaving out empty ones. */
export function withComments<T extends object>(node: T, leading: readonly string[], comment: string | undefined): T & Commented {
  return {
    ...node,
    ...(leading.length ? { leading } : {}),
    ...(comment !== undefined ? { comment } : {}),
  };
}

/** Instructions of one line: leading comments to the first, the line's comment to the last. */
export function attach(instrs: Instr[], leading: readonly string[], comment: string | undefined): Instr[] {
  return instrs.map((ins, k) =>
    withComments(ins, k === 0 ? leading : [], k === instrs.length - 1 ? comment : undefined),
  );
}

// ---------------------------------------------------------------- the parser

