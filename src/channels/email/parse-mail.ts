/**
 * A raw mail (RFC 5322 / MIME bytes) as the channel needs it, parsed by mailparser: character
 * sets (iconv-lite), encoded words, HTML-only mail turned into plain text (never kept or shown
 * as HTML), the threading headers, and what is attached (names decoded from encoded words and
 * RFC 2231 parameters, sizes, types, and the bytes).
 */
import { createHash } from 'node:crypto';
import type { AddressObject, Attachment, ParsedMail } from 'mailparser';
import type { IncomingFile } from '../../attachments/limits.js';
import { normalizeEmail } from '../../cases/customers.js';
import { addressRun } from '../../text/address-run.js';
import { clipText } from '../../text/clip-text.js';
import { cleanLine, cleanText } from '../../text/control-chars.js';
import { wellFormed } from '../../text/well-formed.js';
import { calendarText } from './calendar-text.js';
import { mailFingerprint } from './fingerprint.js';
import { htmlText, MAX_HTML_LENGTH } from './html-text.js';
import { partNames, type NamedPart } from './part-names.js';
import { readableMail, windows1252 } from './raw-headers.js';

export interface MailAddress {
  address: string;
  name: string;
}

export interface AttachmentInfo {
  filename: string;
  contentType: string;
  size: number;
}

export interface InboundMail {
  /** The Message-ID without angle brackets, or one derived from the bytes (`sha256-…@derived`). */
  messageId: string;
  derivedMessageId: boolean;
  /** What tells this mail from another that reuses its Message-ID (fingerprint.ts). */
  fingerprint: string;
  /** The Message-ID the mail came with, when another mail had taken it and it is kept by a derived id (receive-email.ts). */
  reusedMessageId?: string;
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  /** The Reply-To addresses (a web form's or a notifier's mail names the customer there). */
  replyTo: MailAddress[];
  subject: string;
  /** The plain text body (from the HTML part when there is no text part). */
  text: string;
  inReplyTo: string[];
  references: string[];
  attachments: AttachmentInfo[];
  /** The attached files with their bytes, in the mail's order (inline parts marked). */
  files: IncomingFile[];
  /** Addresses the mail was delivered to (Delivered-To, X-Original-To, Envelope-To). */
  deliveredTo: string[];
  parsed: ParsedMail;
}

/**
 * A value read from a header (a Message-ID, a media type, a file name, an address) without
 * control characters (C0, DEL, C1: none belongs there) and without half a surrogate pair (an
 * encoded word in UTF-16 cut short; U+FFFD instead). PostgreSQL stores neither a NUL (text,
 * jsonb) nor a lone surrogate (jsonb): one in a Message-ID or a file name was a 500 for that mail
 * for ever — over IMAP a mailbox stuck at it, every mail behind it unread; over SMTP a 451 its
 * sender retried for days.
 */
const HEADER_CONTROLS = /[\u0000-\u001F\u007F-\u009F]/g;

function withoutHeaderControls(value: string): string {
  return wellFormed(value.replace(HEADER_CONTROLS, ''));
}

/** The ids in a Message-ID, In-Reply-To or References value, without angle brackets (and control characters). */
export function messageIds(value: string | string[] | undefined): string[] {
  const list = withoutHeaderControls(Array.isArray(value) ? value.join(' ') : (value ?? ''));
  const ids = [...list.matchAll(/<([^<>\s]{1,500})>/g)].map((m) => m[1]!);
  if (ids.length > 0) return ids;
  return list
    .split(/\s+/)
    .map((id) => id.trim())
    .filter((id) => id.includes('@') && id.length <= 500);
}

export function derivedMessageId(raw: Buffer): string {
  return `sha256-${createHash('sha256').update(raw).digest('hex')}@derived.casebook`;
}

/** What the mail log names a mail by without parsing it: its Message-ID, or one derived from its bytes. */
export function loggedMessageId(raw: Buffer, head: { messageId: string | null } = headersOnly(raw)): string {
  return head.messageId ?? derivedMessageId(raw);
}

