import { describe, expect, it } from 'vitest';
import { contentDisposition, declaredMediaType, sanitizeFileName, servedMediaType } from './file-name.js';

describe('sanitizeFileName', () => {
  it.each([
    ['invoice-2026-03.pdf', 'invoice-2026-03.pdf'],
    ['Überweisung März.pdf', 'Überweisung März.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\ann\\report.docx', 'report.docx'],
    ['.htaccess', 'htaccess'],
    ['\u202Egnp.exe', 'gnp.exe'],
    ['a\u0000b\u0007c.txt', 'abc.txt'],
    ['"quoted" <name>.txt', '_quoted_ _name_.txt'],
    ['  spaced   out  .txt  ', 'spaced out .txt'],
    ['', 'attachment'],
    ['../', 'attachment'],
    [null, 'attachment'],
  ])('%j → %j', (raw, expected) => {
    expect(sanitizeFileName(raw)).toBe(expected);
  });

  it('takes linear time on a long name of dots and spaces (the trailing trim took 2 s at 32,000 characters)', () => {
    const started = performance.now();
    expect(sanitizeFileName(`a${' .'.repeat(100_000)}x`)).toHaveLength(200);
    expect(sanitizeFileName(`report${' .'.repeat(100_000)}`)).toBe('report');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('shortens long names to 200 characters, keeping the extension', () => {
    const name = sanitizeFileName(`${'x'.repeat(500)}.pdf`);
    expect([...name]).toHaveLength(200);
    expect(name.endsWith('.pdf')).toBe(true);
  });
});

describe('contentDisposition', () => {
  it('is an attachment with an ASCII filename and the exact UTF-8 name in filename* (RFC 5987)', () => {
    expect(contentDisposition('Überweisung März.pdf')).toBe(`attachment; filename="Uberweisung Marz.pdf"; filename*=UTF-8''%C3%9Cberweisung%20M%C3%A4rz.pdf`);
    expect(contentDisposition('報告.txt')).toBe(`attachment; filename="__.txt"; filename*=UTF-8''%E5%A0%B1%E5%91%8A.txt`);
    expect(contentDisposition('plain.txt')).toBe(`attachment; filename="plain.txt"; filename*=UTF-8''plain.txt`);
  });

  it('cannot be broken out of: quotes, backslashes, line breaks and percent signs never reach the header raw', () => {
    const header = contentDisposition('a"; filename="evil.html\r\nSet-Cookie: x=1\\%41.txt');
    expect(header).not.toMatch(/[\r\n]/);
    expect(header.match(/"/g)).toHaveLength(2);
    expect(header).toMatch(/^attachment; filename="[^"\\]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+$/);
  });
});

describe('media types', () => {
  it('keeps a declared type without parameters; anything that is not one becomes octet-stream', () => {
    expect(declaredMediaType('Application/PDF; name="x.pdf"')).toBe('application/pdf');
    expect(declaredMediaType('text/html')).toBe('text/html');
    expect(declaredMediaType('not a type')).toBe('application/octet-stream');
    expect(declaredMediaType('')).toBe('application/octet-stream');
  });

  it('serves only allow-listed types as themselves: never HTML, SVG, XML or scripts', () => {
    expect(servedMediaType('application/pdf')).toBe('application/pdf');
    expect(servedMediaType('image/png')).toBe('image/png');
    for (const risky of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'text/xml', 'application/javascript', 'text/javascript']) {
      expect(servedMediaType(risky), risky).toBe('application/octet-stream');
    }
  });
});
