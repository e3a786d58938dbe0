import Database from 'better-sqlite3';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/support/harness.js';
import { problems } from '../db/schema/index.js';
import { DEMO_PROBLEMS } from '../seed/seed-demo.js';
import { porterStem } from './porter.js';
import { problemIndex, rankProblems } from './problem-index.js';
import { diagnose, problemWords, searchProblems, searchTerms, sharedWords } from './search-problems.js';

let h: Harness;
let ids: { login: number; charge: number; sync: number };
beforeEach(() => {
  h = createHarness();
  const now = h.clock.now();
  const add = (title: string, symptoms: string) =>
    h.db.insert(problems).values({ title, symptoms, solution: `Fix for ${title}`, createdAt: now, updatedAt: now }).returning().get().id;
  ids = {
    login: add('Cannot log in after a password reset', 'login fails, password reset link expired, locked out'),
    charge: add('Charged twice for one invoice', 'double charge, duplicate payment, invoice paid twice'),
    sync: add('Calendar sync stopped', 'calendar not syncing, events missing'),
  };
});
afterEach(() => h.close());

describe('searchTerms', () => {
  it('keeps distinct meaningful words, lower-cased, without accents or stop words', () => {
    expect(searchTerms('Hello! I CANNOT log in — my Passwörd reset failed; the reset link…')).toEqual(['log', 'password', 'reset', 'failed', 'link']);
  });
  it('caps the number of words searched', () => {
    expect(searchTerms(Array.from({ length: 40 }, (_, i) => `word${i}`).join(' '))).toHaveLength(12);
  });
  it('finds the words of the text folded whole, though it folds long texts a chunk at a time', () => {
    // The definition: the whole text lower-cased, decomposed, its marks dropped, split into words.
    const whole = (text: string, max: number) => {
      const out: string[] = [];
      for (const word of text.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '').match(/[\p{L}\p{N}]+/gu) ?? []) {
        if (word.length < 3 || out.includes(word) || searchTerms(word, 1).length === 0) continue;
        out.push(word);
        if (out.length >= max) break;
      }
      return out;
    };
    // Pieces that fold across a character's neighbours or change length: final sigma, marks after a
    // space, a dotted capital I, ß, ligatures, fractions, squared units, CJK, emoji, apostrophes.
    const pieces = ['ΟΔΟΣ', 'ΣΑΣ', 'Σ', ' ', '\n', ' \u0301', 'e\u0301', 'İstanbul', 'STRAẞE', 'straße', 'ﬁle', '½', '㎏', '王小明', '🙂', "'", '’', 'Invoice', 'REFUND', 'café', 'naïve', '\u0300\u0301', '2026', 'a', 'x-y', '—'];
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), Math.floor((seed / 2 ** 31) * n));
    for (let round = 0; round < 300; round++) {
      const parts: string[] = [];
      const length = 200 + next(4000);
      let size = 0;
      while (size < length) {
        const piece = next(3) === 0 ? pieces[next(pieces.length)]! : `w${next(40).toString(36)}${next(3) === 0 ? 'Σ' : ''}`;
        parts.push(piece);
        size += piece.length;
      }
      const text = parts.join(next(2) === 0 ? ' ' : '');
      for (const max of [12, 40, Number.POSITIVE_INFINITY]) expect(searchTerms(text, max), `round ${round}, max ${max}`).toEqual(whole(text, max));
    }
  });
});

