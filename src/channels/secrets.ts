/**
 * Secrets of the channels (mailbox passwords, chat sites' identity secrets) are stored encrypted with
 * AES-256-GCM under one key from the environment, `CHANNELS_KEY`: 32 bytes written as 64 hex
 * digits or base64 (base64url too), or a passphrase of 16+ characters that the key is derived
 * from with scrypt (a passphrase is guessable where a random key is not; the slow KDF makes
 * each guess cost). Without a key nothing secret is stored at all — never in plain text.
 *
 * A sealed secret is `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url), bound to what it
 * belongs to by its associated data (e.g. `mailbox:3:password`), so it cannot be copied to
 * another row. The key id (an HMAC of a constant under the key) tells "another key" apart
 * from "altered".
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto';
import { DomainError } from '../errors.js';

export interface ChannelsKey {
  readonly key: Buffer;
  /** 8 hex digits naming the key (not secret): stored beside every secret sealed with it. */
  readonly id: string;
  /** How the key was given: raw 32 bytes, or derived from a passphrase. */
  readonly source: 'hex' | 'base64' | 'passphrase';
}

export class ChannelsKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelsKeyError';
  }
}

/** Why a sealed secret could not be opened. */
export type SecretFailure = 'wrong-key' | 'tampered' | 'malformed';

export class SecretError extends Error {
  constructor(
    readonly reason: SecretFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SecretError';
  }
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const MIN_PASSPHRASE = 16;
/** A fixed salt: one key per installation, derived once at start-up. */
const PASSPHRASE_SALT = 'casebook channels key v1';
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('casebook channels key id').digest('hex').slice(0, 8);
}

function make(key: Buffer, source: ChannelsKey['source']): ChannelsKey {
  return { key, id: keyId(key), source };
}

/** CHANNELS_KEY → the key; null when unset. Throws ChannelsKeyError with the fix when unusable. */
export function parseChannelsKey(raw: string | undefined): ChannelsKey | null {
  const value = raw?.trim() ?? '';
  if (value === '') return null;
  if (/^[0-9a-f]{64}$/i.test(value)) return make(Buffer.from(value, 'hex'), 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return make(bytes, 'base64');
  }
  if (value.length < MIN_PASSPHRASE) {
    throw new ChannelsKeyError(
      `CHANNELS_KEY must be 32 random bytes as 64 hex digits or base64 (e.g. the output of: openssl rand -base64 32), or a passphrase of at least ${MIN_PASSPHRASE} characters; got ${value.length} characters`,
    );
  }
  return make(scryptSync(value.normalize('NFKC'), PASSPHRASE_SALT, 32, SCRYPT), 'passphrase');
}

/** The key, or CHANNELS_KEY_MISSING saying what cannot be stored without it (`what`: "mailbox passwords"). */
export function requireChannelsKey(key: ChannelsKey | null, what: string): ChannelsKey {
  if (!key) {
    throw new DomainError(
      'CHANNELS_KEY_MISSING',
      `CHANNELS_KEY is not set on the server, so ${what} cannot be stored (Casebook never stores them in plain text). Set CHANNELS_KEY (docs/email.md) and restart Casebook.`,
    );
  }
  return key;
}

const b64 = (b: Buffer) => b.toString('base64url');

/** Encrypts `plaintext` for the row `aad` names. */
export function sealSecret(key: ChannelsKey, plaintext: string, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, key.id, b64(iv), b64(cipher.getAuthTag()), b64(ciphertext)].join('.');
}

/** The key id a sealed secret was stored under (null when it is not a sealed secret). */
export function sealedKeyId(sealed: string): string | null {
  const parts = sealed.split('.');
  return parts.length === 5 && parts[0] === VERSION ? parts[1]! : null;
}

/** Decrypts a sealed secret; SecretError when the key is another one, or the secret was altered. */
export function openSecret(key: ChannelsKey, sealed: string, aad: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) throw new SecretError('malformed', 'The stored secret is not in a format Casebook knows (expected v1.…); enter it again.');
  const [, id, iv, tag, ciphertext] = parts as [string, string, string, string, string];
  if (id !== key.id) {
    throw new SecretError(
      'wrong-key',
      `The stored secret was encrypted with another CHANNELS_KEY (key id ${id}; the current key's id is ${key.id}). Set CHANNELS_KEY back to the key it was stored with, or enter the password again to store it under the current key.`,
    );
  }
  const ivBytes = Buffer.from(iv, 'base64url');
  const tagBytes = Buffer.from(tag, 'base64url');
  if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new SecretError('malformed', 'The stored secret is damaged (bad IV or tag); enter it again.');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, ivBytes, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretError('tampered', 'The stored secret failed its integrity check (altered, damaged or copied from another record); it was not used. Enter it again.');
  }
}
