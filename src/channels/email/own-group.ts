/**
 * The support address as a group (a Google Workspace group, a Mailman list) that delivers to
 * the mailbox Casebook reads. Such a group marks every mail it passes on as list mail
 * (`Precedence: list`, `List-ID: <support.example.com>`, `Mailing-list: list support@example.com`),
 * and rewrites the From of a sender whose domain publishes a strict DMARC policy to itself —
 * `'Jo' via Support <support@example.com>`, the sender in `X-Original-From` and `Reply-To`.
 * A mail passed on by our own group is a customer's mail to us, not one through a list: it is
 * acknowledged (noise.ts `noAutomaticAnswer`), and a rewritten From is read back from
 * `X-Original-From`, so it is neither our own mail (a loop) nor anyone else's.
 */
import type { ParsedMail } from 'mailparser';
import { canonicalEmail } from '../../text/email-address.js';
import { headerValues } from './header-values.js';
import { addresses, headersParsed, type InboundMail } from './parse-mail.js';
import { isSupportAddress } from './reply-address.js';
import { isOwnAddress, type EmailSettings } from './settings.js';

/** Whether the list that passed the mail on is the support address itself (its Mailing-list, List-Post or List-ID says so). */
export function fromOwnGroup(mail: ParsedMail, supportAddress: string): boolean {
  const ours = (address: string | undefined) => address !== undefined && isSupportAddress(supportAddress, canonicalEmail(address));
  if (headerValues(mail, 'mailing-list').some((v) => ours(/^list\s+([^\s;,]+)/i.exec(v)?.[1]))) return true;
  if (headerValues(mail, 'list-post').some((v) => [...v.matchAll(/<mailto:([^>?\s]+)/gi)].some((m) => ours(m[1])))) return true;
  const at = supportAddress.lastIndexOf('@');
  const listId = `${supportAddress.slice(0, at)}.${supportAddress.slice(at + 1)}`.toLowerCase();
  return headerValues(mail, 'list-id').some((v) => /<([^<>\s]+)>/.exec(v)?.[1]?.toLowerCase() === listId);
}

/**
 * The mail with its sender as written before our own group rewrote its From (`X-Original-From`);
 * the mail as it is otherwise — a From of ours without our group's marks stays ours (a loop).
 *
 * The group writes one `X-Original-From`, from the From it checked (the sender's domain's DMARC);
 * a header of the same name the sender wrote themselves is passed on as it is, beside the
 * group's. A mail with several is not read back: whichever we took might be the sender's own
 * (anyone with a strict-DMARC domain could send through the group as any customer), so it stays
 * ours — a loop, logged so.
 */
export async function withOriginalSender(settings: EmailSettings, mail: InboundMail): Promise<InboundMail> {
  if (!mail.from || !isSupportAddress(settings.supportAddress, mail.from.address) || !fromOwnGroup(mail.parsed, settings.supportAddress)) return mail;
  const originals = headerValues(mail.parsed, 'x-original-from');
  if (originals.length !== 1) return mail;
  const from = addresses((await headersParsed(Buffer.from(`From: ${originals[0]!}\r\n`, 'utf8'))).from)[0];
  if (!from || isOwnAddress(settings, from.address)) return mail;
  return { ...mail, from };
}
