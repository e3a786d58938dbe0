/**
 * The storage port (store.ts) as the code of both dialects sees it: its types, the driver
 * errors, SQLite's handle. Opening a store is ./open.ts (`openStore`), which loads
 * node-postgres: nothing here does, so a server on SQLite never loads it.
 */
export type { Dialect, Handle, Store, StoreDb, Tables } from './store.js';
export { driverError, isDatabaseTimeout, isRetryable, isUniqueViolation, isUnreachableDatabaseError, sqlState } from './errors.js';
export { allowLongStatements } from './long-statements.js';
export { LONG_READS } from './long-reads.js';
export { backgroundSlice, breathe, inBackground, sqliteOf } from './sqlite.js';
export { postgresWriteInProgress } from './pg-write.js';
export { UnitAwaitedIoError } from '../unit-rule.js';
