/**
 * Header blocks written in raw 8-bit bytes of a legacy character set, made UTF-8 before a mail is
 * parsed. Headers should be ASCII with non-ASCII text in encoded words (RFC 2047), or UTF-8
 * (RFC 6532); older mailers, scripts (PHP's `mail()` with a Latin-1 subject), scanners and
 * Japanese phones still write `Subject: Grüße` or `From: Jürgen <…>` or
 * `filename="Überweisung.pdf"` as Latin-1, windows-1252 or Shift_JIS bytes. mailparser reads raw
 * header bytes as UTF-8 only, so those letters became U+FFFD for good: in the case's subject, in
 * the new customer's name (which a later mail never changes) and in file names.
 *
 * As mail clients do (Thunderbird's fallback), a header block that is not valid UTF-8 is read in
 * the character set its own Content-Type names, else the first one the mail names anywhere (its
 * text part's), else windows-1252 (the WHATWG reading of "Latin-1"), and handed on as UTF-8.
 * Blocks that are ASCII or valid UTF-8, and every body, are left byte for byte as they were; a
 * mail without such a block comes back as the same Buffer. The blocks are the mail's own and its
 * MIME parts' (found by their boundaries, with native searches: linear in the mail's size).
 */

import { isUtf8 } from 'node:buffer';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const FALLBACK = 'windows-1252';
/** More boundaries or part headers than any real mail has are left alone (a crafted mail costs no more than this). */
const MAX_BOUNDARIES = 64;
const MAX_BLOCKS = 2_000;

const BOUNDARY = /\bboundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))/gi;
const CHARSET = /\bcharset\s*=\s*"?([A-Za-z0-9_.:+-]{1,60})/i;

interface Block {
  start: number;
  end: number;
  /** Where the part's body ends: the next delimiter of its multipart, or the end of the mail. */
  bodyEnd: number;
}

function has8bit(raw: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (raw[i]! >= 0x80) return true;
  return false;
}

/**
 * No header block is longer: a longer "block" is left alone. A mail's own header may be long
 * (hundreds of Received lines, thousands of recipients); a part's is a few lines.
 */
const MAX_TOP_BLOCK = 1024 * 1024;
const MAX_PART_BLOCK = 16 * 1024;

/**
 * The end of the header block starting at `start`: just after the line break that ends its last
 * line; the end of the mail when it has no body; -1 when no block ends within `max` (searched
 * only that far, so many such parts cost no more than that each).
 */
function blockEnd(raw: Buffer, start: number, max: number): number {
  if (raw[start] === 0x0a || (raw[start] === 0x0d && raw[start + 1] === 0x0a)) return start;
  const window = raw.subarray(start, start + max + 2);
  const ends = [window.indexOf('\n\r\n'), window.indexOf('\n\n')].filter((i) => i >= 0);
  if (ends.length > 0) return start + Math.min(...ends) + 1;
  return start + window.length === raw.length ? raw.length : -1;
}

/** The boundaries a header block declares (a multipart's). */
function boundariesIn(text: string): string[] {
  return [...text.replace(/\r?\n[ \t]+/g, ' ').matchAll(BOUNDARY)].map((m) => (m[1] ?? m[2])!);
}

/** The mail's header block and every MIME part's, in no particular order. */
function headerBlocks(raw: Buffer): Block[] {
  const top = blockEnd(raw, 0, MAX_TOP_BLOCK);
  if (top < 0) return [];
  const blocks: Block[] = [{ start: 0, end: top, bodyEnd: raw.length }];
  const queue = boundariesIn(raw.toString('latin1', 0, top));
  const seen = new Set<string>();
  // Every part looked at counts, found or not: each costs a search of up to MAX_PART_BLOCK bytes.
  let looked = 0;
  while (queue.length > 0 && seen.size < MAX_BOUNDARIES && looked < MAX_BLOCKS) {
    const boundary = queue.shift()!;
    if (seen.has(boundary)) continue;
    seen.add(boundary);
    const delimiter = Buffer.from(`\n--${boundary}`, 'latin1');
    let previous: Block | null = null;
    for (let at = raw.indexOf(delimiter); at >= 0 && looked < MAX_BLOCKS; at = raw.indexOf(delimiter, at + delimiter.length)) {
      // The line break before a delimiter is the delimiter's.
      if (previous) previous.bodyEnd = Math.max(previous.end, raw[at - 1] === 0x0d ? at - 1 : at);
      previous = null;
      const after = at + delimiter.length;
      // The closing delimiter (`--boundary--`) opens no part.
      if (raw[after] === 0x2d && raw[after + 1] === 0x2d) continue;
      const lineEnd = raw.indexOf('\n', after);
      if (lineEnd < 0) break;
      const start = lineEnd + 1;
      looked++;
      const end = blockEnd(raw, start, MAX_PART_BLOCK);
      if (end < 0) continue;
      previous = { start, end, bodyEnd: raw.length };
      blocks.push(previous);
      queue.push(...boundariesIn(raw.toString('latin1', start, end)));
    }
  }
  return blocks;
}

