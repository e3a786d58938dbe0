/**
 * The one place authentication's per-request reads choose their dialect: SQLite's cached
 * prepared statements (src/auth/sqlite.ts) or PostgreSQL's builder queries (src/auth/pg.ts),
 * both exporting the same functions.
 */
import type { Handle } from '../db/store/index.js';
import * as pgLookups from './pg.js';
import * as sqliteLookups from './sqlite.js';

export type AuthLookups = Pick<typeof sqliteLookups, 'principalOf' | 'findSession' | 'principalForTokenHash'>;

const byDialect: Record<Handle['dialect'], AuthLookups> = { sqlite: sqliteLookups, postgres: pgLookups };

export function lookups(q: Handle): AuthLookups {
  return byDialect[q.dialect];
}
