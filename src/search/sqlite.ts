/**
 * Search on SQLite: the FTS5 index `search_fts` (drizzle/0015_search.sql), the library's
 * `problems_fts`, and cached prepared statements whose text depends only on which conditions
 * are present, never on their values: lists are bound as one JSON parameter (`IN (SELECT
 * value FROM json_each(?))`), so the per-connection statement cache stays small whatever
 * callers send.
 */
import { statement } from '../db/fast.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { DomainError } from '../errors.js';
import type { CaseConditions, Narrowing, Visibility } from './case-conditions.js';
import { highlightAll } from './highlight.js';
import { ownCasesSource } from './own-cases.js';
import { ftsAnyQuery, ftsQuery, ftsTermQuery } from './parse-query.js';
import type { SearchQueries, Source } from './queries.js';

const IN_LIST = 'IN (SELECT value FROM json_each(?))';

export const SEARCH_INDEX: Source = { table: 'search_fts', match: 'search_fts' };

function visibilitySql(seen: Visibility): { sql: string | null; params: unknown[] } {
  switch (seen.kind) {
    case 'all':
      return { sql: null, params: [] };
    case 'customer':
      return { sql: 'c.customer_id = ?', params: [seen.customerId] };
    case 'staff':
      return { sql: `(c.queue_id ${IN_LIST} OR c.assignee_id = ?)`, params: [JSON.stringify(seen.queues), seen.staffId] };
    case 'none':
      return { sql: '0', params: [] };
  }
}

/** The conditions as SQL over `cases c`, all of which must hold. */
export function conditionsSql(c: CaseConditions): { sql: string[]; params: unknown[] } {
  const sql: string[] = [];
  const params: unknown[] = [];
  const seen = visibilitySql(c.visibility);
  if (seen.sql) {
    sql.push(seen.sql);
    params.push(...seen.params);
  }
  if (c.status) {
    sql.push(`lower(c.status) ${IN_LIST}`);
    params.push(JSON.stringify(c.status));
  }
  if (c.queue) {
    sql.push(`lower(c.queue_id) ${IN_LIST}`);
    params.push(JSON.stringify(c.queue));
  }
  if (c.assignee) {
    sql.push(`(c.assignee_id ${IN_LIST} OR (? AND c.assignee_id IS NULL))`);
    params.push(JSON.stringify(c.assignee.ids), c.assignee.none ? 1 : 0);
  }
  if (c.tag) {
    sql.push(`EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE lower(t.value) ${IN_LIST})`);
    params.push(JSON.stringify(c.tag));
  }
  if (c.priority) {
    sql.push(`c.priority ${IN_LIST}`);
    params.push(JSON.stringify(c.priority));
  }
  if (c.customer) {
    sql.push(`c.customer_id ${IN_LIST}`);
    params.push(JSON.stringify(c.customer));
  }
  if (c.created) {
    sql.push('c.created_at >= ? AND c.created_at < ?');
    params.push(c.created.from, c.created.to);
  }
  return { sql, params };
}

/** A narrowing set as `SELECT id FROM cases WHERE …`. */
export function narrowingSql(n: Narrowing): { sql: string; params: unknown[] } {
  switch (n.kind) {
    case 'customer':
      return { sql: 'SELECT id FROM cases WHERE customer_id = ?', params: [n.customerId] };
    case 'assignee':
      return { sql: 'SELECT id FROM cases WHERE assignee_id = ?', params: [n.staffId] };
    case 'assignees':
      return { sql: `SELECT id FROM cases WHERE assignee_id ${IN_LIST}`, params: [JSON.stringify(n.ids)] };
    case 'assigned-in-queues':
      return { sql: `SELECT id FROM cases WHERE assignee_id = ? AND lower(queue_id) ${IN_LIST}`, params: [n.staffId, JSON.stringify(n.queues)] };
    case 'customers':
      return { sql: `SELECT id FROM cases WHERE customer_id ${IN_LIST}`, params: [JSON.stringify(n.ids)] };
  }
}

/** The queries are built from quoted user text; an FTS5 error here is ours, not the caller's. */
function ftsError(error: unknown): Error {
  if (error instanceof Error && /fts5/i.test(error.message)) return new DomainError('INTERNAL', `The search index refused a query: ${error.message}`);
  return error as Error;
}

