import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChannelsKeyError, openSecret, parseChannelsKey, sealedKeyId, sealSecret, SecretError, type ChannelsKey } from './secrets.js';

const HEX = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);
const key = (raw = HEX): ChannelsKey => parseChannelsKey(raw)!;

function failure(fn: () => unknown): SecretError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SecretError) return error;
    throw error;
  }
  throw new Error('expected a SecretError');
}

describe('CHANNELS_KEY', () => {
  it('takes 32 bytes as hex, base64 or base64url, and the same bytes give the same key', () => {
    const bytes = randomBytes(32);
    const fromHex = parseChannelsKey(bytes.toString('hex'))!;
    const fromBase64 = parseChannelsKey(bytes.toString('base64'))!;
    const fromUrl = parseChannelsKey(bytes.toString('base64url'))!;
    expect(fromHex.source).toBe('hex');
    expect(fromBase64.source).toBe('base64');
    expect(fromUrl.source).toBe('base64');
    expect(fromHex.key.equals(bytes) && fromBase64.key.equals(bytes) && fromUrl.key.equals(bytes)).toBe(true);
    expect(new Set([fromHex.id, fromBase64.id, fromUrl.id]).size).toBe(1);
    expect(fromHex.id).toMatch(/^[0-9a-f]{8}$/);
  });

  it('derives a key from a passphrase of 16+ characters, the same every time', () => {
    const a = parseChannelsKey('correct horse battery staple')!;
    const b = parseChannelsKey('  correct horse battery staple ')!;
    expect(a.source).toBe('passphrase');
    expect(a.key).toHaveLength(32);
    expect(a.key.equals(b.key)).toBe(true);
    expect(a.id).not.toBe(parseChannelsKey('correct horse battery stapler')!.id);
  });

  it('is off when unset or empty, and refuses a short value with the fix', () => {
    expect(parseChannelsKey(undefined)).toBeNull();
    expect(parseChannelsKey('  ')).toBeNull();
    expect(() => parseChannelsKey('short-secret')).toThrow(ChannelsKeyError);
    expect(() => parseChannelsKey('short-secret')).toThrow(/openssl rand -base64 32/);
  });
});

describe('sealed secrets (AES-256-GCM)', () => {
  it('round-trip any text, and never contain it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (text) => {
        const sealed = sealSecret(key(), text, 'mailbox:1:password');
        expect(openSecret(key(), sealed, 'mailbox:1:password')).toBe(text);
        if (text.length >= 4) expect(sealed).not.toContain(text);
      }),
      { numRuns: 200 },
    );
  });

  it('use a fresh IV every time', () => {
    const a = sealSecret(key(), 'app-password', 'x');
    const b = sealSecret(key(), 'app-password', 'x');
    expect(a).not.toBe(b);
    expect(sealedKeyId(a)).toBe(key().id);
  });

  it('refuse a tampered ciphertext, tag or IV', () => {
    const sealed = sealSecret(key(), 'app-password-123', 'mailbox:1:password');
    const parts = sealed.split('.');
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index]!, 'base64url');
      bytes[0] = bytes[0]! ^ 0x01;
      const altered = parts.map((p, i) => (i === index ? bytes.toString('base64url') : p)).join('.');
      const error = failure(() => openSecret(key(), altered, 'mailbox:1:password'));
      expect(error.reason, `part ${index}`).toBe('tampered');
      expect(error.message).toMatch(/integrity check/);
    }
  });

  it('refuse a secret moved to another record (associated data)', () => {
    const sealed = sealSecret(key(), 'app-password-123', 'mailbox:1:password');
    expect(failure(() => openSecret(key(), sealed, 'mailbox:2:password')).reason).toBe('tampered');
  });

  it('with another key: a clear error naming both key ids, never garbage', () => {
    const sealed = sealSecret(key(), 'app-password-123', 'mailbox:1:password');
    const other = parseChannelsKey(randomBytes(32).toString('hex'))!;
    const error = failure(() => openSecret(other, sealed, 'mailbox:1:password'));
    expect(error.reason).toBe('wrong-key');
    expect(error.message).toContain(`key id ${key().id}`);
    expect(error.message).toContain(other.id);
    expect(error.message).toMatch(/Set CHANNELS_KEY back/);
  });

  it('refuse what is not a sealed secret', () => {
    expect(failure(() => openSecret(key(), 'plain-password', 'x')).reason).toBe('malformed');
    expect(failure(() => openSecret(key(), `v1.${key().id}.AA.AA.AA`, 'x')).reason).toBe('malformed');
    expect(sealedKeyId('plain-password')).toBeNull();
  });
});
