import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/client.js';
import { CLOSE, excerpt, highlightAll, OPEN, parseMarked, segmentsOf, toMarked } from './highlight.js';
import { ftsQuery, parseQuery } from './parse-query.js';

describe('parseMarked', () => {
  it.each([
    [`a ${OPEN}b${CLOSE} c`, [{ text: 'a ', hit: false }, { text: 'b', hit: true }, { text: ' c', hit: false }]],
    [`${OPEN}a${CLOSE}${OPEN}b${CLOSE}`, [{ text: 'ab', hit: true }]],
    [`x${CLOSE}y`, [{ text: 'xy', hit: false }]],
    [`${OPEN}${OPEN}x${CLOSE}${CLOSE}y`, [{ text: 'x', hit: true }, { text: 'y', hit: false }]],
    [`unclosed ${OPEN}hit`, [{ text: 'unclosed ', hit: false }, { text: 'hit', hit: true }]],
    ['', []],
  ])('%j → well-formed segments, no marker left', (input, segments) => {
    expect(parseMarked(input)).toEqual(segments);
  });

  it('offsets round-trip', () => {
    const segments = parseMarked(`ü ${OPEN}naïve${CLOSE} 😀 ${OPEN}x${CLOSE}`);
    const marked = toMarked(segments);
    expect(marked).toEqual({ text: 'ü naïve 😀 x', highlights: [[2, 7], [11, 12]] });
    expect(segmentsOf(marked)).toEqual(segments);
  });
});

describe('highlightAll', () => {
  const db = openDatabase(':memory:', { migrate: false });
  afterAll(() => db.$client.close());
  const fts = (q: string) => ftsQuery(parseQuery(q));

  it('marks word forms and phrases as FTS5 matched them', () => {
    const [a, b] = highlightAll(db, fts('charge "password reset"'), [
      { title: 'Charged twice', body: 'After the password reset I was charged again. A password and a reset.' },
      { title: null, body: 'nothing here' },
    ]);
    expect(a!.matched).toBe(true);
    expect(segmentsOf(a!.title!).filter((s) => s.hit).map((s) => s.text)).toEqual(['Charged']);
    expect(segmentsOf(a!.body!).filter((s) => s.hit).map((s) => s.text)).toEqual(['password reset', 'charged']);
    expect(b).toEqual({ title: null, body: { text: 'nothing here', highlights: [] }, matched: false });
  });

  it('never takes marker characters from the text for marks', () => {
    const [r] = highlightAll(db, fts('refund'), [{ title: `${OPEN}fake${CLOSE} refund`, body: `x ${CLOSE}y${OPEN}` }]);
    expect(r!.title).toEqual({ text: ' fake  refund', highlights: [[7, 13]] });
    expect(r!.body!.text).not.toMatch(/[\u0002\u0003]/);
  });

  it('cuts a long body to a snippet around the hit', () => {
    const long = `${'lorem ipsum '.repeat(100)}the refund arrived ${'dolor sit '.repeat(100)}`;
    const [r] = highlightAll(db, fts('refund'), [{ title: null, body: long }]);
    expect(r!.body!.text.length).toBeLessThan(300);
    expect(r!.body!.text).toContain('…');
    expect(segmentsOf(r!.body!).find((s) => s.hit)?.text).toBe('refund');
  });

  it('excerpts without a query', () => {
    expect(highlightAll(db, null, [{ title: 't', body: 'b' }])).toEqual([{ title: { text: 't', highlights: [] }, body: { text: 'b', highlights: [] }, matched: false }]);
    expect(excerpt('word '.repeat(100)).length).toBeLessThanOrEqual(201);
  });
});
