/**
 * The canonical text of a scenario (`pincow fmt`): ScenarioAst to text.
 *
 * Layout: the top comment lines, the header directives in a fixed order
 * (scenario, title, refs on one line, check, depth), a blank line, `setup:`
 * with one indented `ACTOR: INSTR; INSTR` line per setup line, each actor
 * section with one instruction per indented line, then the expect lines.
 * Every comment the parser kept is printed back; comments at the end of the
 * lines of a block (the header, a section, the expect lines) are aligned.
 * formatScenario(parseScenario(formatScenario(ast))) is a fixed point.
 */
import type { Commented, Expectation, Instr, ScenarioAst, SetupLine, Word } from './ast.js';

/** End-of-line comments start at least at this column (1-based)... */
const COMMENT_COL = 19;
/** ...and lines longer than this do not push the others' comments right. */
const MAX_ALIGN_COL = 49;

const INDENT = '  ';

/** A line of code with its end-of-line comment, before alignment. */
interface Row {
  readonly code: string;
  readonly comment?: string | undefined;
}

/** A comment as written, or `# TEXT` for one given without its `#`. */
function asComment(s: string): string {
  const t = s.replace(/\n/g, ' ').trim();
  return t.startsWith('#') ? t : `# ${t}`.trimEnd();
}

/** Standalone comment lines, one per line of each comment. */
function commentLines(comments: readonly string[] | undefined, indent = ''): string[] {
  return (comments ?? []).flatMap((c) => c.split(/\r?\n/)).map((c) => indent + asComment(c));
}

/** Pads the commented rows of a block so that their comments line up. */
function align(rows: readonly Row[]): string[] {
  const widths = rows
    .filter((r) => r.comment !== undefined && r.code.length + 2 < MAX_ALIGN_COL)
    .map((r) => r.code.length + 2);
  const width = Math.max(COMMENT_COL - 1, ...widths);
  return rows.map((r) => {
    if (r.comment === undefined) return r.code;
    const pad = Math.max(2, width - r.code.length);
    return r.code + ' '.repeat(pad) + asComment(r.comment);
  });
}

/** A block of rows, each possibly preceded by standalone comment lines. */
function block(items: readonly { rows: readonly Row[]; leading: readonly string[] }[]): string[] {
  const aligned = align(items.flatMap((i) => i.rows));
  const out: string[] = [];
  let k = 0;
  for (const item of items) {
    out.push(...item.leading);
    for (let j = 0; j < item.rows.length; j++) out.push(aligned[k++] ?? '');
  }
  return out;
}

function quote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function words(ws: readonly Word[]): string {
  return ws.map((w) => w.text).join(' ');
}

/** `OP ARG... [as NAME]` */
export function formatInstr(i: Instr): string {
  return [i.op.text, ...i.args.map((a) => a.text), ...(i.as ? ['as', i.as.text] : [])].join(' ');
}

function formatExpect(e: Expectation): string {
  return `expect ${e.invariant.text} ${e.verdict} on ${e.ranges.map((r) => r.text).join(', ')}`;
}

function headerLines(ast: ScenarioAst): string[] {
  const dc = ast.directiveComments ?? {};
  const rows: Row[] = [{ code: `scenario ${ast.name.text}`, comment: dc.scenario }];
  if (ast.title !== undefined) rows.push({ code: `title ${quote(ast.title)}`, comment: dc.title });
  if (ast.refs.length) rows.push({ code: `refs ${words(ast.refs)}`, comment: dc.refs });
  if (ast.check?.length) rows.push({ code: `check ${ast.check.map((w) => w.text).join(', ')}`, comment: dc.check });
  if (ast.depth !== undefined) rows.push({ code: `depth ${ast.depth}`, comment: dc.depth });
  if (ast.with?.length) rows.push({ code: `with ${ast.with.map((w) => w.text).join(', ')}`, comment: dc.with });
  if (ast.without?.length) rows.push({ code: `without ${ast.without.map((w) => w.text).join(', ')}`, comment: dc.without });
  return [...commentLines(ast.comments), ...align(rows)];
}

/** A section header line and its comments, as a block item. */
function headerItem(code: string, c: Commented | undefined): { rows: Row[]; leading: string[] } {
  return { rows: [{ code, comment: c?.comment }], leading: commentLines(c?.leading) };
}

function setupLines(setup: readonly SetupLine[], c: Commented | undefined): string[] {
  if (setup.length === 0) return [];
  const lines = setup.map((s) => ({
    rows: [{ code: `${INDENT}${s.actor.text}: ${s.instrs.map(formatInstr).join('; ')}`, comment: s.comment }],
    leading: commentLines(s.leading, INDENT),
  }));
  return block([headerItem('setup:', c), ...lines]);
}

function actorLines(ast: ScenarioAst): string[] {
  return ast.actors.flatMap((a) =>
    block([
      headerItem(`${a.actor.text}:`, a),
      ...a.instrs.map((i) => ({
        rows: [{ code: INDENT + formatInstr(i), comment: i.comment }],
        leading: commentLines(i.leading, INDENT),
      })),
    ]),
  );
}

function expectLines(expects: readonly Expectation[]): string[] {
  return block(expects.map((e) => ({ rows: [{ code: formatExpect(e), comment: e.comment }], leading: commentLines(e.leading) })));
}

/** The canonical text of a scenario, ending with a newline. */
export function formatScenario(ast: ScenarioAst): string {
  const body = [
    ...setupLines(ast.setup, ast.setupComments),
    ...actorLines(ast),
    ...expectLines(ast.expects),
    ...commentLines(ast.trailingComments),
  ];
  const lines = body.length ? [...headerLines(ast), '', ...body] : headerLines(ast);
  return lines.join('\n') + '\n';
}
