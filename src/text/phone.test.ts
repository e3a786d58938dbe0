import { describe, expect, it } from 'vitest';
import { normalizePhone, phoneField } from './phone.js';

describe('normalizePhone', () => {
  it.each([
    ['+49 30 1234567', '+49301234567'],
    ['+49 (0)30 123-4567', '+49301234567'],
    ['0049 30 1234567', '+49301234567'],
    ['0049 (0)30 1234567', '+49301234567'],
    ['0044(0)20 7946 0958', '+442079460958'],
    ['+49(0)301234567', '+49301234567'],
    ['+1 (415) 555-0100', '+14155550100'],
    ['tel:+44.20.7946.0958', '+442079460958'],
    ['  +33 1 23 45 67 89 ', '+33123456789'],
  ])('%s → %s', (input, expected) => expect(normalizePhone(input)).toBe(expected));

  it.each(['030 1234567', '+0 123 4567', '+49', 'call me', '+1234567890123456', '', null])('refuses %s', (input) => expect(normalizePhone(input)).toBeNull());
});

describe('phoneField', () => {
  it('turns empty into null and refuses numbers without a country code', () => {
    expect(phoneField.parse('')).toBeNull();
    expect(phoneField.parse(null)).toBeNull();
    expect(phoneField.parse('+49 30 1234567')).toBe('+49301234567');
    expect(phoneField.safeParse('030 1234567').success).toBe(false);
  });
});
