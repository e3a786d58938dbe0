import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError } from './json-syntax.js';

describe('findJsonSyntaxError', () => {
  it.each([
    ['{\n  "a": [,]\n}', 2, 9],
    ['{"a": 1,}', 1, 9],
    ['{"a" 1}', 1, 6],
    ["{'a': 1}", 1, 2],
    ['[1, 2', 1, 6],
    ['{"a": tru}', 1, 7],
    ['{"a": "x\ny"}', 1, 9],
    ['{} x', 1, 4],
    ['', 1, 1],
  ])('finds the error in %j at line %i, column %i', (text, line, column) => {
    expect(findJsonSyntaxError(text)).toMatchObject({ line, column });
  });

  it('agrees with JSON.parse about what is valid', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string(), fc.json().map((j) => j.slice(0, -1))), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(findJsonSyntaxError(text) === null).toBe(valid);
      }),
      { numRuns: 500 },
    );
  });
});

describe('findJsonSyntaxError names what cannot be seen', () => {
  it.each([
    ['\ufeff{"a": 1}', 1, 1, 'expected a value, found a byte order mark (U+FEFF) at the start: save the file as UTF-8 without a BOM'],
    ['{\n\u00a0 "a": 1}', 2, 1, 'expected a property name in double quotes, found a no-break space (U+00A0): JSON allows only ordinary spaces, tabs and line breaks between its parts'],
    ['{"a":\u200b1}', 1, 6, 'expected a value, found a zero-width space (U+200B): JSON allows only ordinary spaces, tabs and line breaks between its parts'],
    ['{"a": 1\u2028}', 1, 8, 'expected "," or "}", found a line separator (U+2028): JSON allows only ordinary spaces, tabs and line breaks between its parts'],
    ['{"a": 1,\u2003"b": 2}', 1, 9, 'expected a property name in double quotes, found an invisible character (U+2003): JSON allows only ordinary spaces, tabs and line breaks between its parts'],
    ['{\u201ca\u201d: 1}', 1, 2, 'expected a property name in double quotes, found "\u201c", a typographic quote (U+201C): JSON\'s strings and names are in straight double quotes (")'],
    ['{"a": "x\ny"}', 1, 9, 'control character in a string, found "\\n"'],
    ['{"a": é}', 1, 7, 'expected a value, found "é"'],
  ])('in %j', (text, line, column, message) => {
    expect(findJsonSyntaxError(text)).toEqual({ offset: expect.any(Number), line, column, message });
  });
});
