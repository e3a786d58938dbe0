/**
 * Visitors identified by the host site: its server signs the signed-in user's e-mail with
 * the site's secret (hex HMAC-SHA256 of the lower-cased, trimmed address) and hands the
 * widget `{ email, name, signature }` (`data-user-*` on the script tag). A valid signature
 * makes the chat's customer that e-mail, marked `verified`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signIdentity(secret: string, email: string): string {
  return createHmac('sha256', secret).update(email.trim().toLowerCase()).digest('hex');
}

export function verifyIdentity(secret: string, email: string, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = Buffer.from(signIdentity(secret, email), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature.toLowerCase(), 'hex'));
}