/** windows-1252's letters at 0x80–0x9F (€ ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ); the five it leaves undefined stay as they are. */
const CP1252 = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** Bytes read as windows-1252 (what mail clients read "Latin-1" and unknown 8-bit text as). */
export function windows1252(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/[\x80-\x9f]/g, (c) => CP1252[c.charCodeAt(0) - 0x80]!);
}

type Decode = (bytes: Buffer) => string;

/**
 * A decoder for a charset label, null for UTF-8 and labels nobody knows. Node 20's TextDecoder
 * reads windows-1252 (and every label WHATWG maps to it: latin1, iso-8859-1, us-ascii…) as
 * ISO-8859-1, with C1 controls for € – “ ”: those are mapped here.
 */
function decoderFor(label: string | undefined): Decode | null {
  if (!label) return null;
  try {
    const decoder = new TextDecoder(label);
    if (decoder.encoding === 'utf-8') return null;
    if (decoder.encoding !== 'windows-1252') return (bytes) => decoder.decode(bytes);
    return windows1252;
  } catch {
    return null;
  }
}

/**
 * The raw mail as mailparser is to read it: text parts in the character set their bytes are in
 * (`textCharsetsCorrected`), then headers in UTF-8 (`headersAsUtf8`). The MIME structure is
 * found once; only a mail whose text parts were rewritten is looked at again.
 */
export function readableMail(raw: Buffer): Buffer {
  const blocks = headerBlocks(raw);
  const corrected = textCharsetsCorrected(raw, blocks);
  return headersAsUtf8(corrected, corrected === raw ? blocks : headerBlocks(corrected));
}

export function headersAsUtf8(raw: Buffer, found: Block[] = headerBlocks(raw)): Buffer {
  const blocks = found.filter((b) => b.end > b.start);
  const legacy = blocks.filter((b) => {
    if (!has8bit(raw, b.start, b.end)) return false;
    try {
      UTF8.decode(raw.subarray(b.start, b.end));
      return false;
    } catch {
      return true;
    }
  });
  if (legacy.length === 0) return raw;
  const charsetOf = (b: Block) => CHARSET.exec(raw.toString('latin1', b.start, b.end))?.[1];
  const mailWide = blocks
    .sort((a, b) => a.start - b.start)
    .map((b) => decoderFor(charsetOf(b)))
    .find((d) => d !== null);
  const out: Buffer[] = [];
  let pos = 0;
  for (const b of legacy.sort((x, y) => x.start - y.start)) {
    if (b.start < pos) continue;
    const decode = decoderFor(charsetOf(b)) ?? mailWide ?? decoderFor(FALLBACK)!;
    out.push(raw.subarray(pos, b.start), Buffer.from(decode(raw.subarray(b.start, b.end)), 'utf8'));
    pos = b.end;
  }
  out.push(raw.subarray(pos));
  return Buffer.concat(out);
}

/**
 * Text parts whose bytes are not in the character set they declare, relabelled before the mail
 * is parsed (as mail clients' "repair" readings do):
 * - declared UTF-8, US-ASCII or nothing, but not valid UTF-8 (an old mailer's or a PHP form's
 *   Latin-1 / windows-1252 bytes, which mailparser turned into U+FFFD): read as windows-1252;
 *   when it is UTF-8 with only some such bytes (Latin-1 pasted into a UTF-8 reply), the body is
 *   rewritten: its UTF-8 as it is, the other bytes as windows-1252;
 * - declared ISO-8859-1 / windows-1252 or another single-byte set, but valid UTF-8 with at least
 *   one multi-byte character (a mailer that labels everything Latin-1; "MÃ¼ller" before): read
 *   as UTF-8. Real Latin-1 text is next to never valid UTF-8 (a letter à–ÿ is followed by
 *   another letter, not by a byte 0x80–0xBF).
 * Only text/plain and text/html parts read as the mail's text; their bodies are decoded from
 * base64 or quoted-printable to be checked; a text file attached is kept as it came. Each part's
 * body is looked at once (never past the next part's header): linear in the mail's size.
 */
