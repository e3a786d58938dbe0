import { describe, expect, it } from 'vitest';
import { lineWithoutControls, withoutControls } from './control-chars.js';

describe('withoutControls', () => {
  it.each([
    ['del\u007fchar bell\u0007 esc\u001b[31mred\u001b[0m', 'delchar bell escred'],
    ['nul\u0000 and C1\u0085\u009b here', 'nul and C1 here'],
    ['title\u001b]0;owned\u0007 set', 'title set'],
    ['lone escape\u001b', 'lone escape'],
    ['keeps\ttabs\r\nand lines\rhere', 'keeps\ttabs\nand lines\nhere'],
    ['accents é, 😀 and العربية stay', 'accents é, 😀 and العربية stay'],
  ])('%j', (text, expected) => expect(withoutControls(text)).toBe(expected));
});

describe('lineWithoutControls', () => {
  it('makes one line: line breaks and tabs as single spaces, trimmed', () => {
    expect(lineWithoutControls(' Re:\tthe\r\n  invoice\u0007\u001b[1m now \u2028 ')).toBe('Re: the invoice now');
  });
});
