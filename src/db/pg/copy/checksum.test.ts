/**
 * The canonical row text the copy's checksums hash: the same for the same values whatever the
 * key order (jsonb keeps none), still the value (parsed back, it is what JSON makes of it),
 * and different for values a reader would tell apart.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonical, RowHasher } from './checksum.js';

/** The same value with every object's keys in reverse order (own properties, `__proto__` too). */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]));
  return value;
}

describe('canonical', () => {
  it('ignores key order and parses back to the value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonical(reversed(value))).toBe(canonical(value));
        expect(JSON.parse(canonical(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('tells apart what readers tell apart', () => {
    const distinct = [null, 'null', 0, '0', 1, true, 'true', [], {}, '', Number.POSITIVE_INFINITY, Number.NaN, new Date(0), 0n, [null], { a: null }, { a: 1 }, { b: 1 }];
    expect(new Set(distinct.map(canonical)).size).toBe(distinct.length);
  });

  it('hashes rows in order, counting them', () => {
    const a = new RowHasher();
    const b = new RowHasher();
    a.add([1, 'x']);
    a.add([2, { k: 1, j: 2 }]);
    b.add([2, { j: 2, k: 1 }]);
    b.add([1, 'x']);
    const [sa, sb] = [a.digest(), b.digest()];
    expect(sa.rows).toBe(2);
    expect(sa.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(sa.checksum).not.toBe(sb.checksum);
    expect(new RowHasher().digest()).toEqual({ rows: 0, checksum: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
  });
});
