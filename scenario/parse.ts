/**
 * The scenario-language parser (docs/scenario-language.md): text to
 * ScenarioAst.
 *
 * It knows only the grammar; names of ops, actors, VAs, invariants and kernel
 * ranges are checked later, so every node keeps its 1-based line and column
 * (columns count Unicode code points). Every malformed input, whatever it is,
 * ends in a PincowError('syntax') saying where, what was found and what would
 * have been accepted. Comments are kept on the nodes for `pincow fmt`.
 */
import type { SourcePos } from '../model/errors.js';
import { PincowError, didYouMean } from '../model/errors.js';
import type {
  ActorBlock,
  Commented,
  DirectiveName,
  Expectation,
  Instr,
  ScenarioAst,
  SetupLine,
  Word,
} from './ast.js';

// ---------------------------------------------------------------- vocabulary

const DIRECTIVES: readonly DirectiveName[] = ['scenario', 'title', 'refs', 'check', 'depth'];
const KEYWORDS: readonly string[] = [...DIRECTIVES, 'expect'];
/** what a misspelt column-1 word is compared with */
const SUGGESTIONS: readonly string[] = [...KEYWORDS, 'setup:'];

const USAGE: Readonly<Record<string, string>> = {
  scenario: 'scenario NAME',
  title: 'title "TEXT"',
  refs: 'refs WORD...',
  check: 'check INV, INV...',
  depth: 'depth N',
  expect: 'expect INV holds|violated on RANGE, RANGE...',
};

/** A kind of word: what it may be made of, and how to describe it. */
interface Kind {
  readonly re: RegExp;
  readonly desc: string;
}

const ACTOR_START = /[A-Za-z][A-Za-z0-9_.-]*/y;

const K = {
  scenario: { re: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, desc: 'a scenario name (letters, digits and _ . -)' },
  ref: { re: /^[!-~]+$/, desc: 'a reference (printable ASCII, like seed:004 or a commit id)' },
  invariant: { re: /^[A-Za-z][A-Za-z0-9_.-]*$/, desc: 'an invariant name (like pin-coherent)' },
  range: { re: /^[A-Za-z0-9.<>=_-]+$/, desc: 'a kernel range (like 5.10, <=5.8, 5.9..5.18, E2..E4 or all)' },
  op: { re: /^[a-z][a-z0-9-]*$/, desc: 'an operation name (lowercase letters, digits and -, like mmap or dma-write)' },
  arg: { re: /^[A-Za-z0-9_.:-]+$/, desc: 'an argument (letters, digits and _ . : -)' },
  name: { re: /^[A-Za-z_][A-Za-z0-9_.-]*$/, desc: 'a name (letters, digits and _ . -)' },
} satisfies Record<string, Kind>;

// ---------------------------------------------------------------- helpers

function syntax(pos: SourcePos, message: string): never {
  throw new PincowError('syntax', message, pos);
}

/** Characters that would be invisible or confusing in a message. */
const INVISIBLE = /[\u007f-\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f\u2060\u3000\ufeff]/g;

