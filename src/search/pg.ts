/**
 * Search on PostgreSQL: `search_documents` and the `casebook` text configuration
 * (drizzle/pg/0001_search.sql, src/search/pg/), with the conditions of sqlite.ts written for
 * PostgreSQL — arrays bound as one parameter (`= ANY($n::text[])`) where SQLite binds JSON,
 * `jsonb_array_elements_text` for tags where SQLite has `json_each`, booleans as booleans. The
 * library group is ranked by the diagnosis index's bm25 (problem-index.ts: the same tokens
 * FTS5 indexes, its column weights), where SQLite orders by FTS5's unweighted bm25.
 */
import type { Handle } from '../db/store/index.js';
import { postgresProblemIndex } from '../diagnosis/pg/problem-index.js';
import { fts5Tokens } from '../diagnosis/fts5-tokens.js';
import { rankProblems } from '../diagnosis/problem-index.js';
import type { CaseConditions, Narrowing, Visibility } from './case-conditions.js';
import { highlightAll } from './pg/highlight.js';
import { matchingCustomers } from './pg/match-documents.js';
import { queryableOf } from './pg/queryable.js';
import { tsQuery } from './pg/ts-query.js';
import type { SearchQueries, Words } from './queries.js';

/** Numbered parameters of one statement. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

function visibilitySql(seen: Visibility, p: Params): string | null {
  switch (seen.kind) {
    case 'all':
      return null;
    case 'customer':
      return `c.customer_id = ${p.add(seen.customerId)}`;
    case 'staff':
      return `(c.queue_id = ANY(${p.add(seen.queues, '::text[]')}) OR c.assignee_id = ${p.add(seen.staffId)})`;
    case 'none':
      return 'false';
  }
}

function conditionsSql(c: CaseConditions, p: Params): string[] {
  const out: string[] = [];
  const seen = visibilitySql(c.visibility, p);
  if (seen) out.push(seen);
  if (c.status) out.push(`lower(c.status) = ANY(${p.add(c.status, '::text[]')})`);
  if (c.queue) out.push(`lower(c.queue_id) = ANY(${p.add(c.queue, '::text[]')})`);
  if (c.assignee) {
    const ids = `c.assignee_id = ANY(${p.add(c.assignee.ids, '::bigint[]')})`;
    out.push(c.assignee.none ? `(${ids} OR c.assignee_id IS NULL)` : ids);
  }
  if (c.priority) out.push(`c.priority = ANY(${p.add(c.priority, '::text[]')})`);
  if (c.tag) out.push(`EXISTS (SELECT 1 FROM jsonb_array_elements_text(c.tags) AS t(value) WHERE lower(t.value) = ANY(${p.add(c.tag, '::text[]')}))`);
  if (c.customer) out.push(`c.customer_id = ANY(${p.add(c.customer, '::bigint[]')})`);
  if (c.created) out.push(`c.created_at >= ${p.add(c.created.from)} AND c.created_at < ${p.add(c.created.to)}`);
  return out;
}

function narrowingSql(n: Narrowing, p: Params): string {
  switch (n.kind) {
    case 'customer':
      return `SELECT id FROM cases WHERE customer_id = ${p.add(n.customerId)}`;
    case 'assignee':
      return `SELECT id FROM cases WHERE assignee_id = ${p.add(n.staffId)}`;
    case 'assignees':
      return `SELECT id FROM cases WHERE assignee_id = ANY(${p.add(n.ids, '::bigint[]')})`;
    case 'assigned-in-queues':
      return `SELECT id FROM cases WHERE assignee_id = ${p.add(n.staffId)} AND lower(queue_id) = ANY(${p.add(n.queues, '::text[]')})`;
    case 'customers':
      return `SELECT id FROM cases WHERE customer_id = ANY(${p.add(n.ids, '::bigint[]')})`;
  }
}

async function rows<R extends object>(q: Handle, text: string, p: Params): Promise<R[]> {
  return (await queryableOf(q).query<R>(text, p.values)).rows;
}

/** Every word of the terms as FTS5 tokenizes it (the diagnosis index's tokens). */
function tokensOf(words: Words): string[] {
  return [...new Set(words.terms.flatMap((t) => fts5Tokens(t.text)))];
}