describe('sharedWords', () => {
  // The definition, word against word: equal, or the shorter (five letters or more) starts the longer.
  const sameWord = (a: string, b: string) => a === b || (a.length <= b.length ? a.length >= 5 && b.startsWith(a) : b.length >= 5 && a.startsWith(b));
  const byDefinition = (stems: string[], words: string[]) => new Set(stems.filter((t) => words.some((w) => sameWord(t, w)))).size;

  it('counts what the word-against-word definition counts', () => {
    // Few letters, so that words start one another often.
    const stem = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), minLength: 1, maxLength: 9 });
    fc.assert(
      fc.property(fc.array(stem, { maxLength: 12 }), fc.array(stem, { maxLength: 30 }), (stems, words) => {
        expect(sharedWords(stems, problemWords(words))).toBe(byDefinition(stems, words));
      }),
      { numRuns: 2000 },
    );
  });
  it('names "connect" by "connection" and back, never "app" by "appointments"', () => {
    expect(sharedWords(['connect'], problemWords(['connection']))).toBe(1);
    expect(sharedWords(['connection'], problemWords(['connect']))).toBe(1);
    expect(sharedWords(['app', 'appoint'], problemWords(['appointments']))).toBe(1);
    expect(sharedWords(['char', 'charg', 'charg'], problemWords(['charge']))).toBe(1);
  });
});

describe('searchProblems and diagnose', () => {
  it('finds the matching problem first, across word forms', () => {
    const found = searchProblems(h.db, 'I was charged two times for my invoice', 3);
    expect(found[0]).toMatchObject({ problemId: ids.charge, title: 'Charged twice for one invoice' });
  });

  it('calls it a match only when at least two meaningful words are shared', () => {
    expect(diagnose(h.db, 'Password reset', 'the reset link expired and login fails')).toMatchObject({ matched: true, problemId: ids.login });
    const weak = diagnose(h.db, 'Question', 'Which calendar do you recommend?');
    expect(weak.matched).toBe(false);
    expect(weak.problemId).toBeNull();
    expect(weak.suggestions.map((s) => s.problemId)).toEqual([ids.sync]);
  });

  it('treats user text as words, never as FTS5 query syntax', () => {
    for (const text of ['"unbalanced', 'title:password OR *', 'NEAR(reset link) AND NOT x', 'a^b', "'); DROP TABLE problems; --"]) {
      expect(() => searchProblems(h.db, text)).not.toThrow();
    }
    expect(h.db.select().from(problems).all()).toHaveLength(3);
  });

  it('follows edits and ignores deactivated problems', () => {
    h.db.update(problems).set({ symptoms: 'printer on fire, smoke' }).where(eq(problems.id, ids.sync)).run();
    expect(searchProblems(h.db, 'my printer is on fire')[0]?.problemId).toBe(ids.sync);
    h.db.update(problems).set({ active: false }).where(eq(problems.id, ids.sync)).run();
    expect(searchProblems(h.db, 'my printer is on fire')).toEqual([]);
  });
});

describe('synonyms', () => {
  it('make a problem match the way customers say it', () => {
    expect(diagnose(h.db, 'Billed 2 times', 'I was billed 2 times this month.').matched).toBe(false);
    const now = h.clock.now();
    h.db.update(problems).set({ synonyms: 'billed 2 times, double billed', updatedAt: now }).where(eq(problems.id, ids.charge)).run();
    expect(diagnose(h.db, 'Billed 2 times', 'I was billed 2 times this month.')).toMatchObject({ matched: true, problemId: ids.charge });
  });

  it('are searched whatever the length of the symptoms before them', () => {
    const long = Array.from({ length: 30 }, (_, i) => `symptom${i}`).join(', ');
    h.db.update(problems).set({ symptoms: long, synonyms: 'printer jammed paper' }).where(eq(problems.id, ids.sync)).run();
    expect(diagnose(h.db, 'Printer jammed', 'the printer jammed again')).toMatchObject({ matched: true, problemId: ids.sync });
  });
});

describe('shared words', () => {
  it('count word forms, not words that merely start alike', () => {
    const now = h.clock.now();
    h.db.update(problems).set({ symptoms: 'connection refused, appointments missing', updatedAt: now }).where(eq(problems.id, ids.sync)).run();
    expect(searchProblems(h.db, 'cannot connect, connecting fails')[0]).toMatchObject({ problemId: ids.sync, sharedWords: 1 });
    expect(searchProblems(h.db, 'the app shows an error').find((m) => m.problemId === ids.sync)?.sharedWords ?? 0).toBe(0);
  });

  it('count a request that repeats one word in several forms as one word', () => {
    expect(diagnose(h.db, 'Charges', 'charged, charging')).toMatchObject({ matched: true, problemId: ids.charge });
  });
});

