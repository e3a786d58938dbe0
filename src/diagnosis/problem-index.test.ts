import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/client.js';
import { problems } from '../db/schema/index.js';
import { DEMO_PROBLEMS } from '../seed/seed-demo.js';
import { fts5Tokens } from './fts5-tokens.js';
import { porterStem } from './porter.js';
import { tempDir } from '../../test/support/harness.js';
import { indexProblems, problemIndex, rankProblems, tokenInstances, updatedIndex, type ProblemIndex, type ProblemRow } from './problem-index.js';
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
      .map(([term, { slots, parts }]) => [term, slots.length, [...slots].map((slot, i) => [index.problems[slot]!.id, parts[i]!] as const).sort(([a], [b]) => a - b)] as const)
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

describe('updatedIndex: the index after an edit of the library is the one built from the library edited', () => {
  const problem = fc.record({ title: text, symptoms: text, synonyms: text, solution: text, active: fc.boolean() });
  type Edit = { kind: 'add'; problem: Omit<ProblemRow, 'id'> } | { kind: 'edit'; at: number; problem: Omit<ProblemRow, 'id'> } | { kind: 'flag' | 'delete'; at: number };
  const edit: fc.Arbitrary<Edit> = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), problem }),
    fc.record({ kind: fc.constant('edit' as const), at: fc.nat(), problem }),
    fc.record({ kind: fc.constantFrom('flag' as const, 'delete' as const), at: fc.nat() }),
  );
  const words = fc.uniqueArray(fc.constantFrom('charge', 'refund', 'login', 'reset', 'sync', 'naïve', 'ing', 'ation'), { minLength: 1, maxLength: 4 });
  /** The library after `e` (an added problem gets an id above every one before). */
  function applied(rows: ProblemRow[], e: Edit, nextId: () => number): ProblemRow[] {
    if (e.kind === 'add') return [...rows, { id: nextId(), ...e.problem }];
    if (rows.length === 0) return rows;
    const at = e.at % rows.length;
    if (e.kind !== 'edit') return e.kind === 'delete' ? rows.filter((_, i) => i !== at) : rows.map((row, i) => (i === at ? { ...row, active: !row.active } : row));
    return rows.map((row, i) => (i === at ? { id: row.id, ...e.problem } : row));
  }
  const ranked = (index: ProblemIndex, tokens: string[]) => rankProblems(index, tokens, 12).map(({ problem, rank }) => [problem.id, rank]);

  it('without FTS5 (tokenInstances, as on PostgreSQL), for random libraries and edits', () => {
    let updates = 0;
    fc.assert(
      fc.property(fc.array(problem, { minLength: 4, maxLength: 12 }), fc.array(edit, { minLength: 1, maxLength: 6 }), words, (library, edits, request) => {
        let rows: ProblemRow[] = library.map((p, i) => ({ id: i + 1, ...p }));
        let id = rows.length;
        let index = indexProblems(1, rows);
        for (const [k, e] of edits.entries()) {
          rows = applied(rows, e, () => ++id);
          const whole = indexProblems(k + 2, rows);
          const updated = updatedIndex(index, k + 2, rows, tokenInstances);
          if (updated) {
            updates++;
            expect(plainIndex(updated)).toEqual(plainIndex(whole));
            expect(ranked(updated, request.map(porterStem))).toEqual(ranked(whole, request.map(porterStem)));
          }
          index = updated ?? whole;
        }
      }),
      { numRuns: 150 },
    );
    expect(updates).toBeGreaterThan(100);
  });

  /**
   * A library file on SQLite: `db` (the connection under test) and `other` (another process's),
   * and `whole()`, the index a new connection builds whole from fts5vocab; closed after `run`.
   */
  function withLibrary(run: (t: { db: ReturnType<typeof openDatabase>; other: Database.Database; whole: () => ProblemIndex }) => void): void {
    const file = path.join(tempDir('casebook-problem-index-'), 'library.db');
    const db = openDatabase(file);
    const other = new Database(file);
    const whole = () => {
      const fresh = openDatabase(file);
      try {
        return problemIndex(fresh)!;
      } finally {
        fresh.$client.close();
      }
    };
    try {
      run({ db, other, whole });
    } finally {
      other.close();
      db.$client.close();
    }
  }

  it('on SQLite, edits through SQL by this connection and another: what a new connection builds whole from fts5vocab', () => {
    withLibrary(({ db, other, whole }) => {
      const insert = other.prepare('INSERT INTO problems (title, symptoms, synonyms, solution, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, 1)');
      for (let i = 0; i < 12; i++) insert.run(`Problem ${i} charge refund`, `symptom ${i} login reset naïve charging`, i % 3 ? 'billed twice' : '', `solution ${i}`, i % 5 ? 1 : 0);
      problemIndex(db);
      const steps: [string, unknown[]][] = [
        ['UPDATE problems SET symptoms = ? WHERE id = 3', ['cannot sync the calendar at all']],
        ['UPDATE problems SET active = 1 - active WHERE id = 5', []],
        ['DELETE FROM problems WHERE id = 7', []],
        ["INSERT INTO problems (title, symptoms, synonyms, solution, active, created_at, updated_at) VALUES ('Printer on fire', 'smoke, flames', 'burning', 'Call the fire brigade', 1, 1, 1)", []],
        ['UPDATE problems SET title = ?, synonyms = ? WHERE id = 2', ['Refund requested twice', 'double refund, Müller']],
      ];
      for (const [k, [sql, params]] of steps.entries()) {
        (k % 2 ? other : db.$client).prepare(sql).run(...params);
        const updated = problemIndex(db)!;
        const built = whole();
        expect(plainIndex(updated), sql).toEqual(plainIndex(built));
        for (const request of [['charge', 'refund'], ['smoke', 'printer'], ['calendar', 'sync', 'login'], ['muller', 'double']]) expect(ranked(updated, request.map(porterStem))).toEqual(ranked(built, request.map(porterStem)));
      }
    });
  });

  it('on SQLite while writes are refused (query_only, a full disk): built whole, as it cannot write its temp table', () => {
    withLibrary(({ db, other, whole }) => {
      const insert = other.prepare('INSERT INTO problems (title, symptoms, synonyms, solution, active, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 1, 1)');
      for (let i = 0; i < 8; i++) insert.run(`Problem ${i}`, `symptom ${i} charge`, '', `solution ${i}`);
      problemIndex(db);
      db.$client.pragma('query_only = 1');
      other.prepare("UPDATE problems SET symptoms = 'printer on fire' WHERE id = 2").run();
      expect(plainIndex(problemIndex(db)!)).toEqual(plainIndex(whole()));
    });
  });
});
