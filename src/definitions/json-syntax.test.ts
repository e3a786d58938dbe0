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
