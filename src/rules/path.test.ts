import fc from 'fast-check';
import { JSONPath } from 'jsonpath-plus';
import { describe, expect, it } from 'vitest';
import { parsePlainPath, resolvePath } from './path.js';

const key = fc.constantFrom('a', 'b', 'tier', 'length', 'constructor', 'toString', '__proto__', 'x_1');
const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }));
const doc = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof({ weight: 3, arbitrary: leaf }, { weight: 2, arbitrary: fc.dictionary(key, tie('node'), { maxKeys: 4 }) }),
})).node;
const step = fc.oneof(
  key.map((k) => `.${k}`),
  fc.integer({ min: 0, max: 3 }).map((i) => `[${i}]`),
  fc.constantFrom("['a']", '["b"]', "['a b']"),
);
const path = fc.oneof(
  fc.array(step, { minLength: 1, maxLength: 4 }).map((steps) => `$${steps.join('')}`),
  fc.constantFrom('$', '$.a[0]', '$["a"]', '$.a.length', "$['a b'].tier"),
);

describe('resolvePath', () => {
  it('reads plain paths exactly as jsonpath-plus (wrap: false) reads them', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(key, fc.constant('a b')), doc, { maxKeys: 5 }), path, (value, p) => {
        const json = JSON.parse(JSON.stringify(value)) as object;
        expect(resolvePath(json, p)).toEqual(JSONPath({ path: p, json, wrap: false, eval: false }));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads nested properties and arrays', () => {
    expect(resolvePath({ customer: { tier: 'gold' } }, '$.customer.tier')).toBe('gold');
    expect(resolvePath({ tags: ['a', 'b'] }, '$.tags')).toEqual(['a', 'b']);
    expect(resolvePath({ tags: ['a', 'b'] }, '$.tags[1]')).toBe('b');
    expect(resolvePath({ 'a b': { c: 1 } }, "$['a b'].c")).toBe(1);
    expect(resolvePath({}, '$.missing')).toBeUndefined();
    expect(resolvePath({}, '$.constructor')).toBeUndefined();
    expect(resolvePath({ a: {} }, '$.a.__proto__')).toBeUndefined();
  });

  it('never evaluates anything in a path: filters, scripts and the like throw without running', () => {
    const exploit = "$..[?(@.constructor[( @.getPrototypeOf ? @.getPrototypeOf(@).constructor('globalThis.pwned = 1')() : 'x' )])]";
    expect(() => resolvePath({ a: { b: 1 } }, exploit)).toThrow(/not a plain property path/);
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
    // Evaluated, this catastrophic pattern backtracks for seconds on 29 letters; refused, it takes
    // microseconds. The bound sits far from both (50 ms failed under a loaded machine's pauses).
    const started = performance.now();
    expect(() => resolvePath({ a: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' }, '$[?(/^(\\w+\\s?)+$/.test(@))]')).toThrow(/not a plain property path/);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('parsePlainPath', () => {
  it.each([
    ['$', []],
    ['$.a.b', ['a', 'b']],
    ['$.a[0]', ['a', '0']],
    ["$['a b']", ['a b']],
    ['$["x.y"][12].z_1', ['x.y', '12', 'z_1']],
  ])('accepts %s', (p, keys) => {
    expect(parsePlainPath(p)).toEqual({ ok: true, keys });
  });

  it.each([
    '$..a',
    '$.*',
    '$[*]',
    '$.a[0,1]',
    '$.a[0:2]',
    '$[?(@.a)]',
    '$[(@.length-1)]',
    "$['a','b']",
    '$.a.',
    'a.b',
    '$a',
    '$.1a',
    '$[-1]',
    '$[01]',
    "$['']",
    "$['a\\'b']",
    '$.a^',
    '$.a~',
    '@.a',
    `$${'.a'.repeat(17)}`,
    `$.${'a'.repeat(300)}`,
  ])('refuses %s', (p) => {
    expect(parsePlainPath(p).ok).toBe(false);
  });
});
