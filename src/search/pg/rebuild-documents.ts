/**
 * Rebuilds `search_documents` from the base tables on PostgreSQL: what rebuild-index.ts does for
 * SQLite's search_fts (and migration drizzle/pg/0001_search.sql for what a database held then),
 * for a bulk copy that ran with the triggers off (`session_replication_role = replica`) and for
 * repairing after a restore. Run it inside a transaction; the triggers keep the table in step
 * afterwards.
 */
import { MAX_POSITION, MESSAGE_TYPES } from '../documents.js';
import type { Queryable } from './match-documents.js';

const TYPES = MESSAGE_TYPES.map((t) => `type = '${t}'`).join(' OR ');

export const REBUILD_SEARCH_DOCUMENTS = [
  'DELETE FROM search_documents',
  'INSERT INTO search_documents (doc, words) SELECT -id, casebook_search_vector(name, email, organization) FROM customers',
  'INSERT INTO search_documents (doc, words) SELECT id << 20, casebook_search_vector(subject, description) FROM cases',
  `INSERT INTO search_documents (doc, words)
     SELECT (case_id << 20) + (place << 1) + (type = 'staff.noted')::int, casebook_search_vector(data ->> 'body')
     FROM (SELECT case_id, type, data, row_number() OVER (PARTITION BY case_id ORDER BY id) AS place FROM case_events) e
     WHERE (${TYPES}) AND place <= ${MAX_POSITION}`,
];

export async function rebuildSearchDocuments(client: Queryable): Promise<void> {
  for (const sql of REBUILD_SEARCH_DOCUMENTS) await client.query(sql);
}
