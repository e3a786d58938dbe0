import { describe, expect, it } from 'vitest';
import { ftsQuery, MAX_QUERY_LENGTH, MAX_TERMS, parseCreated, parseQuery } from './parse-query.js';

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

describe('parseQuery', () => {
  it.each([
    ['refund double charge', ['refund', 'double', 'charge'], []],
    ['"password reset" link', ['password reset', 'link'], []],
    ['refund -paypal -"bank transfer"', ['refund'], ['paypal', 'bank transfer']],
    ['  spaced   out  ', ['spaced', 'out'], []],
    ['"unclosed phrase', ['unclosed phrase'], []],
    ['error:500 http://x.example', ['error:500', 'http://x.example'], []],
    ['refund - ... !!! ""', ['refund'], []],
    ['café-crème', ['café-crème'], []],
  ])('%s → words and exclusions', (q, terms, excluded) => {
    const parsed = parseQuery(q);
    expect(parsed.issues).toEqual([]);
    expect(parsed.terms.map((t) => t.text)).toEqual(terms);
    expect(parsed.excluded.map((t) => t.text)).toEqual(excluded);
  });

  it('marks quoted terms as phrases', () => {
    expect(parseQuery('"a b" c').terms).toEqual([
      { text: 'a b', phrase: true },
      { text: 'c', phrase: false },
    ]);
  });

  it('reads filters, comma lists and quoted values, lower-cased', () => {
    const parsed = parseQuery('refund status:New,open queue:Billing assignee:me tag:"VIP customer" customer:Pat@Example.com STATUS:pending');
    expect(parsed.issues).toEqual([]);
    expect(parsed.terms.map((t) => t.text)).toEqual(['refund']);
    expect(parsed.filters).toMatchObject({
      status: ['new', 'open', 'pending'],
      queue: ['billing'],
      assignee: ['me'],
      tag: ['vip customer'],
      customer: ['pat@example.com'],
    });
  });

  it.each([
    ['status:open,"Pending customer"', { status: ['open', 'pending customer'] }, []],
    ['status:"Pending customer",open refund', { status: ['pending customer', 'open'] }, ['refund']],
    ['status:new,"Pending customer",open', { status: ['new', 'pending customer', 'open'] }, []],
    ['queue:billing,"Tier 2 EMEA" tag:"a,b",vip priority:"urgent",high', { queue: ['billing', 'tier 2 emea'], tag: ['a,b', 'vip'], priority: ['urgent', 'high'] }, []],
    ['customer:"Pat Doe",@example.com', { customer: ['pat doe', '@example.com'] }, []],
    ['assignee:me,"dana@example.com"', { assignee: ['me', 'dana@example.com'] }, []],
    ['tag:vip,,"" x', { tag: ['vip'] }, ['x']],
    ['status:"Pending customer"', { status: ['pending customer'] }, []],
  ])('%s: a list mixing bare and quoted members', (q, filters, terms) => {
    const parsed = parseQuery(q);
    expect(parsed.issues).toEqual([]);
    expect(parsed.filters).toMatchObject(filters);
    expect(parsed.terms.map((t) => t.text)).toEqual(terms);
  });

  it('refuses a list of only empty members, and created: with a quoted second date', () => {
    expect(parseQuery('status:,""').issues.map((i) => i.message).join()).toContain('needs a value');
    expect(parseQuery('created:2026-11-01,"2026-11-03"').issues.map((i) => i.message).join()).toContain('names several dates');
  });

  it('reads created: as UTC days, instants and ranges', () => {
    expect(parseQuery('created:>2026-11-01').filters.created).toEqual([{ from: day('2026-11-02'), to: null }]);
    expect(parseQuery('created:>=2026-11-01 created:<2026-12-01').filters.created).toEqual([
      { from: day('2026-11-01'), to: null },
      { from: null, to: day('2026-12-01') },
    ]);
    expect(parseCreated('<=2026-11-01')).toEqual({ from: null, to: day('2026-11-02') });
    expect(parseCreated('2026-11-01')).toEqual({ from: day('2026-11-01'), to: day('2026-11-02') });
    expect(parseCreated('2026-11-01..2026-11-30')).toEqual({ from: day('2026-11-01'), to: day('2026-12-01') });
    expect(parseCreated('>2026-11-01T10:00:00Z')).toEqual({ from: Date.parse('2026-11-01T10:00:00Z') + 1, to: null });
  });

  it.each(['created:>foo', 'created:2026-02-30', 'created:>', 'created:2026-11-30..2026-11-01', 'created:26-11-01', 'created:>2026-13-01', 'created:2026-11-01,2026-11-03', 'created:>=2026-11-01,<2026-11-03'])('refuses %s', (q) => {
    const parsed = parseQuery(q);
    expect(parsed.issues).toHaveLength(1);
    expect(parsed.issues[0]!.path).toBe('q');
  });

  it.each([
    ['status:', 'needs a value'],
    ['-tag:vip refund', 'not supported'],
    ['-refund', 'add a word'],
    [Array.from({ length: MAX_TERMS + 1 }, (_, i) => `w${i}`).join(' '), `at most ${MAX_TERMS}`],
    ['x'.repeat(MAX_QUERY_LENGTH + 1), `at most ${MAX_QUERY_LENGTH}`],
  ])('refuses %s', (q, message) => {
    expect(parseQuery(q).issues.map((i) => i.message).join()).toContain(message);
  });

  it.each([
    ['C-1042', 1042],
    [' c-7 ', 7],
    ['C-1042 refund', null],
    ['1042', null],
    ['C-0', null],
    ['C-99999999999999999', null],
  ])('%s names the case %s', (q, ref) => {
    expect(parseQuery(q).ref).toBe(ref);
  });
});

describe('ftsQuery', () => {
  it('quotes every word and phrase, doubling quotes: user text is never FTS5 syntax', () => {
    expect(ftsQuery(parseQuery('refund NEAR(a b) "x OR y" col:z *'))).toBe('("refund" AND "NEAR(a" AND "b)" AND "x OR y" AND "col:z")');
    expect(ftsQuery({ terms: [{ text: 'say "hi"', phrase: true }], excluded: [] })).toBe('("say ""hi""")');
  });

  it('excludes with NOT, one after the other', () => {
    expect(ftsQuery(parseQuery('refund -paypal -"bank transfer"'))).toBe('((("refund") NOT "paypal") NOT "bank transfer")');
  });

  it('is null without words to search for', () => {
    expect(ftsQuery(parseQuery('status:open'))).toBeNull();
    expect(ftsQuery(parseQuery('!!!'))).toBeNull();
  });
});
