import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clipText } from './clip-text.js';

describe('clipText', () => {
  it.each([
    ['short', 10, 'short'],
    ['a'.repeat(199) + '😀 tail', 200, 'a'.repeat(199)],
    ['a'.repeat(198) + '😀 tail', 200, 'a'.repeat(198) + '😀'],
    // e + combining acute: the accent stays with its letter or both go.
    ['a'.repeat(199) + 'e\u0301x', 200, 'a'.repeat(199)],
    // A family emoji (ZWJ sequence) and a flag are one character each.
    ['ab👨‍👩‍👧x', 5, 'ab'],
    ['ab🇩🇪x', 5, 'ab'],
    ['ab🇩🇪x', 6, 'ab🇩🇪'],
  ])('%j to %i', (text, max, expected) => expect(clipText(text, max)).toBe(expected));

  it('cuts a long text as segmenting all of it does, in linear time (a 2,000,000-character line of one word, of emoji, of CJK)', () => {
    const whole = (text: string, max: number) => {
      let end = 0;
      for (const { index, segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) {
        if (index + segment.length > max) break;
        end = index + segment.length;
      }
      return text.slice(0, end);
    };
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 300, maxLength: 700 }), fc.integer({ min: 0, max: 800 }), (text, max) => {
        expect(clipText(text, max)).toBe(whole(text, max));
      }),
    );
    const started = performance.now();
    for (const line of ['x'.repeat(2_000_000), 'word '.repeat(400_000), '😀'.repeat(1_000_000), '漢字'.repeat(1_000_000), 'e\u0301'.repeat(1_000_000)]) {
      const clipped = clipText(line, 200_000);
      expect(clipped.length).toBeLessThanOrEqual(200_000);
      expect(line.startsWith(clipped)).toBe(true);
    }
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('never exceeds the limit, never leaves a lone surrogate, and is a prefix', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 0, max: 120 }), (text, max) => {
        const clipped = clipText(text, max);
        expect(clipped.length).toBeLessThanOrEqual(max);
        expect(text.startsWith(clipped)).toBe(true);
        expect(clipped).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
        if (text.length <= max) expect(clipped).toBe(text);
      }),
    );
  });
});
