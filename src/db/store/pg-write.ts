/**
 * The outermost PostgreSQL write in progress in this async context (set by ./pg.ts): in a
 * module of its own so code on both dialects (the definitions registry) can ask without loading
 * node-postgres, which a server on SQLite never does.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A token per run of a write transaction, on any PostgreSQL store, for what keeps a view of
 * that transaction's own uncommitted rows apart from the committed one (the definitions registry).
 */
export const openWrite = new AsyncLocalStorage<object>();

/** The token of the PostgreSQL write transaction this code runs in, or undefined outside one. */
export function postgresWriteInProgress(): object | undefined {
  return openWrite.getStore();
}
