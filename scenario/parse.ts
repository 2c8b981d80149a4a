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
import { didYouMean } from '../model/errors.js';
import type { ActorBlock, Commented, DirectiveName, Expectation, Instr, ScenarioAst, SetupLine, Word } from './ast.js';
import { DIRECTIVES, KEYWORDS, SUGGESTIONS, USAGE, ACTOR_START, K, syntax, Line, Cursor, wordList, quoted, instrList, withComments, attach } from './lex.js';

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
  private withs: Word[] | undefined;
  private withouts: Word[] | undefined;
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
      ...(this.withs ? { with: this.withs } : {}),
      ...(this.withouts ? { without: this.withouts } : {}),
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
      case 'with':
        this.withs = wordList(c, K.switch, ' after "with"', true);
        return;
      case 'without':
        this.withouts = wordList(c, K.switch, ' after "without"', true);
        return;
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
