import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/client.js';
import { problems } from '../db/schema/index.js';
import { DEMO_PROBLEMS } from '../seed/seed-demo.js';
import { fts5Tokens } from './fts5-tokens.js';
import { porterStem } from './porter.js';
import { indexProblems, problemIndex, rankProblems, type ProblemIndex, type ProblemRow } from './problem-index.js';
import { searchTerms } from './search-problems.js';

/**
 * Characters where fts5-tokens.ts claims FTS5's behaviour: ASCII, Latin (with Latin-1, Extended-A/B
 * and Additional), combining diacritics, Greek, Cyrillic, general punctuation, emoji and CJK of
 * Unicode 6.1 — and word endings the porter steps act on.
 */
const RANGES: [number, number][] = [[0x20, 0x7e], [0xa0, 0x24f], [0x300, 0x36f], [0x370, 0x3ff], [0x400, 0x4ff], [0x1e00, 0x1eff], [0x2000, 0x2064], [0x1f600, 0x1f640], [0x4e00, 0x4e10]];
const char = fc.oneof(...RANGES.map(([from, to]) => fc.integer({ min: from, max: to }).map((cp) => String.fromCodePoint(cp))));
const piece = fc.oneof({ weight: 3, arbitrary: char }, fc.constantFrom(' ', '\n', 'ing', 'ation', 'sses', 'ies', 'ed', 'ly', 'é', 'charged', 'Naïve', 'MÜLLER'));
const text = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));

describe('fts5Tokens: FTS5’s porter unicode61 remove_diacritics 2 in JavaScript', () => {
  const db = new Database(':memory:');
  db.exec("CREATE VIRTUAL TABLE w USING fts5(t, tokenize='porter unicode61 remove_diacritics 2')");
  db.exec('CREATE VIRTUAL TABLE v USING fts5vocab(w, instance)');
  afterAll(() => db.close());
  const fts5 = (t: string): string[] => {
    db.exec('DELETE FROM w');
    db.prepare('INSERT INTO w (rowid, t) VALUES (1, ?)').run(t);
    return (db.prepare('SELECT term FROM v ORDER BY "offset"').all() as { term: string }[]).map((r) => r.term);
  };

  it.each(['Charged twice — café’s NAÏVE résumé', 'pat@example.com v2.5.1 1,250.00', 'Straße Ærø ǖ ǡ ς ſ µ İ ı', 'Не могу войти', 'e\u0301x a\u0305b 😀ok 不好'])('%s', (t) => {
    expect(fts5Tokens(t)).toEqual(fts5(t));
  });

  it('tokenizes random texts exactly as FTS5 does', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(fts5Tokens(t)).toEqual(fts5(t));
      }),
      { numRuns: 300 },
    );
  });
});

/** An index as plain data, postings by problem id: for comparing two builds. */
function plainIndex(index: ProblemIndex) {
  return {
    rows: index.rows,
    averageLength: index.averageLength,
    lengths: index.problems.map((p) => [p.id, p.length] as const).sort(([a], [b]) => a - b),
    terms: [...index.terms]
      .map(([term, { hits, slots, parts }]) => [term, hits, [...slots].map((slot, i) => [index.problems[slot]!.id, parts[i]!] as const).sort(([a], [b]) => a - b)] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  };
}

describe('indexProblems builds the index fts5vocab gives', () => {
  const db = openDatabase(':memory:');
  afterAll(() => db.$client.close());
  const load = (rows: Omit<ProblemRow, 'id'>[]): ProblemRow[] => {
    db.delete(problems).run();
    for (const r of rows) db.insert(problems).values({ ...r, createdAt: 1, updatedAt: 1 }).run();
    return db.select({ id: problems.id, title: problems.title, symptoms: problems.symptoms, synonyms: problems.synonyms, solution: problems.solution, active: problems.active }).from(problems).all();
  };
  const both = (rows: ProblemRow[]) => {
    const fromFts5 = problemIndex(db)!;
    return { fromFts5, fromRows: indexProblems(fromFts5.revision, rows) };
  };

  it('on the demo library, and ranks the same for search-problems.test.ts’s requests', () => {
    const rows = load(DEMO_PROBLEMS.map((p, i) => ({ synonyms: '', ...p, active: i !== 1 })));
    const { fromFts5, fromRows } = both(rows);
    expect(plainIndex(fromRows)).toEqual(plainIndex(fromFts5));
    expect(fromRows.terms.size).toBeGreaterThan(100);
    const requests = [
      'I was charged two times for my invoice', 'Password reset the reset link expired and login fails', 'Which calendar do you recommend?', 'my printer is on fire',
      'Billed 2 times I was billed 2 times for March.', 'Locked out of my account since this morning.', 'My card was charged twice for the same invoice.',
      'Printer jammed the printer jammed again', 'Rapid growth plan Which plan suits a company growing fast?', 'Passwörd reset failed; the reset link…',
    ];
    for (const request of requests) {
      const tokens = searchTerms(request).map(porterStem);
      const rank = (index: ProblemIndex) => rankProblems(index, tokens, 12).map(({ problem, rank }) => [problem.id, rank]);
      expect(rank(fromRows), request).toEqual(rank(fromFts5));
    }
  });

  it('on random libraries', () => {
    const problem = fc.record({ title: text, symptoms: text, synonyms: text, solution: text, active: fc.boolean() });
    fc.assert(
      fc.property(fc.array(problem, { minLength: 1, maxLength: 4 }), (list) => {
        const { fromFts5, fromRows } = both(load(list));
        expect(plainIndex(fromRows)).toEqual(plainIndex(fromFts5));
      }),
      { numRuns: 60 },
    );
  });
});
