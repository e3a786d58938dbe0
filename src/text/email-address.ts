/**
 * Email addresses in one form, wherever they are stored or compared: the local part in NFC and
 * lower case, the domain in its ASCII form (IDNA: `bücher.de` → `xn--bcher-kva.de`) and lower
 * case. Mail travels with either form of an internationalized domain (MTAs send the ASCII one,
 * SMTPUTF8 mail may carry the Unicode one, mailparser turns the ASCII one into Unicode), and
 * people type either: both are one customer. A local part with characters beyond ASCII
 * (`zoë@…`, RFC 6531) stays as written; it is delivered with SMTPUTF8.
 *
 * Which addresses are accepted: a dot-atom local part (RFC 5322 atext, plus any visible
 * character beyond ASCII), at most 64 bytes, and a domain of at least two labels (letters,
 * digits and hyphens in its ASCII form, a top-level label of letters or an `xn--` one), 254
 * characters in all. Quoted local parts, domain literals (`[192.0.2.1]`) and single-label
 * domains (`localhost`) are not customers' addresses.
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { z } from 'zod';

/**
 * A domain `domainToASCII` gives back as it is (lower-cased), so that most addresses skip its
 * IDNA processing: ASCII letters, digits, hyphens and dots, a last label that starts with a
 * letter (one that starts with a digit is read as an IPv4 address) and no `xn--` in it.
 */
const PLAIN_DOMAIN = /^(?:[a-z0-9-]*\.)*[a-z][a-z0-9-]*$/;

/** The domain in its ASCII form, lower-cased, without a final dot; '' when it is none. */
export function asciiDomain(domain: string): string {
  const trimmed = domain.trim().replace(/\.$/, '');
  if (trimmed === '') return '';
  const lower = trimmed.toLowerCase();
  if (PLAIN_DOMAIN.test(lower) && !lower.includes('xn--')) return lower;
  return domainToASCII(trimmed).toLowerCase();
}

/**
 * The one form of an address (see above). Something that is not an address comes back
 * trimmed and lower-cased, so it still fails validation and still compares as before.
 */
export function canonicalEmail(address: string): string {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return trimmed.toLowerCase();
  const local = trimmed.slice(0, at).normalize('NFC').toLowerCase();
  const domain = asciiDomain(trimmed.slice(at + 1));
  return domain === '' ? trimmed.toLowerCase() : `${local}@${domain}`;
}

/**
 * Whether mail to `address` can never be delivered: its domain is `invalid` or under it (RFC 2606
 * §2). Casebook gives such addresses to customers who have none — a caller known only by their
 * number (`caller-…@phone.invalid`), a withheld number, an erased customer — so mail to them is
 * skipped, never handed to the mail server (which would accept it and bounce it later).
 */
export function isUndeliverableAddress(address: string): boolean {
  const domain = address.trim().slice(address.trim().lastIndexOf('@') + 1).toLowerCase().replace(/\.$/, '');
  return domain === 'invalid' || domain.endsWith('.invalid');
}

/**
 * The forms an address may have been stored in before addresses had one form: the canonical one
 * and, for an internationalized domain, the Unicode one (mailparser's; case contacts were kept
 * as it gave them).
 */
export function storedForms(address: string): string[] {
  const canonical = canonicalEmail(address);
  const at = canonical.lastIndexOf('@');
  if (at <= 0 || !/(^|\.)xn--/.test(canonical.slice(at + 1))) return [canonical];
  const unicode = `${canonical.slice(0, at)}@${domainToUnicode(canonical.slice(at + 1))}`;
  return unicode === canonical || unicode.endsWith('@') ? [canonical] : [canonical, unicode];
}

/** RFC 5322 atext, and every character beyond ASCII but spaces, controls and format characters (bidi controls among them). */
const ATOM = /^(?:[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]|(?![\p{White_Space}\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}])[^\0-\x7F])+$/u;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LABEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** Whether `address` is one Casebook accepts for a person (see above); either form of the domain. */
export function isEmailAddress(address: string): boolean {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0) return false;
  const local = trimmed.slice(0, at).normalize('NFC');
  const rawDomain = trimmed.slice(at + 1);
  if (Buffer.byteLength(local, 'utf8') > 64 || !local.split('.').every((atom) => ATOM.test(atom))) return false;
  if (rawDomain.endsWith('.')) return false;
  const domain = asciiDomain(rawDomain);
  if (domain === '' || domain.length > 253) return false;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label)) || !TOP_LABEL.test(labels.at(-1)!)) return false;
  return `${local}@${domain}`.length <= 254;
}

/**
 * An address field (the API, forms, the mail channel's intake): what `isEmailAddress` accepts,
 * as typed (trimmed). Stored and compared in the canonical form (`canonicalEmail`, through
 * `normalizeEmail`): a signature over the address as typed (chat) still checks.
 */
export function emailField(message = 'Invalid email address') {
  return z.string({ error: message }).trim().max(254, 'at most 254 characters').refine(isEmailAddress, { message }).meta({ format: 'idn-email' });
}
