/** Random secrets and their hashes: API tokens, session ids, one-time links. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function randomToken(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time string comparison (for the ADMIN_TOKEN). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(sha256(a), 'hex');
  const y = Buffer.from(sha256(b), 'hex');
  return timingSafeEqual(x, y);
}