const SINGLE_BYTE = new Set(['ibm866', 'iso-8859-2', 'iso-8859-3', 'iso-8859-4', 'iso-8859-5', 'iso-8859-6', 'iso-8859-7', 'iso-8859-8', 'iso-8859-8-i', 'iso-8859-10', 'iso-8859-13', 'iso-8859-14', 'iso-8859-15', 'iso-8859-16', 'koi8-r', 'koi8-u', 'macintosh', 'windows-874', 'windows-1250', 'windows-1251', 'windows-1252', 'windows-1253', 'windows-1254', 'windows-1255', 'windows-1256', 'windows-1257', 'windows-1258', 'x-mac-cyrillic']);
const CONTENT_TYPE = /^content-type[ \t]*:[^\n]*(?:\n[ \t][^\n]*)*/im;
const CHARSET_PARAM = /(\bcharset[ \t]*=[ \t]*)(?:"[^"\r\n]*"|[^\s;"]*)/i;

function bodyBytes(head: string, body: Buffer): Buffer {
  const encoding = /^content-transfer-encoding[ \t]*:[ \t]*([A-Za-z0-9-]+)/im.exec(head)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.toString('latin1'), 'base64');
  if (encoding === 'quoted-printable') return fromQuotedPrintable(body);
  return body;
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** Quoted-printable bytes decoded (`=XX`, soft line breaks `=` at a line's end), in one pass. */
function fromQuotedPrintable(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(body.length);
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (byte === 0x3d) {
      if (body[i + 1] === 0x0a) {
        i += 1;
        continue;
      }
      if (body[i + 1] === 0x0d && body[i + 2] === 0x0a) {
        i += 2;
        continue;
      }
      const high = hexValue(body[i + 1] ?? 0);
      const low = hexValue(body[i + 2] ?? 0);
      if (high >= 0 && low >= 0) {
        out[n++] = high * 16 + low;
        i += 2;
        continue;
      }
    }
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

/** What a text part's bytes are to be read as, when not what it declares; null to leave it. */
function correctedCharset(declared: string | undefined, bytes: Buffer): string | null {
  const ascii = !declared || /^(us-?)?ascii$|^ansi_x3\.4-1968$/i.test(declared.trim());
  let label = 'utf-8';
  if (!ascii) {
    try {
      label = new TextDecoder(declared!.trim()).encoding;
    } catch {
      return null; // a set not known here: mailparser's own reading
    }
  }
  if (label !== 'utf-8' && !SINGLE_BYTE.has(label)) return null;
  if (!has8bit(bytes, 0, bytes.length)) return null;
  const utf8 = isUtf8(bytes);
  if (ascii || label === 'utf-8') return utf8 ? null : 'windows-1252';
  return utf8 ? 'utf-8' : null;
}

function inRange(bytes: Buffer, i: number, lo: number, hi: number): boolean {
  const b = bytes[i];
  return b !== undefined && b >= lo && b <= hi;
}

/** The length of the valid UTF-8 sequence at `i` (RFC 3629: no overlongs, surrogates or code points past U+10FFFF), 0 when there is none. */
function utf8Sequence(bytes: Buffer, i: number): number {
  const b = bytes[i]!;
  if (b >= 0xc2 && b <= 0xdf) return inRange(bytes, i + 1, 0x80, 0xbf) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) return inRange(bytes, i + 1, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf) && inRange(bytes, i + 2, 0x80, 0xbf) ? 3 : 0;
  if (b >= 0xf0 && b <= 0xf4) return inRange(bytes, i + 1, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf) && inRange(bytes, i + 2, 0x80, 0xbf) && inRange(bytes, i + 3, 0x80, 0xbf) ? 4 : 0;
  return 0;
}

/** The UTF-8 bytes of windows-1252's 0x80–0xFF, three a byte (unused ones 0). */
let windows1252Utf8: Uint8Array | null = null;
function windows1252AsUtf8(): Uint8Array {
  if (windows1252Utf8) return windows1252Utf8;
  const table = new Uint8Array(128 * 4);
  for (let k = 0; k < 128; k++) {
    const bytes = Buffer.from(windows1252(Buffer.from([0x80 + k])), 'utf8');
    table[k * 4] = bytes.length;
    table.set(bytes, k * 4 + 1);
  }
  windows1252Utf8 = table;
  return table;
}

/**
 * Text that is UTF-8 with some bytes that are not (an old Latin-1 mail pasted into a UTF-8
 * reply): the UTF-8 sequences as they are, every other 8-bit byte read as windows-1252; null
 * when it has no multi-byte UTF-8 at all (all windows-1252: relabelling is enough).
 */
function repairedUtf8(bytes: Buffer): Buffer | null {
  const table = windows1252AsUtf8();
  const out = Buffer.allocUnsafe(bytes.length * 3);
  let n = 0;
  let multiByte = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x80) {
      out[n++] = b;
      continue;
    }
    const length = utf8Sequence(bytes, i);
    if (length > 0) {
      multiByte = true;
      for (let k = 0; k < length; k++) out[n++] = bytes[i + k]!;
      i += length - 1;
    } else {
      const at = (b - 0x80) * 4;
      for (let k = 1; k <= table[at]!; k++) out[n++] = table[at + k]!;
    }
  }
  return multiByte ? out.subarray(0, n) : null;
}