export const pgSearch: SearchQueries = {
  async documents(q, words, scan) {
    const p = new Params();
    const where = [`doc > ${p.add(scan.floor)}`, `doc < ${p.add(scan.before)}`];
    if (!scan.notes) where.push('(doc & 1) = 0');
    if (scan.narrowing) where.push(`(doc >> 20) IN (${narrowingSql(scan.narrowing, p)})`);
    const limit = p.add(scan.limit);
    const ts = tsQuery(words, p.values.length);
    if (!ts) return [];
    p.values.push(...ts.params);
    const found = await rows<{ doc: number }>(q, `SELECT doc FROM search_documents WHERE ${where.join(' AND ')} AND ${ts.guard} AND words @@ (${ts.query}) ORDER BY doc DESC LIMIT ${limit}`, p);
    return found.map((r) => Number(r.doc));
  },
  async termDocuments(q, terms, scan) {
    if (terms.length === 0 || scan.cases.length === 0) return [];
    const p = new Params();
    const cases = p.add(scan.cases, '::bigint[]');
    const texts = p.add(terms.map((t) => t.text), '::text[]');
    // Each case's documents by the primary key's range (a case's ids are adjacent; MATERIALIZED
    // keeps the planner off the words' GIN index, which would read a common word's every
    // document), each tested against each term; a term with no word PostgreSQL indexes matches
    // nothing (ts-query.ts's guard).
    const found = await rows<{ doc: number; term: number }>(
      q,
      `WITH docs AS MATERIALIZED (
         SELECT d.doc, d.words FROM unnest(${cases}) AS c(id)
           JOIN search_documents d ON d.doc >= c.id << 20 AND d.doc < (c.id + 1) << 20${scan.notes ? '' : ' AND (d.doc & 1) = 0'}),
       terms AS MATERIALIZED (
         SELECT i, phraseto_tsquery('casebook', casebook_search_text(text)) AS query FROM unnest(${texts}) WITH ORDINALITY AS t(text, i))
       SELECT docs.doc, terms.i - 1 AS term FROM docs CROSS JOIN terms
        WHERE numnode(terms.query) > 0 AND docs.words @@ terms.query`,
      p,
    );
    return found.map((r) => ({ doc: Number(r.doc), term: Number(r.term) }));
  },
  async passing(q, conditions, ids) {
    const p = new Params();
    const where = [`c.id = ANY(${p.add(ids, '::bigint[]')})`, ...conditionsSql(conditions, p)];
    const found = await rows<{ id: number }>(q, `SELECT c.id FROM cases c WHERE ${where.join(' AND ')}`, p);
    return new Set(found.map((r) => Number(r.id)));
  },
  async oldestCase(q, narrowing) {
    const p = new Params();
    const [row] = await rows<{ id: number | null }>(q, `SELECT min(id) AS id FROM (${narrowingSql(narrowing, p)}) AS n`, p);
    return row?.id == null ? null : Number(row.id);
  },
  async casesByFilters(q, conditions, scan) {
    const p = new Params();
    const where = [`c.id < ${p.add(scan.before)}`, `c.id >= ${p.add(scan.floor)}`, ...conditionsSql(conditions, p)];
    if (conditions.narrowing) where.push(`c.id IN (${narrowingSql(conditions.narrowing, p)})`);
    const found = await rows<{ id: number }>(q, `SELECT c.id FROM cases c WHERE ${where.join(' AND ')} ORDER BY c.id DESC LIMIT ${p.add(scan.limit)}`, p);
    return found.map((r) => Number(r.id));
  },
  customersMatching(q, words, limit) {
    return matchingCustomers(queryableOf(q), words, { limit });
  },
  async customerRows(q, visibility, ids, limit) {
    const p = new Params();
    const seen = visibilitySql(visibility, p);
    const list = p.add(ids, '::bigint[]');
    const found = await rows<{ id: number; name: string; email: string; organization: string | null; cases: number }>(
      q,
      `SELECT * FROM (
         SELECT cu.id, cu.name, cu.email, cu.organization,
                (SELECT count(*) FROM cases c WHERE c.customer_id = cu.id${seen ? ` AND ${seen}` : ''}) AS cases
         FROM customers cu WHERE cu.id = ANY(${list})) AS found
       WHERE cases > 0 ORDER BY id DESC LIMIT ${p.add(limit)}`,
      p,
    );
    return found.map((r) => ({ ...r, id: Number(r.id), cases: Number(r.cases) }));
  },
  async library(q, words, limit) {
    const p = new Params();
    const ts = tsQuery(words, 0);
    if (!ts) return [];
    p.values.push(...ts.params);
    const found = await rows<{ id: number; title: string; solution: string }>(
      q,
      `SELECT id, title, solution FROM problems
        WHERE active AND ${ts.guard} AND casebook_search_vector(title, symptoms, solution, synonyms) @@ (${ts.query})`,
      p,
    );
    if (found.length === 0) return [];
    const index = await postgresProblemIndex(queryableOf(q));
    const rank = new Map((index ? rankProblems(index, tokensOf(words), Number.MAX_SAFE_INTEGER) : []).map((r, i) => [r.problem.id, i]));
    const at = (id: number) => rank.get(id) ?? Number.MAX_SAFE_INTEGER;
    return found
      .map((r) => ({ id: Number(r.id), title: r.title, solution: r.solution }))
      .sort((a, b) => at(a.id) - at(b.id) || a.id - b.id)
      .slice(0, limit);
  },
  highlight(q, words, inputs, options) {
    return highlightAll(queryableOf(q), words ?? { terms: [], excluded: [] }, inputs, options);
  },
  ownDocuments() {
    return Promise.resolve(null);
  },
};