/** A piece of input quoted for a message, cut short when long. */
function show(s: string): string {
  const chars = Array.from(s.slice(0, 100));
  const cut = chars.length > 40 || s.length > 100;
  const json = JSON.stringify(chars.slice(0, 40).join('') + (cut ? '...' : ''));
  return json.replace(INVISIBLE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function isBlank(ch: string): boolean {
  return ch === ' ' || ch === '\t';
}

/** A token ends at a blank, a separator or a quote. */
function isDelimiter(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === ';' || ch === ',' || ch === '"';
}

// ---------------------------------------------------------------- lines

/** One source line, split into code and trailing comment. */
class Line {
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
class Cursor {
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
function wordList(c: Cursor, kind: Kind, ctx: string, spaces: boolean): Word[] {
  const words = [c.word(kind, ctx)];
  for (;;) {
    if (c.atEnd()) return words;
    if (c.eat(',')) words.push(c.word(kind, ' after ","'));
    else if (spaces) words.push(c.word(kind, ''));
    else c.fail(`expected "," or end of line after ${show(words[words.length - 1]?.text ?? '')}, found ${c.found()}`);
  }
}

/** A double-quoted string with \" and \\ escapes; the cursor is on the quote. */
function quoted(c: Cursor): string {
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
function instr(c: Cursor): Instr {
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
function instrList(c: Cursor): Instr[] {
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
function withComments<T extends object>(node: T, leading: readonly string[], comment: string | undefined): T & Commented {
  return {
    ...node,
    ...(leading.length ? { leading } : {}),
    ...(comment !== undefined ? { comment } : {}),
  };
}

/** Instructions of one line: leading comments to the first, the line's comment to the last. */
function attach(instrs: Instr[], leading: readonly string[], comment: string | undefined): Instr[] {
  return instrs.map((ins, k) =>
    withComments(ins, k === 0 ? leading : [], k === instrs.length - 1 ? comment : undefined),
  );
}

// ---------------------------------------------------------------- the parser

type Section =
  | { readonly kind: 'none'; readonly afterExpect: boolean }
  | { readonly kind: 'setup'; readonly line: Line }
  | { readonly kind: 'actor'; readonly block: { actor: Word; instrs: Instr[]; leading: string[]; comment: string | undefined } };

class Parser {
  private name: Word | undefined;
  private title: string | undefined;
  private readonly refs: Word[] = [];
  private check: Word[] | undefined;
  private depth: number | undefined;
  /** where each directive / section was first seen */
  private readonly seen = new Map<string, number>();
  private readonly directiveComments: { [D in DirectiveName]?: string } = {};
  private readonly comments: string[] = [];
  /** standalone comment lines waiting for the next line to attach to */
  private pending: string[] = [];
  private readonly setup: SetupLine[] = [];
  private setupComments: Commented | undefined;
  private readonly actors: ActorBlock[] = [];
  private readonly expects: Expectation[] = [];
  private section: Section = { kind: 'none', afterExpect: false };
  /** line of the first section header, once there is one */
  private firstSection: number | undefined;

  constructor(private readonly file: string) {}

  parse(text: string): ScenarioAst {
    const lines = text.replace(/^\uFEFF/, '').split('\n');
    lines.forEach((raw, k) => this.line(new Line(this.file, k + 1, raw.endsWith('\r') ? raw.slice(0, -1) : raw)));
    this.closeSection();
    if (!this.name) syntax({ file: this.file, line: 1, col: 1 }, 'missing "scenario NAME" line: a scenario file starts with it (after any comment lines)');
    return this.result(this.name);
  }

  private result(name: Word): ScenarioAst {
    const dc = Object.keys(this.directiveComments).length ? { directiveComments: this.directiveComments } : {};
    return {
      file: this.file,
      name,
      title: this.title,
      refs: this.refs,
      check: this.check,
      depth: this.depth,
      setup: this.setup,
      actors: this.actors,
      expects: this.expects,
      comments: this.comments,
      ...dc,
      ...(this.setupComments ? { setupComments: this.setupComments } : {}),
      ...(this.pending.length ? { trailingComments: this.pending } : {}),
    };
  }

  private takePending(): string[] {
    const p = this.pending;
    this.pending = [];
    return p;
  }

  private line(l: Line): void {
    if (l.blank) {
      if (l.comment !== undefined) this.pending.push(l.comment);
    } else if (!this.name) this.first(l);
    else if (l.indented) this.indented(l);
    else this.column1(l);
  }

  // ------------------------------------------------ column-1 lines

  /** The first line that is not a comment must be `scenario NAME`. */
  private first(l: Line): void {
    const c = new Cursor(l, 0);
    const head = c.token();
    if (l.indented || head !== 'scenario') {
      const what = l.indented ? 'an indented line' : c.found();
      c.fail(`expected "scenario NAME" as the first line (after any comment lines), found ${what}${didYouMean(head, ['scenario'])}`);
    }
    this.directive(l, 'scenario', c);
  }

  private column1(l: Line): void {
    ACTOR_START.lastIndex = 0;
    const m = ACTOR_START.exec(l.code);
    const head = m ? m[0] : '';
    if (m && l.code.charAt(head.length) === ':') return this.header(l, head);
    const c = new Cursor(l, 0);
    if ((DIRECTIVES as readonly string[]).includes(head)) return this.directive(l, head as DirectiveName, c);
    if (head === 'expect') return this.expect(l, c);
    this.unknown(c, head);
  }

  /** A column-1 line that is nothing of the grammar. */
  private unknown(c: Cursor, head: string): never {
    const token = c.token();
    const words = c.line.code.trim().split(/[ \t]+/).length;
    let hint = didYouMean(token, SUGGESTIONS);
    if (!hint && words === 1 && head === token && head !== '')
      hint = ` (a section header ends with a colon, "${head}:"; an instruction must be indented)`;
    else if (!hint && head !== '') hint = ' (instructions must be indented)';
    if (this.firstSection === undefined)
      c.fail(`expected a directive (title, refs, check, depth), a section header (setup:, ACTOR:) or an expect line, found ${c.found()}${hint}`);
    return c.fail(`expected an indented instruction line or a section header (setup:, ACTOR:, expect ...), found ${c.found()}${hint}`);
  }

  private directive(l: Line, d: DirectiveName, c: Cursor): void {
    const first = this.seen.get(d);
    if (first !== undefined && d !== 'refs') l.fail(0, `duplicate "${d}" line; the first is at line ${first}`);
    if (this.firstSection !== undefined)
      l.fail(0, `"${d}" must come before the first section (line ${this.firstSection}): header directives go between "scenario" and "setup:" or the first ACTOR:`);
    this.seen.set(d, first ?? l.no);
    this.comments.push(...this.takePending());
    c.i = d.length;
    this.directiveBody(d, c);
    if (l.comment !== undefined) {
      const before = this.directiveComments[d];
      this.directiveComments[d] = before === undefined ? l.comment : `${before} ${l.comment}`;
    }
  }

  private directiveBody(d: DirectiveName, c: Cursor): void {
    switch (d) {
      case 'scenario':
        this.name = c.word(K.scenario, ' after "scenario"');
        return c.end('after the scenario name (a scenario name is one word)');
      case 'title':
        if (c.peek() !== '"') c.fail(`expected a double-quoted title after "title", like title "TEXT", found ${c.found()}`);
        this.title = quoted(c);
        return c.end('after the title');
      case 'refs':
        this.refs.push(...wordList(c, K.ref, ' after "refs"', true));
        return;
      case 'check':
        this.check = wordList(c, K.invariant, ' after "check"', true);
        return;
      case 'depth':
        this.depth = depthValue(c);
        return c.end('after the depth');
    }
  }

  /** `expect INV holds|violated on RANGE[, RANGE]...` */
  private expect(l: Line, c: Cursor): void {
    this.closeSection();
    this.section = { kind: 'none', afterExpect: true };
    const leading = this.takePending();
    const pos = l.pos(0);
    c.i = 'expect'.length;
    const invariant = c.word(K.invariant, ' after "expect"');
    const v = c.token();
    if (v !== 'holds' && v !== 'violated')
      c.fail(`expected "holds" or "violated" after the invariant name, found ${c.found()}${didYouMean(v, ['holds', 'violated'])}`);
    c.i += v.length;
    const on = c.token();
    if (on !== 'on') c.fail(`expected "on" after "${v}", found ${c.found()}${didYouMean(on, ['on'])}`);
    c.i += 2;
    const ranges = wordList(c, K.range, ' after "on"', false);
    this.expects.push(withComments({ invariant, verdict: v, ranges, pos }, leading, l.comment));
  }

  // ------------------------------------------------ sections

  /** `setup:` or `ACTOR:` at column 1. */
  private header(l: Line, name: string): void {
    if (KEYWORDS.includes(name))
      l.fail(0, `"${name}" is a directive, not a section header: write ${USAGE[name] ?? name} (no colon)`);
    if (name !== 'setup') {
      const hint = didYouMean(`${name}:`, SUGGESTIONS.map((s) => (s.endsWith(':') ? s : `${s}:`)));
      if (hint) l.fail(0, `expected "setup:" or an actor section such as P0:, P0.T1: or device:, found "${name}:"${hint}`);
    }
    this.closeSection();
    this.firstSection ??= l.no;
    const key = `${name}:`;
    const first = this.seen.get(key);
    if (first !== undefined)
      l.fail(0, `duplicate section "${key}"; the first is at line ${first} (put all of ${name === 'setup' ? 'the setup' : `${name}'s instructions`} in one section)`);
    this.seen.set(key, l.no);
    const c = new Cursor(l, name.length + 1);
    if (name === 'setup') this.openSetup(l, c);
    else this.openActor(l, c, { text: name, pos: l.pos(0) });
  }

  private openSetup(l: Line, c: Cursor): void {
    if (!c.atEnd())
      c.fail(`expected end of line after "setup:", found ${c.found()} (write each "ACTOR: INSTR; ..." setup line indented below it)`);
    this.setupComments = withComments({}, this.takePending(), l.comment);
    if (!this.setupComments.leading && this.setupComments.comment === undefined) this.setupComments = undefined;
    this.section = { kind: 'setup', line: l };
  }

  private openActor(l: Line, c: Cursor, actor: Word): void {
    const block = { actor, instrs: [] as Instr[], leading: this.takePending(), comment: l.comment };
    if (!c.atEnd()) {
      block.instrs.push(...attach(instrList(c), [], l.comment));
      block.comment = undefined;
    }
    this.section = { kind: 'actor', block };
  }

  /** Checks the open section is not empty and files it. */
  private closeSection(): void {
    const s = this.section;
    if (s.kind === 'setup' && this.setup.length === 0)
      s.line.fail(0, 'empty "setup:" section: expected indented lines "ACTOR: INSTR; ..." below it (setup lines must be indented)');
    if (s.kind === 'actor') {
      const b = s.block;
      if (b.instrs.length === 0)
        syntax(b.actor.pos, `section "${b.actor.text}:" has no instructions: expected indented instruction lines below it`);
      this.actors.push(withComments({ actor: b.actor, instrs: b.instrs }, b.leading, b.comment));
    }
    this.section = { kind: 'none', afterExpect: false };
  }

  // ------------------------------------------------ indented lines

  private indented(l: Line): void {
    const s = this.section;
    const c = new Cursor(l, 0);
    if (s.kind === 'none') {
      const why = s.afterExpect ? ' (an expect line ends the section above it)' : '';
      c.fail(`expected a section header (setup:, ACTOR:) before indented lines, found ${c.found()}${why}`);
    }
    if (s.kind === 'setup') this.setupLine(l, c);
    if (s.kind === 'actor') this.actorLine(l, c, s.block.instrs);
  }

  /** `  ACTOR: INSTR; INSTR...` in the setup section. */
  private setupLine(l: Line, c: Cursor): void {
    c.skipSpace();
    ACTOR_START.lastIndex = c.i;
    const m = ACTOR_START.exec(l.code);
    if (!m || l.code.charAt(c.i + m[0].length) !== ':')
      c.fail(`expected a setup line "ACTOR: INSTR; INSTR...", found ${c.found()}`);
    const actor = { text: m[0], pos: l.pos(c.i) };
    c.i += m[0].length + 1;
    if (c.atEnd()) c.fail(`expected instructions after "${actor.text}:" on the setup line, found end of line`);
    const instrs = instrList(c);
    this.setup.push(withComments({ actor, instrs }, this.takePending(), l.comment));
  }

  /** Instructions of the open actor section. */
  private actorLine(l: Line, c: Cursor, into: Instr[]): void {
    c.skipSpace();
    ACTOR_START.lastIndex = c.i;
    const m = ACTOR_START.exec(l.code);
    if (m && l.code.charAt(c.i + m[0].length) === ':')
      c.fail(`found section header "${m[0]}:" on an indented line: section headers start at column 1`);
    into.push(...attach(instrList(c), this.takePending(), l.comment));
  }
}

/** `depth N`: a positive integer. */
function depthValue(c: Cursor): number {
  const t = c.token();
  const n = /^[0-9]+$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) c.fail(`depth must be a positive integer, found ${c.found()}`);
  c.i += t.length;
  return n;
}

/** Parses a scenario file; `file` is used in positions and messages. */
export function parseScenario(text: string, file: string): ScenarioAst {
  return new Parser(file).parse(text);
}