export function addresses(value: AddressObject | AddressObject[] | undefined): MailAddress[] {
  const objects = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const out: MailAddress[] = [];
  const visit = (entries: AddressObject['value']) => {
    for (const entry of entries) {
      if (entry.group) visit(entry.group);
      else if (entry.address && entry.address.includes('@')) out.push({ address: withoutHeaderControls(normalizeEmail(entry.address)), name: cleanLine(entry.name ?? '') });
    }
  };
  for (const object of objects) visit(object.value);
  return out;
}

function headerText(mail: ParsedMail, name: string): string[] {
  const lines = mail.headerLines.filter((line) => line.key === name).map((line) => line.line.slice(line.line.indexOf(':') + 1).trim());
  return lines;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The header block of a raw mail (its first 64 KB at most), folded lines joined: as UTF-8 (raw 8-bit headers) when it is that, else as latin1. */
function headerBlock(raw: Buffer): string {
  const bytes = raw.subarray(0, 64 * 1024);
  const ends = [bytes.indexOf('\r\n\r\n'), bytes.indexOf('\n\n')].filter((i) => i >= 0);
  const block = ends.length > 0 ? bytes.subarray(0, Math.min(...ends)) : bytes;
  let head: string;
  try {
    head = UTF8.decode(block);
  } catch {
    head = block.toString('latin1');
  }
  return head.replace(/\r?\n[ \t]+/g, ' ');
}

function headerField(block: string, name: string): string | null {
  return new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(block)?.[1]?.trim() ?? null;
}

/**
 * The text of a mail: its text parts, or its HTML converted (html-text.ts: tables row by row)
 * when the mail is HTML only — the whole mail one HTML part, or no text beside its HTML (an
 * HTML part with attachments, in multipart/alternative alone), which mailparser leaves empty.
 * A mail of text and HTML parts side by side keeps mailparser's joined text.
 */
function textOf(parsed: ParsedMail, htmlOnly: boolean): string {
  const text = parsed.text ?? '';
  if (typeof parsed.html === 'string' && (htmlOnly || text.trim() === '')) return htmlText(parsed.html);
  return text;
}

/** A calendar invitation's bytes as text: UTF-8 as iCalendar is, else (an old calendar program's Latin-1) windows-1252. */
function icsText(bytes: Buffer): string {
  const head = bytes.subarray(0, 256 * 1024);
  try {
    return UTF8.decode(head);
  } catch {
    return windows1252(head);
  }
}

/**
 * A mail with no text of its own but a calendar invitation (sent from Outlook's or Google's
 * calendar: only text/calendar) says what the invitation is (calendar-text.ts); the .ics stays a file.
 */
function withInvitation(text: string, parsed: ParsedMail): string {
  if (text.trim() !== '') return text;
  for (const part of parsed.attachments) {
    if (!/^(text\/calendar|application\/ics)$/i.test(part.contentType)) continue;
    const said = calendarText(icsText(part.content));
    if (said) return said;
  }
  return text;
}

function isInline(part: Attachment): boolean {
  return part.contentDisposition === 'inline' || part.related === true;
}

/** Mails attached whole whose subject names their file; more are named `message.eml` (each is a parse of its headers). */
const MAX_SUBJECT_NAMES = 50;

/** The parts to name, with the subject of each mail attached whole without a name of its own. */
async function namedParts(parsed: ParsedMail): Promise<NamedPart[]> {
  let subjects = 0;
  const parts: NamedPart[] = [];
  for (const part of parsed.attachments) {
    let subject: string | undefined;
    if (!part.filename && part.contentType === 'message/rfc822' && subjects++ < MAX_SUBJECT_NAMES) {
      subject = await headersParsed(part.content).then(
        (head) => cleanLine(head.subject ?? ''),
        () => undefined,
      );
    }
    parts.push({ part, inline: isInline(part), subject });
  }
  return parts;
}

let mailparser: Promise<typeof import('mailparser')> | undefined;

/**
 * mailparser, loaded with the first mail (a server that receives none never holds it) and then
 * kept: an `import()` a mail was ~2 % of the inbound pipeline's main thread (resolving the
 * module again each time).
 */
function loadMailparser(): Promise<typeof import('mailparser')> {
  mailparser ??= import('mailparser').catch((error: unknown) => {
    mailparser = undefined;
    throw error;
  });
  return mailparser;
}

export async function parseMail(raw: Buffer): Promise<InboundMail> {
  const { simpleParser } = await loadMailparser();
  // A mail that is one HTML part is converted here, not by mailparser as well.
  const htmlOnly = /^text\/html\b/i.test(headerField(headerBlock(raw), 'Content-Type') ?? '');
  // Headers in raw Latin-1 (or another legacy set) would lose their letters to U+FFFD: read as mail clients read them (raw-headers.ts);
  // so are text parts whose bytes are not in the set they declare (Latin-1 labelled UTF-8, UTF-8 labelled Latin-1).
  const parsed = await simpleParser(readableMail(raw), { skipHtmlToText: htmlOnly, skipTextLinks: true, skipImageLinks: true, maxHtmlLengthToParse: MAX_HTML_LENGTH });
  const ownId = messageIds(parsed.messageId)[0];
  const from = addresses(parsed.from)[0] ?? null;
  const names = partNames(await namedParts(parsed));
  // Control characters carry no text (malformed mail has NULs; terminal escapes recolour logs): removed from the subject, names and text;
  // half a surrogate pair (an encoded word in UTF-16 cut short) becomes U+FFFD, as PostgreSQL's jsonb takes no other.
  const subject = cleanLine(parsed.subject ?? '');
  const text = cleanText(withInvitation(textOf(parsed, htmlOnly), parsed));
  return {
    messageId: ownId ?? derivedMessageId(raw),
    derivedMessageId: ownId === undefined,
    fingerprint: mailFingerprint(parsed, from?.address ?? null, subject, text),
    from,
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    replyTo: addresses(parsed.replyTo),
    subject,
    text,
    inReplyTo: messageIds(parsed.inReplyTo),
    references: messageIds(parsed.references),
    // A part without a name is named by what it is (part-names.ts): `image-1.png`, `<its subject>.eml`, `attachment-1.pdf`.
    attachments: parsed.attachments.map((a, i) => ({ filename: withoutHeaderControls(names[i]!), contentType: withoutHeaderControls(a.contentType), size: a.size })),
    files: parsed.attachments.map((a, i) => ({
      name: withoutHeaderControls(names[i]!),
      mediaType: withoutHeaderControls(a.contentType),
      bytes: a.content,
      inline: isInline(a),
    })),
    deliveredTo: ['delivered-to', 'x-original-to', 'envelope-to'].flatMap((name) => headerText(parsed, name)).flatMap((v) => v.split(/[\s,]+/)).map((v) => normalizeEmail(v.replace(/^<|>$/g, ''))).filter((v) => v.includes('@')),
    parsed,
  };
}

/** The headers of a mail too large to parse, from its first bytes, parsed as a mail without a body (for the noise checks). */
export async function headersParsed(raw: Buffer): Promise<ParsedMail> {
  const { simpleParser } = await loadMailparser();
  return simpleParser(Buffer.from(`${headerBlock(raw)}\r\n\r\n`, 'utf8'));
}

/** The Message-ID, From and Subject of a mail too large to parse, from its first bytes. */
export function headersOnly(raw: Buffer): { messageId: string | null; from: string | null; subject: string | null } {
  const block = headerBlock(raw);
  const field = (name: string) => headerField(block, name);
  const from = field('From');
  const fromField = from === null ? null : withoutHeaderControls(from);
  // In linear time (address-run.ts): a From line of tens of thousands of `@`s held the process for seconds.
  const fromAddress = fromField ? (/<([^<>\s@]+@[^<>\s]+)>/.exec(fromField)?.[1] ?? addressRun(fromField, /[^\s<>"]+/g)) : null;
  const subject = field('Subject');
  return { messageId: messageIds(field('Message-ID') ?? '')[0] ?? null, from: fromAddress ? normalizeEmail(fromAddress) : null, subject: subject === null ? null : clipText(cleanLine(subject), 300) };
}
