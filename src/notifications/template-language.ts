/**
 * The notification templates' language: plain text with `{{name}}` variables and sections,
 * a small subset of Mustache written here (no eval, no property access: a name is looked up
 * whole in a Map, so `{{constructor}}` or `{{__proto__}}` is just an unknown name).
 *
 * - `{{case.subject}}` inserts a value as it is (plain text; the HTML part of a mail is
 *   derived from the text afterwards and escaped there).
 * - `{{#offer}}…{{/offer}}` keeps its content only when `offer` has a value;
 *   `{{^offer}}…{{/offer}}` only when it has none.
 * - A section tag alone on its line takes the line with it, so sections can sit on their own
 *   lines without leaving blank lines behind (as in Mustache).
 *
 * `parseTemplate` never throws: it returns the problems (each with its line) beside the tree;
 * which names exist is for the caller to check (`tags`).
 */

export type TemplateNode =
  | { type: 'text'; text: string }
  | { type: 'var'; name: string }
  | { type: 'section'; name: string; inverted: boolean; children: TemplateNode[] };

export interface TemplateTag {
  kind: 'var' | 'section';
  name: string;
  line: number;
}

export interface SyntaxProblem {
  line: number;
  message: string;
}

export interface ParsedTemplate {
  nodes: TemplateNode[];
  /** Every variable and section named, in order (closing tags left out). */
  tags: TemplateTag[];
  problems: SyntaxProblem[];
}

/** Values by name; a section is "on" when its name has a non-empty value. */
export type TemplateValues = ReadonlyMap<string, string | null>;

const TAG = /^\s*([#^/]?)\s*([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)\s*$/;
/** Deeper nesting than this is refused (nobody needs it, and it bounds the renderer's recursion). */
export const MAX_SECTION_DEPTH = 8;

interface RawTag {
  sigil: '' | '#' | '^' | '/';
  name: string;
  /** Where the tag's text starts and ends, widened to its whole line when it stands alone. */
  from: number;
  to: number;
  line: number;
}

function lineAt(source: string, index: number): number {
  let line = 1;
  for (let i = source.indexOf('\n'); i !== -1 && i < index; i = source.indexOf('\n', i + 1)) line++;
  return line;
}

function show(inner: string): string {
  const text = `{{${inner}}}`;
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function scan(source: string, problems: SyntaxProblem[]): RawTag[] {
  const tags: RawTag[] = [];
  let pos = 0;
  while (pos < source.length) {
    const open = source.indexOf('{{', pos);
    if (open === -1) break;
    const close = source.indexOf('}}', open + 2);
    if (close === -1) {
      problems.push({ line: lineAt(source, open), message: '"{{" is not closed with "}}"' });
      break;
    }
    const inner = source.slice(open + 2, close);
    const match = TAG.exec(inner);
    if (!match) {
      problems.push({ line: lineAt(source, open), message: `${show(inner)} is not a variable: write names like {{case.subject}}` });
    } else {
      tags.push({ sigil: match[1] as RawTag['sigil'], name: match[2]!, from: open, to: close + 2, line: lineAt(source, open) });
    }
    pos = close + 2;
  }
  return tags;
}

/** A section tag alone on its line (only spaces around it) takes the whole line, newline included. */
function standAlone(source: string, tags: RawTag[]): void {
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i]!;
    if (tag.sigil === '') continue;
    const start = source.lastIndexOf('\n', tag.from - 1) + 1;
    const newline = source.indexOf('\n', tag.to);
    const end = newline === -1 ? source.length : newline;
    const alone = (tags[i - 1]?.to ?? 0) <= start && (tags[i + 1]?.from ?? Infinity) > end;
    if (alone && /^[ \t]*$/.test(source.slice(start, tag.from)) && /^[ \t\r]*$/.test(source.slice(tag.to, end))) {
      tag.from = start;
      tag.to = newline === -1 ? end : newline + 1;
    }
  }
}

export function parseTemplate(source: string): ParsedTemplate {
  const problems: SyntaxProblem[] = [];
  const raw = scan(source, problems);
  standAlone(source, raw);
  const root: TemplateNode[] = [];
  const stack: { name: string; line: number; children: TemplateNode[] }[] = [];
  const tags: TemplateTag[] = [];
  const current = () => stack.at(-1)?.children ?? root;
  let pos = 0;
  for (const tag of raw) {
    if (tag.from > pos) current().push({ type: 'text', text: source.slice(pos, tag.from) });
    pos = tag.to;
    if (tag.sigil === '') {
      current().push({ type: 'var', name: tag.name });
      tags.push({ kind: 'var', name: tag.name, line: tag.line });
    } else if (tag.sigil === '/') {
      const open = stack.at(-1);
      if (!open) {
        problems.push({ line: tag.line, message: `{{/${tag.name}}} closes a section that was never opened` });
      } else if (open.name !== tag.name) {
        problems.push({ line: tag.line, message: `{{/${tag.name}}} closes {{#${open.name}}} (line ${open.line}): close it with {{/${open.name}}} first` });
      } else {
        stack.pop();
      }
    } else {
      tags.push({ kind: 'section', name: tag.name, line: tag.line });
      if (stack.length >= MAX_SECTION_DEPTH) {
        problems.push({ line: tag.line, message: `sections are nested more than ${MAX_SECTION_DEPTH} deep` });
        continue;
      }
      const node: TemplateNode = { type: 'section', name: tag.name, inverted: tag.sigil === '^', children: [] };
      current().push(node);
      stack.push({ name: tag.name, line: tag.line, children: node.children });
    }
  }
  if (pos < source.length) current().push({ type: 'text', text: source.slice(pos) });
  for (const open of stack.reverse()) problems.push({ line: open.line, message: `{{#${open.name}}} is not closed with {{/${open.name}}}` });
  return { nodes: root, tags, problems };
}

function on(value: string | null | undefined): boolean {
  return typeof value === 'string' && value !== '';
}

/** Plain text: values inserted as they are, never parsed again. */
export function renderNodes(nodes: readonly TemplateNode[], values: TemplateValues): string {
  let out = '';
  for (const node of nodes) {
    if (node.type === 'text') out += node.text;
    else if (node.type === 'var') out += values.get(node.name) ?? '';
    else if (on(values.get(node.name)) !== node.inverted) out += renderNodes(node.children, values);
  }
  return out;
}
