import { describe, expect, it } from 'vitest';
import { memoizeWord } from './word-memo.js';

describe('memoizeWord', () => {
  it('answers as the function does, asking it once per remembered word', () => {
    const asked: string[] = [];
    const upper = memoizeWord((w) => (asked.push(w), w.toUpperCase()));
    expect(['refund', 'charge', 'refund', 'refund'].map(upper)).toEqual(['REFUND', 'CHARGE', 'REFUND', 'REFUND']);
    expect(asked).toEqual(['refund', 'charge']);
  });
  it('keeps at most `max` words, then starts again', () => {
    const asked: string[] = [];
    const same = memoizeWord((w) => (asked.push(w), w), 2);
    ['a', 'b', 'c', 'a', 'c'].forEach(same);
    // 'c' found the memo full: it was emptied, so 'a' is asked again and 'c' is remembered.
    expect(asked).toEqual(['a', 'b', 'c', 'a']);
  });
  it('does not keep words longer than 12 units (a view of the whole text in V8)', () => {
    const asked: string[] = [];
    const same = memoizeWord((w) => (asked.push(w), w));
    const long = 'internationalization';
    [long, long, 'twelve-units', 'twelve-units'].forEach(same);
    expect(asked).toEqual([long, long, 'twelve-units']);
  });
});
