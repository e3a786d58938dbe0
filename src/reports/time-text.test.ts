import { describe, expect, it } from 'vitest';
import { timeLeftText } from './time-text.js';

describe('timeLeftText', () => {
  it.each([
    [{ minutesLeft: 135, businessMinutesLeft: 15 }, '15 min in business hours (2 h 15 min on the clock)'],
    [{ minutesLeft: 35, businessMinutesLeft: 35 }, '35 min'],
    // A report stored before business minutes were recorded: the clock time alone.
    [{ minutesLeft: 2900 }, '2 d'],
  ])('%o → %s', (entry, text) => expect(timeLeftText(entry)).toBe(text));
});
