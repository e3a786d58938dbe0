import { describe, expect, it } from 'vitest';
import { toCrmFact } from './lookup.js';

describe('toCrmFact: what a CRM answered, as the customer.crm fact', () => {
  it.each([
    [{ mrr: 1200 }, 1200],
    [{ mrr: '49.50' }, 49.5],
    [{ mrr: ' 10 ' }, 10],
    // Unknown revenue is null, never 0: a rule "MRR below 100" must not match a customer the CRM has no figure for.
    [{ mrr: '' }, null],
    [{ mrr: '   ' }, null],
    [{ mrr: 'n/a' }, null],
    [{ mrr: null }, null],
    [{}, null],
    [{ mrr: Number.NaN }, null],
  ])('%j → mrr %j', (body, mrr) => {
    expect(toCrmFact(body)?.mrr).toBe(mrr);
  });

  it('is null for a body that is not an object', () => {
    expect(toCrmFact([1])).toBeNull();
    expect(toCrmFact('x')).toBeNull();
    expect(toCrmFact(null)).toBeNull();
  });
});
