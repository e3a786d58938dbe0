/**
 * The part of html-to-text (https://github.com/html-to-text/node-html-to-text, v10; no types of
 * its own) that src/channels/email/html-text.ts uses: `compile` with selectors and formatters.
 */
declare module 'html-to-text' {
  /** A node of the parsed document (htmlparser2's domhandler). */
  export interface DomNode {
    type: string;
    name?: string;
    attribs?: Record<string, string>;
    children?: DomNode[];
    data?: string;
  }

  /** A table's cell as the builder hands it to `tableToString`. */
  export interface TableCell {
    colspan: number;
    rowspan: number;
    text: string;
  }

  export interface BlockTextBuilder {
    addInline(text: string, options?: { noWordTransform?: boolean }): void;
    openTable(): void;
    openTableRow(): void;
    openTableCell(options?: { maxColumnWidth?: number }): void;
    closeTableCell(options?: { colspan?: number; rowspan?: number }): void;
    closeTableRow(): void;
    closeTable(options: { tableToString: (rows: TableCell[][]) => string; leadingLineBreaks?: number; trailingLineBreaks?: number }): void;
  }

  export type RecursiveCallback = (nodes: DomNode[] | undefined, builder: BlockTextBuilder) => void;
  export type FormatCallback = (elem: DomNode, walk: RecursiveCallback, builder: BlockTextBuilder, formatOptions: Record<string, unknown>) => void;

  export interface SelectorDefinition {
    selector: string;
    format?: string;
    options?: Record<string, unknown>;
  }

  export interface HtmlToTextOptions {
    wordwrap?: number | false | null;
    formatters?: Record<string, FormatCallback>;
    selectors?: SelectorDefinition[];
    limits?: { ellipsis?: string; maxBaseElements?: number; maxChildNodes?: number; maxDepth?: number; maxInputLength?: number };
  }

  export function compile(options?: HtmlToTextOptions): (html: string) => string;
  export function convert(html: string, options?: HtmlToTextOptions): string;
  export { convert as htmlToText };
}
