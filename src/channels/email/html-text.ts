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

/** Mailparser's limits: HTML beyond 5 MB is not converted; deeper than 1,000 elements is cut. */
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

/** The text of an HTML mail body ('' for HTML over MAX_HTML_LENGTH, which is not converted). */
export function htmlText(html: string): string {
  if (html.length > MAX_HTML_LENGTH) return '';
  // A block that ends in a line break (`Dan<br><img>` once the image says nothing) leaves an empty line: one blank line at most.
  return convert(html).replace(/\n[^\S\n]*(?:\n[^\S\n]*)+\n/g, '\n\n');
}
