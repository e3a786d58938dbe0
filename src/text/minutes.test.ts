import { describe, expect, it } from 'vitest';
import { formatMinutes } from './minutes.js';

describe('formatMinutes', () => {
  it.each([
    [0, '0 min'],
    [0.2, '< 1 min'],
    [45, '45 min'],
    [59.6, '1 h'],
    [125, '2 h 5 min'],
    [24 * 60 - 1, '23 h 59 min'],
    [24 * 60, '1 d'],
    [49_590, '34 d 10 h'],
  ])('%d → %s', (minutes, text) => expect(formatMinutes(minutes)).toBe(text));

  it('keeps hours when told to', () => expect(formatMinutes(30 * 60 + 20, { days: false })).toBe('30 h 20 min'));
});
