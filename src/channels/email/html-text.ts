/**
 * HTML-only mail as plain text, the way mailparser converts it (html-to-text: paragraphs,
 * line breaks, lists, links as `text [url]`, scripts and styles dropped, entities decoded) but
 * with tables readable: each row on a line of its own, its cells separated by ` | `, so
 * "Order | Amount" / "1042 | 99.00" do not run together into "OrderAmount104299.00". A cell
 * that holds blocks (a layout table: newsletters and signatures are built of them) is not a
 * figure in a row: its cells become paragraphs. Empty cells (spacers) leave nothing.
 * An image is its description (`[image: Error screen]`, as Gmail's text part writes it), never its
 * address: a pasted screenshot or an Outlook signature logo (`src="cid:image001.png@01DA…"`,
 * stored as an inline file) and a tracking pixel (`src="https://…"`) said `[cid:image001.png@…]`
 * and `[https://track…/pixel.gif]` in the request; an image without a description says nothing.
 */
import { compile, type BlockTextBuilder, type DomNode, type FormatCallback, type RecursiveCallback, type TableCell } from 'html-to-text';

/** Mailparser's limits: HTML beyond 5 MB, or nested deeper than 1,000 elements, is not converted. */
export const MAX_HTML_LENGTH = 5 * 1024 * 1024;
const MAX_DEPTH = 1000;

/** Rows of single-line cells are lines (`a | b`); a row with a cell of several lines is a run of paragraphs. */
function tableText(rows: TableCell[][]): string {
  const parts: { text: string; block: boolean }[] = [];
  for (const row of rows) {
    const cells = row.map((cell) => cell.text.trim()).filter((text) => text !== '');
    if (cells.length === 0) continue;
    const block = cells.some((text) => text.includes('\n'));
    parts.push({ text: cells.join(block ? '\n\n' : ' | '), block });
  }
  return parts.map((part, i) => (i === 0 ? part.text : `${part.block || parts[i - 1]!.block ? '\n\n' : '\n'}${part.text}`)).join('');
}

const formatTable: FormatCallback = (elem: DomNode, walk: RecursiveCallback, builder: BlockTextBuilder) => {
  const visit = (node: DomNode): void => {
    if (node.type !== 'tag') return;
    if (node.name === 'thead' || node.name === 'tbody' || node.name === 'tfoot') {
      for (const child of node.children ?? []) visit(child);
    } else if (node.name === 'tr') {
      builder.openTableRow();
      for (const cell of node.children ?? []) {
        if (cell.type !== 'tag' || (cell.name !== 'td' && cell.name !== 'th')) continue;
        // No wrapping inside a cell: a line break in a cell is one the HTML made.
        builder.openTableCell({ maxColumnWidth: Number.MAX_SAFE_INTEGER });
        walk(cell.children, builder);
        builder.closeTableCell();
      }
      builder.closeTableRow();
    }
  };
  builder.openTable();
  for (const child of elem.children ?? []) visit(child);
  builder.closeTable({ tableToString: tableText, leadingLineBreaks: 2, trailingLineBreaks: 2 });
};

const formatImage: FormatCallback = (elem: DomNode, _walk: RecursiveCallback, builder: BlockTextBuilder) => {
  const alt = (elem.attribs?.alt ?? '').replace(/\s+/g, ' ').trim();
  if (alt !== '') builder.addInline(`[image: ${alt}]`);
};

const convert = compile({
  formatters: { mailTable: formatTable, mailImage: formatImage },
  selectors: [
    { selector: 'table', format: 'mailTable' },
    { selector: 'img', format: 'mailImage' },
  ],
  limits: { maxDepth: MAX_DEPTH, maxInputLength: MAX_HTML_LENGTH },
});

/** Elements that hold nothing: their start tag opens no level. */
const VOID_ELEMENTS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
/** Elements the parser closes when a sibling opens (`<li>` after `<li>`, `<td>` after `<td>`): a run of them does not nest. */
const IMPLIED_END_ELEMENTS = new Set(['p', 'li', 'dt', 'dd', 'option', 'optgroup', 'tr', 'td', 'th', 'thead', 'tbody', 'tfoot', 'rt', 'rp']);
const TAG_OR_COMMENT = /<!--|<(\/?)([A-Za-z][A-Za-z0-9:_-]*)/g;

/**
 * Whether the HTML nests elements deeper than `max`, in one pass that follows what the parser
 * builds: a start tag opens a level, an end tag closes down to the nearest open element of its
 * name (none open: ignored), comments are skipped. The parser under html-to-text (htmlparser2)
 * takes time that grows with the square of the depth, before html-to-text's `maxDepth` applies:
 * an HTML-only mail of 200,000 unclosed `<div>`s (1 MB) held the server's one thread for 53 s,
 * 400,000 for over 3 minutes. (Mailparser checks the same before converting HTML itself.)
 */
export function nestedDeeperThan(html: string, max: number): boolean {
  const stack: string[] = [];
  const open = new Map<string, number>();
  const tags = new RegExp(TAG_OR_COMMENT.source, 'g');
  for (let m = tags.exec(html); m !== null; m = tags.exec(html)) {
    if (m[0] === '<!--') {
      const end = html.indexOf('-->', tags.lastIndex);
      if (end < 0) return false;
      tags.lastIndex = end + 3;
      continue;
    }
    const end = html.indexOf('>', tags.lastIndex);
    if (end < 0) return false;
    tags.lastIndex = end + 1;
    const name = m[2]!.toLowerCase();
    if (VOID_ELEMENTS.has(name) || IMPLIED_END_ELEMENTS.has(name)) continue;
    if (m[1] !== '/') {
      stack.push(name);
      open.set(name, (open.get(name) ?? 0) + 1);
      if (stack.length > max) return true;
    } else if (open.get(name)) {
      let closed: string;
      do {
        closed = stack.pop()!;
        open.set(closed, open.get(closed)! - 1);
      } while (closed !== name);
    }
  }
  return false;
}

/** The text of an HTML mail body ('' for HTML over MAX_HTML_LENGTH or nested deeper than MAX_DEPTH, which is not converted). */
export function htmlText(html: string): string {
  if (html.length > MAX_HTML_LENGTH || nestedDeeperThan(html, MAX_DEPTH)) return '';
  // A block that ends in a line break (`Dan<br><img>` once the image says nothing) leaves an empty line: one blank line at most.
  return convert(html).replace(/\n[^\S\n]*(?:\n[^\S\n]*)+\n/g, '\n\n');
}