export const sqliteSearch: SearchQueries = {
  documents(q, words, scan) {
    const fts = ftsQuery(words);
    if (fts === null) return Promise.resolve([]);
    const narrowing = scan.narrowing ? narrowingSql(scan.narrowing) : null;
    const docFilter = [scan.notes ? '' : ' AND (rowid & 1) = 0', narrowing ? ` AND (rowid >> 20) IN (${narrowing.sql})` : ''].join('');
    const source = scan.source ?? SEARCH_INDEX;
    const chunkSql = `SELECT rowid AS doc FROM ${source.table} WHERE ${source.match} MATCH ? AND rowid > ? AND rowid < ?${docFilter} ORDER BY rowid DESC LIMIT ?`;
    try {
      const rows = statement<unknown[], { doc: number }>(sqliteOf(q), chunkSql).all(fts, scan.floor, scan.before, ...(narrowing?.params ?? []), scan.limit);
      return Promise.resolve(rows.map((r) => r.doc));
    } catch (error) {
      return Promise.reject(ftsError(error));
    }
  },
  termDocuments(q, terms, scan) {
    if (terms.length === 0 || scan.cases.length === 0) return Promise.resolve([]);
    const source = scan.source ?? SEARCH_INDEX;
    // CROSS JOIN keeps the cases and terms outside: each (case, term) is one FTS5 lookup bounded
    // by the case's rowids (plan `M2><`), never a term's whole doclist.
    const sql = `SELECT f.rowid AS doc, t.key AS term FROM json_each(?) c CROSS JOIN json_each(?) t CROSS JOIN ${source.table} AS f
      WHERE f.${source.match} MATCH t.value AND f.rowid >= (c.value << 20) AND f.rowid < ((c.value + 1) << 20)${scan.notes ? '' : ' AND (f.rowid & 1) = 0'}`;
    try {
      const rows = statement<[string, string], { doc: number; term: number }>(sqliteOf(q), sql).all(JSON.stringify(scan.cases), JSON.stringify(terms.map(ftsTermQuery)));
      return Promise.resolve(rows);
    } catch (error) {
      return Promise.reject(ftsError(error));
    }
  },
  passing(q, conditions, ids) {
    const where = conditionsSql(conditions);
    const sql = ['c.id IN (SELECT value FROM json_each(?))', ...where.sql].join(' AND ');
    const rows = statement<unknown[], { id: number }>(sqliteOf(q), `SELECT c.id FROM cases c WHERE ${sql}`).all(JSON.stringify(ids), ...where.params);
    return Promise.resolve(new Set(rows.map((r) => r.id)));
  },
  oldestCase(q, narrowing) {
    const n = narrowingSql(narrowing);
    const row = statement<unknown[], { id: number | null }>(sqliteOf(q), `SELECT min(id) AS id FROM (${n.sql})`).get(...n.params);
    return Promise.resolve(row?.id ?? null);
  },
  casesByFilters(q, conditions, scan) {
    const where = conditionsSql(conditions);
    const params = [...where.params];
    if (conditions.narrowing) {
      const n = narrowingSql(conditions.narrowing);
      where.sql.push(`c.id IN (${n.sql})`);
      params.push(...n.params);
    }
    const sql = `SELECT c.id FROM cases c WHERE c.id < ? AND c.id >= ?${where.sql.map((w) => ` AND ${w}`).join('')} ORDER BY c.id DESC LIMIT ?`;
    const rows = statement<unknown[], { id: number }>(sqliteOf(q), sql).all(scan.before, scan.floor, ...params, scan.limit);
    return Promise.resolve(rows.map((r) => r.id));
  },
  customersMatching(q, words, limit) {
    const fts = ftsQuery(words);
    if (fts === null) return Promise.resolve([]);
    const rows = statement<[string, number], { id: number }>(sqliteOf(q), 'SELECT -rowid AS id FROM search_fts WHERE search_fts MATCH ? AND rowid < 0 ORDER BY rowid LIMIT ?').all(fts, limit);
    return Promise.resolve(rows.map((r) => r.id));
  },
  customerRows(q, visibility, ids, limit) {
    const seen = visibilitySql(visibility);
    const rows = statement<unknown[], { id: number; name: string; email: string; organization: string | null; cases: number }>(
      sqliteOf(q),
      `SELECT * FROM (
         SELECT cu.id, cu.name, cu.email, cu.organization,
                (SELECT count(*) FROM cases c WHERE c.customer_id = cu.id${seen.sql ? ` AND ${seen.sql}` : ''}) AS cases
         FROM customers cu WHERE cu.id IN (SELECT value FROM json_each(?)))
       WHERE cases > 0 ORDER BY id DESC LIMIT ?`,
    ).all(...seen.params, JSON.stringify(ids), limit);
    return Promise.resolve(rows);
  },
  library(q, words, limit) {
    // problems_fts is given the problems' texts as written (no casebook_search_text).
    const fts = ftsQuery(words, (text) => text);
    if (fts === null) return Promise.resolve([]);
    const rows = statement<[string, number], { id: number; title: string; solution: string }>(
      sqliteOf(q),
      `SELECT p.id, p.title, p.solution FROM problems_fts JOIN problems p ON p.id = problems_fts.rowid
       WHERE problems_fts MATCH ? AND p.active = 1 ORDER BY rank LIMIT ?`,
    ).all(fts, limit);
    return Promise.resolve(rows);
  },
  highlight(q, words, inputs, options) {
    return Promise.resolve(highlightAll(sqliteOf(q), words === null ? null : options?.any ? ftsAnyQuery(words) : ftsQuery(words), inputs));
  },
  ownDocuments(q, customerId) {
    const db = sqliteOf(q);
    const own = ownCasesSource(db, customerId);
    return Promise.resolve(own ? { table: own.table, match: own.match, done: () => Promise.resolve(own.done()) } : null);
  },
};
