import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiDomain, canonicalEmail, emailField, isEmailAddress, storedForms } from './email-address.js';

describe('asciiDomain', () => {
  it('is domainToASCII, lower-cased, for any domain (plain ones skip it)', () => {
    // Letters, digits, dots and hyphens most of the time (the plain path), with xn-- labels, numbers read as IPv4, and beyond ASCII.
    const unit = fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(...'abcXYZ019.-') },
      { weight: 1, arbitrary: fc.constantFrom('xn--', 'ü', 'ß', 'ｆ', '0x', ' ', '_', '\u200d', '。') },
    );
    fc.assert(
      fc.property(fc.string({ unit, minLength: 1, maxLength: 16 }), fc.constantFrom('', '.com', '.example.', '.1'), (domain, end) => {
        const d = `${domain}${end}`;
        const trimmed = d.trim().replace(/\.$/, '');
        expect(asciiDomain(d)).toBe(trimmed === '' ? '' : domainToASCII(trimmed).toLowerCase());
      }),
      { numRuns: 20000 },
    );
  });
});

describe('canonicalEmail', () => {
  it.each([
    ['Chloe@Example.COM', 'chloe@example.com'],
    ['  info@bücher.de ', 'info@xn--bcher-kva.de'],
    ['INFO@XN--BCHER-KVA.DE', 'info@xn--bcher-kva.de'],
    ['info@BÜCHER.de', 'info@xn--bcher-kva.de'],
    ['user@münchen.example.', 'user@xn--mnchen-3ya.example'],
    ['Zoë@Kunde.example', 'zoë@kunde.example'],
    // "ë" written as e + combining diaeresis: one address with the precomposed form.
    ['zoe\u0308@kunde.example', 'zoë@kunde.example'],
    ['ivan@пример.рф', 'ivan@xn--e1afmkfd.xn--p1ai'],
    ['not an address', 'not an address'],
    ['a@b c.com', 'a@b c.com'],
  ])('%s → %s', (input, expected) => expect(canonicalEmail(input)).toBe(expected));

  it('is idempotent', () => {
    for (const a of ['info@bücher.de', 'zoë@kunde.example', 'x@example.com']) expect(canonicalEmail(canonicalEmail(a))).toBe(canonicalEmail(a));
  });
});

describe('isEmailAddress', () => {
  it.each(['chloe@example.com', "o'brien+tag@example.co.uk", 'info@xn--bcher-kva.de', 'info@bücher.de', 'zoë@kunde.example', '用户@例子.广告', 'ivan@пример.рф', 'a!#$%&*/=?^_`{|}~-@example.com'])('accepts %s', (address) =>
    expect(isEmailAddress(address)).toBe(true),
  );

  it.each([
    'plain',
    '@example.com',
    'a@',
    'a@localhost',
    'a@[192.0.2.1]',
    '"quoted name"@example.com',
    '.a@example.com',
    'a..b@example.com',
    'a b@example.com',
    'a@-example.com',
    'a@exa_mple.com',
    'a@example.c',
    'a@example.com.',
    'zo\u202Eë@example.com',
    'a\u0000b@example.com',
    `${'a'.repeat(65)}@example.com`,
    `a@${'b'.repeat(250)}.com`,
  ])('refuses %s', (address) => expect(isEmailAddress(address)).toBe(false));
});

describe('emailField', () => {
  it('keeps the address as typed (trimmed) and says what is wrong', () => {
    expect(emailField().parse(' Info@Bücher.de ')).toBe('Info@Bücher.de');
    expect(emailField().safeParse('a@localhost').error?.issues[0]?.message).toBe('Invalid email address');
    expect(emailField('a valid e-mail address').safeParse('x').error?.issues[0]?.message).toBe('a valid e-mail address');
  });
});

describe('storedForms', () => {
  it('is the canonical form, and the Unicode one for an internationalized domain', () => {
    expect(storedForms('Chloe@Example.com')).toEqual(['chloe@example.com']);
    expect(storedForms('eva@Bücher.de')).toEqual(['eva@xn--bcher-kva.de', 'eva@bücher.de']);
    expect(storedForms('eva@xn--bcher-kva.de')).toEqual(['eva@xn--bcher-kva.de', 'eva@bücher.de']);
  });
});