const CHARSET_VALUE = /\bcharset[ \t]*=[ \t]*(?:"([^"\r\n]*)"|([^\s;"]*))/i;

export function textCharsetsCorrected(raw: Buffer, found: Block[] = headerBlocks(raw)): Buffer {
  const changes: { start: number; end: number; bytes: Buffer }[] = [];
  const blocks = [...found].sort((a, b) => a.start - b.start);
  for (const [i, block] of blocks.entries()) {
    const head = raw.toString('latin1', block.start, block.end);
    // A body ends where the next part's header starts at the latest: bodies never overlap (a crafted mail nesting delimiters in text costs no more).
    const bodyEnd = Math.max(block.end, Math.min(block.bodyEnd, blocks[i + 1]?.start ?? raw.length));
    const type = CONTENT_TYPE.exec(head)?.[0];
    // A part (or mail) without a Content-Type is text/plain (RFC 2045).
    if (type && !/^content-type[ \t]*:[ \t]*text\/(plain|html)\b/i.test(type)) continue;
    if (/^content-disposition[ \t]*:[ \t]*attachment/im.test(head)) continue;
    const found = type ? CHARSET_VALUE.exec(type) : null;
    const bytes = bodyBytes(head, raw.subarray(block.end, bodyEnd));
    const to = correctedCharset(found ? (found[1] ?? found[2]) : undefined, bytes);
    if (!to) continue;
    // UTF-8 with a few bytes that are not: the body itself repaired (as UTF-8, sent as 8bit), so neither reading spoils the other's letters.
    const blank = raw[block.end] === 0x0d && raw[block.end + 1] === 0x0a ? 2 : raw[block.end] === 0x0a ? 1 : 0;
    const repaired = to === 'windows-1252' ? repairedUtf8(bodyBytes(head, raw.subarray(block.end + blank, bodyEnd))) : null;
    if (repaired) {
      const rest = head.replace(/^content-(type|transfer-encoding)[ \t]*:[^\n]*\n(?:[ \t][^\n]*\n)*/gim, '');
      const relabelled = type ? type.replace(/\r$/, '').replace(CHARSET_PARAM, '').replace(/;(\s*;)+/g, ';').replace(/[ \t]*;[ \t]*$/, '') : 'Content-Type: text/plain';
      changes.push({ start: block.start, end: bodyEnd, bytes: Buffer.concat([Buffer.from(`${relabelled}; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n${rest}\r\n`, 'latin1'), repaired]) });
      continue;
    }
    let fixed: string;
    if (!type) fixed = `${head}Content-Type: text/plain; charset=${to}\r\n`;
    else {
      const cr = type.endsWith('\r') ? '\r' : '';
      const relabelled = found ? type.replace(CHARSET_PARAM, `$1${to}`) : `${type.replace(/\r$/, '').replace(/[ \t]*;?[ \t]*$/, '')}; charset=${to}${cr}`;
      fixed = head.replace(type, () => relabelled);
    }
    changes.push({ start: block.start, end: block.end, bytes: Buffer.from(fixed, 'latin1') });
  }
  if (changes.length === 0) return raw;
  const out: Buffer[] = [];
  let pos = 0;
  for (const change of changes) {
    if (change.start < pos) continue;
    out.push(raw.subarray(pos, change.start), change.bytes);
    pos = change.end;
  }
  out.push(raw.subarray(pos));
  return Buffer.concat(out);
}
