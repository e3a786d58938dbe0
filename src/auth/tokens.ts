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
  return sameDigest(sha256Bytes(a), sha256Bytes(b));
}

/** The SHA-256 of a string as bytes (a secret's digest, computed once, for `sameDigest`). */
export function sha256Bytes(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time comparison of two SHA-256 digests (bytes). */
export function sameDigest(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}
