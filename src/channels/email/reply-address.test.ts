import { describe, expect, it } from 'vitest';
import { isSupportAddress, makeReplyAddress, verifyReplyAddress } from './reply-address.js';

const SECRET = 'a-secret-of-enough-length-1234';

describe('signed reply addresses', () => {
  it('names the case on the support address, and verifies', () => {
    const address = makeReplyAddress('support@example.com', SECRET, 1042);
    expect(address).toMatch(/^support\+C-1042\.[0-9a-f]{16}@example\.com$/);
    expect(verifyReplyAddress('support@example.com', SECRET, address)).toBe(1042);
    // Mail systems may lower-case the local part.
    expect(verifyReplyAddress('support@example.com', SECRET, address.toLowerCase())).toBe(1042);
  });

  it('refuses a forged or altered address', () => {
    const address = makeReplyAddress('support@example.com', SECRET, 1042);
    expect(verifyReplyAddress('support@example.com', SECRET, address.replace('1042', '1043'))).toBeNull();
    expect(verifyReplyAddress('support@example.com', 'another-secret-entirely-123', address)).toBeNull();
    expect(verifyReplyAddress('support@example.com', SECRET, 'support+C-1042.0000000000000000@example.com')).toBeNull();
    expect(verifyReplyAddress('support@example.com', SECRET, address.replace('@example.com', '@evil.example'))).toBeNull();
    expect(verifyReplyAddress('support@example.com', SECRET, 'support+C-1042@example.com')).toBeNull();
  });

  it('knows the support address and its plus-addresses', () => {
    expect(isSupportAddress('support@example.com', 'support@example.com')).toBe(true);
    expect(isSupportAddress('support@example.com', 'SUPPORT+billing@Example.com')).toBe(true);
    expect(isSupportAddress('support@example.com', 'supporter@example.com')).toBe(false);
    expect(isSupportAddress('support@example.com', 'support@example.org')).toBe(false);
  });
});