describe('the demo library', () => {
  beforeEach(() => {
    h.db.delete(problems).run();
    const now = h.clock.now();
    for (const p of DEMO_PROBLEMS) h.db.insert(problems).values({ ...p, createdAt: now, updatedAt: now }).run();
  });
  const idOf = (title: string) => h.db.select().from(problems).where(eq(problems.title, title)).get()!.id;

  it.each([
    ['Billed 2 times', 'I was billed 2 times for March.', 'Charged twice for one invoice'],
    ['Locked out of my account', 'Locked out of my account since this morning.', 'Cannot log in after a password reset'],
    ['Charged twice', 'My card was charged twice for the same invoice.', 'Charged twice for one invoice'],
    ['Cannot log in', 'The password reset link expired.', 'Cannot log in after a password reset'],
  ])('diagnoses %j as a known problem', (subject, description, title) => {
    expect(diagnose(h.db, subject, description)).toMatchObject({ matched: true, problemId: idOf(title) });
  });

  it('still finds nothing for an unknown problem', () => {
    expect(diagnose(h.db, 'Rapid growth plan', 'Which plan suits a company growing fast?').matched).toBe(false);
  });
});

describe('the in-memory index', () => {
  beforeEach(() => {
    const now = h.clock.now();
    for (const p of DEMO_PROBLEMS) h.db.insert(problems).values({ ...p, createdAt: now, updatedAt: now }).run();
    h.db.update(problems).set({ active: false }).where(eq(problems.title, DEMO_PROBLEMS[1]!.title)).run();
  });

  /** What FTS5 itself answers: the query search-problems.ts sends it for words that are not plain ASCII. */
  function viaFts5(terms: string[], limit = 12): { id: number; rank: number }[] {
    return h.db.$client
      .prepare(
        `SELECT p.id, bm25(problems_fts, 4.0, 2.0, 0.5, 2.0) AS rank FROM problems_fts JOIN problems p ON p.id = problems_fts.rowid
         WHERE problems_fts MATCH ? AND p.active = 1 ORDER BY rank, p.id LIMIT ?`,
      )
      .all(terms.map((t) => `"${t}"`).join(' OR '), limit) as { id: number; rank: number }[];
  }

  /**
   * The same problems in the same order with the same ranks (to 9 decimals). Problems whose
   * scores are equal but for floating-point rounding (the index adds a problem's terms in
   * another order than FTS5: ~1e-15 apart) may come in either order; each such run is compared
   * as a set, and the last one only by its size when the limit cut the list (either side may
   * keep another of its members). A run of 1e-9: a real difference in score is far larger.
   */
  function expectSameRanking(ours: { id: number; rank: number }[], theirs: { id: number; rank: number }[], limit: number): void {
    expect(ours).toHaveLength(theirs.length);
    ours.forEach((r, i) => expect(r.rank).toBeCloseTo(theirs[i]!.rank, 9));
    /** The ids in runs of equal scores (each within 1e-9 of its run's first), each run by id. */
    const runs = (list: { id: number; rank: number }[]) => {
      const out: { start: number; ids: number[] }[] = [];
      for (const r of list) {
        const run = out.at(-1);
        if (run && Math.abs(r.rank - run.start) <= 1e-9) run.ids.push(r.id);
        else out.push({ start: r.rank, ids: [r.id] });
      }
      return out.map((run) => run.ids.sort((a, b) => a - b));
    };
    const [a, b] = [runs(ours), runs(theirs)];
    const cut = theirs.length === limit;
    expect(cut ? a.slice(0, -1) : a).toEqual(cut ? b.slice(0, -1) : b);
    if (cut) expect(a.at(-1)?.length).toBe(b.at(-1)?.length);
  }

  it('finds and ranks exactly as FTS5 bm25 does, for any words', () => {
    const vocabulary = [...new Set(`${DEMO_PROBLEMS.map((p) => `${p.title} ${p.symptoms} ${p.synonyms ?? ''} ${p.solution}`).join(' ')} charges charging logged syncs exporting refunds`.toLowerCase().match(/[a-z0-9]{3,}/g)!)];
    const word = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...vocabulary) }, { weight: 1, arbitrary: fc.stringMatching(/^[a-z]{3,9}$/) });
    fc.assert(
      fc.property(fc.uniqueArray(word, { minLength: 1, maxLength: 12 }), (terms) => {
        const index = problemIndex(h.db)!;
        const ours = rankProblems(index, terms.map(porterStem), 12).map(({ problem, rank }) => ({ id: problem.id, rank }));
        expectSameRanking(ours, viaFts5(terms), 12);
      }),
      { numRuns: 400 },
    );
  });

  it('ranks exactly as FTS5 bm25 does in a library where most problems share the request’s words, keeping only the best', () => {
    // 150 more problems from 40 words: a request's words are in most of them, far more than the 12 kept.
    const words = 'account login password reset error invoice refund charge charged twice payment card billing export data csv calendar sync events missing plan upgrade email notification token webhook slow timeout mobile report team invite access locked code address receipt download storage workspace'.split(' ');
    const now = h.clock.now();
    const pick = (seed: number, n: number) => Array.from({ length: n }, (_, i) => words[(seed * 7 + i * i * 13 + i) % words.length]).join(' ');
    for (let i = 0; i < 150; i++) {
      h.db.insert(problems).values({ title: pick(i, 3), symptoms: pick(i + 1_000, 4 + (i % 9)), synonyms: pick(i + 2_000, i % 3), solution: pick(i + 3_000, 10 + (i % 17)), active: i % 7 !== 0, createdAt: now, updatedAt: now }).run();
    }
    const request = fc.uniqueArray(fc.constantFrom(...words), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(request, fc.constantFrom(1, 3, 12, 1_000), (terms, limit) => {
        const ours = rankProblems(problemIndex(h.db)!, terms.map(porterStem), limit).map(({ problem, rank }) => ({ id: problem.id, rank }));
        expectSameRanking(ours, viaFts5(terms, limit), limit);
      }),
      { numRuns: 200 },
    );
  });

  it('follows the library: a problem added, edited, deactivated or deleted, even by another connection', () => {
    const before = problemIndex(h.db)!;
    expect(problemIndex(h.db)).toBe(before); // nothing changed: the same index, no rebuild
    const other = new Database(h.dbPath);
    try {
      const now = h.clock.now();
      other.prepare('INSERT INTO problems (title, symptoms, solution, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run('Printer on fire', 'smoke from the printer', 'Call the fire brigade', now, now);
    } finally {
      other.close();
    }
    expect(searchProblems(h.db, 'smoke coming out of my printer')[0]?.title).toBe('Printer on fire');
    const id = h.db.select().from(problems).where(eq(problems.title, 'Printer on fire')).get()!.id;
    h.db.update(problems).set({ symptoms: 'flames and sparks' }).where(eq(problems.id, id)).run();
    expect(searchProblems(h.db, 'smoke coming out of my printer').find((m) => m.problemId === id)?.sharedWords).toBe(1);
    h.db.delete(problems).where(eq(problems.id, id)).run();
    expect(searchProblems(h.db, 'flames and sparks')).toEqual([]);
  });

  it('leaves words that are not plain ASCII to FTS5', () => {
    const found = searchProblems(h.db, 'Не могу войти: password reset link expired');
    expect(found[0]?.title).toBe('Cannot log in after a password reset');
  });
});
