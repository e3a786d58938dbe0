/** The one place an erasure picks its dialect's SQL (sqlite.ts / pg.ts). */
import type { Handle } from '../db/store/index.js';
import * as pg from './pg.js';
import * as sqlite from './sqlite.js';

export type PrivacyQueries = typeof sqlite;

export function privacySql(q: Handle): PrivacyQueries {
  return q.dialect === 'sqlite' ? sqlite : pg;
}
