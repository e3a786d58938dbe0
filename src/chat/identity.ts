/**
 * Visitors identified by the host site: its server signs the signed-in user's e-mail with
 * the site's secret (hex HMAC-SHA256) and hands the widget `{ email, name, signature, exp? }`
 * (`data-user-*` on the script tag). A valid signature makes the chat's customer that e-mail,
 * marked `verified`.
 *
 * What is signed: the lower-cased, trimmed address; with an expiry, the address, a newline
 * and `exp` (epoch seconds, decimal): `HMAC(secret, "ann@example.com\n1767225600")`. A
 * signature with `exp` is refused from that second on; one without `exp` (the original form,
 * still accepted) is good until the site's secret is replaced.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type IdentityCheck = 'valid' | 'invalid' | 'expired';

export function identityPayload(email: string, exp?: number): string {
  const address = email.trim().toLowerCase();
  return exp === undefined ? address : `${address}\n${exp}`;
}

export function signIdentity(secret: string, email: string, exp?: number): string {
  return createHmac('sha256', secret).update(identityPayload(email, exp)).digest('hex');
}

/** The signature first (so an altered `exp` is `invalid`, not `expired`), then the expiry against `nowMs`. */
export function verifyIdentity(secret: string, email: string, signature: string, exp: number | undefined, nowMs: number): IdentityCheck {
  if (!/^[0-9a-f]{64}$/i.test(signature)) return 'invalid';
  const expected = Buffer.from(signIdentity(secret, email, exp), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature.toLowerCase(), 'hex'))) return 'invalid';
  return exp !== undefined && nowMs >= exp * 1000 ? 'expired' : 'valid';
}
