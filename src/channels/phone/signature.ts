/**
 * Call-ended webhooks are signed the way telephony and payment providers sign theirs: the
 * sender puts the Unix time in `X-Casebook-Timestamp` and `v1=<hex>` in
 * `X-Casebook-Signature`, the HMAC-SHA256 of `<timestamp>.<raw body>` under the shared
 * secret (several `v1=` entries, comma-separated, while a secret is rotated). A signature
 * that does not match, or a timestamp outside the window around now (a replay), is refused.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'X-Casebook-Timestamp';
export const SIGNATURE_HEADER = 'X-Casebook-Signature';

export function signCall(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

export function verifyCallSignature(secret: string, headers: { timestamp: string | undefined; signature: string | undefined }, body: string, nowMs: number, toleranceSeconds: number): SignatureCheck {
  if (!headers.timestamp || !headers.signature) return { ok: false, reason: `${TIMESTAMP_HEADER} and ${SIGNATURE_HEADER} are required` };
  if (!/^\d{1,12}$/.test(headers.timestamp.trim())) return { ok: false, reason: `${TIMESTAMP_HEADER} must be Unix seconds` };
  const timestamp = Number(headers.timestamp.trim());
  if (Math.abs(nowMs / 1000 - timestamp) > toleranceSeconds) return { ok: false, reason: `the timestamp is more than ${toleranceSeconds} s from now (a replay, or a clock out of step)` };
  const expected = Buffer.from(signCall(secret, timestamp, body).slice(3), 'hex');
  const given = headers.signature
    .split(/[\s,]+/)
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice(3));
  for (const hex of given) {
    if (!/^[0-9a-f]{64}$/i.test(hex)) continue;
    if (timingSafeEqual(Buffer.from(hex, 'hex'), expected)) return { ok: true };
  }
  return { ok: false, reason: 'the signature does not match' };
}
