/** The search index current before a search reads it (SQLite: src/db/search-staging.ts). */
import { documentsWaiting, indexWaiting } from '../db/search-staging.js';
import { sqliteOf, sqliteOfStore } from '../db/store/sqlite.js';
import { throttledLog, type Logger, type ThrottledLog } from '../logger.js';
import type { Services } from '../services.js';

/** A failure told once a minute per logger: every search meets it while writes fail. */
const failures = new WeakMap<Logger, ThrottledLog>();

/**
 * Before a search reads the index: documents lone commits left waiting go in first (a unit of
 * group commit; nothing on PostgreSQL, whose index is written with the rows). Should that
 * write fail (the disk full, the database refusing writes), the search reads the index as it
 * is: without the last few new cases and customers, which it finds once writes work again.
 */
export async function searchIndexCurrent(services: Pick<Services, 'store' | 'logger'>): Promise<void> {
  const db = sqliteOfStore(services.store);
  if (!db || !documentsWaiting(db)) return;
  try {
    await services.store.write((q) => Promise.resolve(indexWaiting(sqliteOf(q))));
  } catch (error) {
    let log = failures.get(services.logger);
    if (!log) failures.set(services.logger, (log = throttledLog(services.logger, Date.now)));
    log('search-index-current', 'warn', 'new search documents could not go into the index before a search; it reads the index as it is', { error: (error as Error).message });
  }
}
