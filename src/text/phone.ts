/**
 * Phone numbers in E.164 (`+4930123456`): how customers' numbers are stored and how a call's
 * caller is matched to a customer. People type numbers with spaces, dashes, dots, brackets
 * and `00` for `+`; all of those become the same E.164 string. A number without its country
 * code cannot be placed and is refused (no guessing of a default country).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const PHONE_HINT = 'with the country code, e.g. +49 30 1234567';

/**
 * `input` without its separators, with `00` as `+` and without a bracketed trunk zero after the
 * country code ("+44 (0)20 …" and "0044 (0)20 …" are not dialled with it): what is left to
 * check, or to match as the beginning of a number.
 */
export function compactPhone(input: string): string {
  let s = input.trim().replace(/^tel:/i, '').replace(/[\s\-./\u00a0]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  s = s.replace(/^(\+\d{1,3})\(0\)/, '$1');
  return s.replace(/[()]/g, '');
}

/** The E.164 form of `input`, or null when it is not a full international number. */
export function normalizePhone(input: string | null | undefined): string | null {
  if (!input) return null;
  const s = compactPhone(input);
  if (!/^\+[1-9]\d{6,14}$/.test(s)) return null;
  return s;
}

/** A form or API field holding a phone number: trimmed, empty → null, else E.164 or an issue. */
export const phoneField = z
  .string()
  .trim()
  .max(40, 'at most 40 characters')
  .nullable()
  .transform((v, ctx) => {
    if (v === null || v === '') return null;
    const e164 = normalizePhone(v);
    if (!e164) {
      ctx.addIssue({ code: 'custom', message: `not a phone number ${PHONE_HINT}` });
      return z.NEVER;
    }
    return e164;
  });

/**
 * Callers known only by their number get an address under `.invalid` (RFC 2606: never
 * resolves, never delivered), so the account is unique and mail to it is skipped, until
 * staff add the real address.
 */
export const CALLER_EMAIL_DOMAIN = 'phone.invalid';

export function callerOnlyEmail(e164: string): string {
  return `caller-${e164.slice(1)}@${CALLER_EMAIL_DOMAIN}`;
}

/**
 * What telephony providers send as the caller when the number was withheld: a word, nothing, or
 * (Twilio) a stand-in number for ANONYMOUS, UNKNOWN, RESTRICTED and BLOCKED.
 */
const WITHHELD = new Set(['', 'anonymous', 'restricted', 'private', 'withheld', 'unknown', 'unavailable', 'blocked', '+266696687', '+86282452253', '+7378742833', '+2562533']);

export function isWithheldNumber(raw: string | undefined): boolean {
  return WITHHELD.has((raw ?? '').trim().toLowerCase());
}

/**
 * The address of the caller of one call whose number was withheld: such callers cannot be told
 * apart, so each call is a customer (and a case) of its own, by the provider's call id.
 */
export function withheldCallerEmail(provider: string, callId: string): string {
  return `withheld-${createHash('sha256').update(`${provider}:${callId}`).digest('hex').slice(0, 20)}@${CALLER_EMAIL_DOMAIN}`;
}

export function isCallerOnlyEmail(address: string): boolean {
  return address.toLowerCase().endsWith(`@${CALLER_EMAIL_DOMAIN}`);
}
