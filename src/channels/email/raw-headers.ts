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
  const blocks: Block[] = [{ start: 0, end: top }];
  const queue = boundariesIn(raw.toString('latin1', 0, top));
  const seen = new Set<string>();
  // Every part looked at counts, found or not: each costs a search of up to MAX_PART_BLOCK bytes.
  let looked = 0;
  while (queue.length > 0 && seen.size < MAX_BOUNDARIES && looked < MAX_BLOCKS) {
    const boundary = queue.shift()!;
    if (seen.has(boundary)) continue;
    seen.add(boundary);
    const delimiter = Buffer.from(`\n--${boundary}`, 'latin1');
    for (let at = raw.indexOf(delimiter); at >= 0 && looked < MAX_BLOCKS; at = raw.indexOf(delimiter, at + delimiter.length)) {
      const after = at + delimiter.length;
      // The closing delimiter (`--boundary--`) opens no part.
      if (raw[after] === 0x2d && raw[after + 1] === 0x2d) continue;
      const lineEnd = raw.indexOf('\n', after);
      if (lineEnd < 0) break;
      const start = lineEnd + 1;
      looked++;
      const end = blockEnd(raw, start, MAX_PART_BLOCK);
      if (end < 0) continue;
      blocks.push({ start, end });
      queue.push(...boundariesIn(raw.toString('latin1', start, end)));
    }
  }
  return blocks;
}

/** windows-1252's letters at 0x80–0x9F (€ ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ); the five it leaves undefined stay as they are. */
const CP1252 = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

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
    return (bytes) => bytes.toString('latin1').replace(/[\x80-\x9f]/g, (c) => CP1252[c.charCodeAt(0) - 0x80]!);
  } catch {
    return null;
  }
}

export function headersAsUtf8(raw: Buffer): Buffer {
  const blocks = headerBlocks(raw).filter((b) => b.end > b.start);
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
