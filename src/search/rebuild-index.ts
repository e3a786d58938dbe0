/**
 * Rebuilds the search index from the base tables, each text as the triggers give it
 * (`casebook_search_text`, drizzle/0033_search_cjk.sql): what migration 0015 did for an existing
 * database, for bulk loads that switch the triggers off (bench/seed-store.ts) and for
 * repairing an index after a restore. Run inside a transaction; the triggers keep it in step
 * afterwards.
 */
import type { Db } from '../db/client.js';
import { MAX_POSITION, MESSAGE_TYPES } from './documents.js';

const TYPES = MESSAGE_TYPES.map((t) => `'${t}'`).join(', ');

export const REBUILD_SEARCH_INDEX = [
  "INSERT INTO search_fts(search_fts) VALUES ('delete-all')",
  // Documents waiting in search_pending (src/db/search-staging.ts) are among those indexed below.
  'DELETE FROM search_pending',
  'INSERT INTO search_fts(rowid, name, email, organization) SELECT -id, casebook_search_text(name), casebook_search_text(email), casebook_search_text(organization) FROM customers',
  'INSERT INTO search_fts(rowid, subject, body) SELECT id << 20, casebook_search_text(subject), casebook_search_text(description) FROM cases',
  `INSERT INTO search_fts(rowid, body)
     SELECT (case_id << 20) + (position << 1) + (type = 'staff.noted'), casebook_search_text(json_extract(data, '$.body'))
     FROM (SELECT case_id, type, data, row_number() OVER (PARTITION BY case_id ORDER BY id) AS position FROM case_events)
     WHERE type IN (${TYPES}) AND position <= ${MAX_POSITION}`,
  // One segment: later commits then merge only their own small segments (a bulk load left
  // as several large segments makes every following intake pay for merging them).
  "INSERT INTO search_fts(search_fts) VALUES ('optimize')",
];

export function rebuildSearchIndex(db: Db): void {
  for (const sql of REBUILD_SEARCH_INDEX) db.$client.prepare(sql).run();
}
