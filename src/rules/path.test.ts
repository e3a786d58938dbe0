import fc from 'fast-check';
import { JSONPath } from 'jsonpath-plus';
import { describe, expect, it } from 'vitest';
import { resolvePath } from './path.js';

const key = fc.constantFrom('a', 'b', 'tier', 'length', 'constructor', 'toString', '__proto__', 'x_1');
const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }));
const doc = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof({ weight: 3, arbitrary: leaf }, { weight: 2, arbitrary: fc.dictionary(key, tie('node'), { maxKeys: 4 }) }),
})).node;
const path = fc.oneof(
  fc.array(key, { minLength: 1, maxLength: 3 }).map((keys) => `$.${keys.join('.')}`),
  fc.constantFrom('$', '$.a[0]', '$..b', '$.a.*', '$["a"]', '$.a.length'),
);

describe('resolvePath', () => {
  it('reads exactly what jsonpath-plus (wrap: false) reads', () => {
    fc.assert(
      fc.property(fc.dictionary(key, doc, { maxKeys: 5 }), path, (value, p) => {
        const json = JSON.parse(JSON.stringify(value)) as object;
        expect(resolvePath(json, p)).toEqual(JSONPath({ path: p, json, wrap: false }));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads nested properties and arrays', () => {
    expect(resolvePath({ customer: { tier: 'gold' } }, '$.customer.tier')).toBe('gold');
    expect(resolvePath({ tags: ['a', 'b'] }, '$.tags')).toEqual(['a', 'b']);
    expect(resolvePath({ tags: ['a', 'b'] }, '$.tags[1]')).toBe('b');
    expect(resolvePath({}, '$.missing')).toBeUndefined();
  });
});
