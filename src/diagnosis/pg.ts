/**
 * Diagnosis on PostgreSQL (no FTS5): the problem index built from the rows with FTS5's
 * tokenizer in JavaScript (pg/problem-index.ts), for every request — each word tokenized as
 * FTS5 would (`fts5Tokens`: unicode61, remove_diacritics 2, porter) and ranked by the same
 * bm25 as on SQLite. A word FTS5 would split into several tokens (a phrase there) counts here
 * as those tokens, each on its own.
 */
import { queryableOf } from '../search/pg/queryable.js';
import { fts5Tokens } from './fts5-tokens.js';
import { postgresProblemIndex } from './pg/problem-index.js';
import { rankProblems } from './problem-index.js';
import type { DiagnosisQueries } from './search-problems.js';

export const pgDiagnosis: DiagnosisQueries = {
  async ranked(q, terms, rows) {
    const index = await postgresProblemIndex(queryableOf(q));
    if (!index) return [];
    const tokens = [...new Set(terms.flatMap(fts5Tokens))];
    return rankProblems(index, tokens, rows).map(({ problem: p, rank }) => ({ id: p.id, title: p.title, symptoms: p.symptoms, synonyms: p.synonyms, solution: p.solution, rank, indexed: p }));
  },
};
