/**
 * A mail an agent forwards to the support address on a customer's behalf (the customer wrote
 * to the agent directly): who originally wrote it, from the forwarded header block that mail
 * clients put in the text (Gmail, Apple Mail, Thunderbird, Outlook, in several languages) or
 * from a mail attached whole (`message/rfc822`, Outlook's "forward as attachment"), and the
 * subject without its Fwd:/FW:/WG:/TR: prefixes.
 */
import { normalizeEmail } from '../../cases/customers.js';
import { addressRun } from '../../text/address-run.js';
import { parseMail, type InboundMail, type MailAddress } from './parse-mail.js';

const FORWARD_SUBJECT = /^\s*((fwd?|fw|wg|tr|rv|enc|vs|vl|doorst)\s*:\s*)+/i;
const MARKER = /^\s*(begin forwarded message:?|-{2,}\s*(forwarded message|original message|weitergeleitete nachricht|ursprüngliche nachricht|message transféré|message d'origine|mensaje reenviado|mensaje original|messaggio inoltrato|messaggio originale)\s*-{2,}|_{20,})\s*$/i;
const FROM_LINE = /^\s*\*?(from|von|de|da|van|från|fra)\s*:\*?\s*(.+)$/i;
/** Runs of the characters an address in a header line is written with (addressRun: in linear time). */
const ADDRESS_CHARS = /[^\s<>"'[\]():;,]+/g;

export interface Forwarded {
  from: MailAddress;
  subject: string;
  /**
   * A mail forwarded as an attachment, as text (a forwarded header block and its text) for the
   * description after the agent's words; null for a forward in the text, which has it already.
   */
  attached: string | null;
}

function addressIn(value: string): MailAddress | null {
  // The part before the `@` holds none (one `@` fixes the split): a class with `@` in it backtracked over a long run of them.
  const bracketed = /<\s*(?:mailto:)?([^\s<>@]+@[^\s<>]+)\s*>|\[mailto:([^\s\]@]+@[^\s\]]+)\]/i.exec(value);
  const bare = bracketed ? null : addressRun(value, ADDRESS_CHARS, true);
  const address = bracketed?.[1] ?? bracketed?.[2] ?? bare;
  if (!address) return null;
  const outside = value.replace(/<[^>]*>|\[mailto:[^\]]*\]/gi, '');
  const name = outside
    .replace(addressRun(outside, ADDRESS_CHARS, true) ?? '', '')
    .replace(/["*]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return { address: normalizeEmail(address), name };
}

/** The From of the first forwarded header block in the text: the lines after a marker, or a From line followed by Date/Sent/Subject/To. */
function fromText(text: string): MailAddress | null {
  const lines = text.split('\n').map((line) => line.replace(/^(>\s?)+/, ''));
  for (let i = 0; i < lines.length; i++) {
    if (!MARKER.test(lines[i]!)) continue;
    for (let k = i + 1; k < Math.min(lines.length, i + 8); k++) {
      const from = FROM_LINE.exec(lines[k]!);
      if (from) return addressIn(from[2]!);
    }
  }
  return null;
}

export function isForward(mail: InboundMail): boolean {
  return FORWARD_SUBJECT.test(mail.subject) || mail.files.some((f) => f.mediaType === 'message/rfc822') || fromText(mail.text) !== null;
}

/** An address as a header shows it: `Name <address>`. */
function shown(a: MailAddress): string {
  return a.name ? `${a.name} <${a.address}>` : a.address;
}

/** The attached mail as a forwarded header block and its text, the way mail clients forward in the text. */
function forwardedText(original: InboundMail): string {
  const date = original.parsed.date;
  const header = [
    '---------- Forwarded message ---------',
    `From: ${shown(original.from!)}`,
    ...(date && !Number.isNaN(date.getTime()) ? [`Date: ${date.toUTCString()}`] : []),
    `Subject: ${original.subject}`,
    ...(original.to.length > 0 ? [`To: ${original.to.map(shown).join(', ')}`] : []),
  ];
  return `${header.join('\n')}\n\n${original.text.trim()}`;
}

/**
 * Who wrote the mail an agent forwarded, or null when it is not a forward or names no address.
 * A mail attached whole is parsed like any mail (encoded words, character sets, HTML), so its
 * sender's name is decoded and its text joins the agent's words in the description.
 */
export async function forwardedOriginal(mail: InboundMail): Promise<Forwarded | null> {
  if (!isForward(mail)) return null;
  const subject = mail.subject.replace(FORWARD_SUBJECT, '').trim();
  const inline = fromText(mail.text);
  if (inline) return { from: inline, subject, attached: null };
  const attached = mail.files.find((f) => f.mediaType === 'message/rfc822');
  if (!attached) return null;
  let original: InboundMail;
  try {
    original = await parseMail(Buffer.from(attached.bytes.buffer, attached.bytes.byteOffset, attached.bytes.byteLength));
  } catch {
    return null;
  }
  if (!original.from) return null;
  return { from: original.from, subject: subject || original.subject, attached: forwardedText(original) };
}
