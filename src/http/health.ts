/**
 * `GET /health`: 200 `{ status: "ok", checks: { database: "ok" } }` when the database can be
 * read and written, 503 `{ status: "unavailable", checks: { database }, reason }` when it
 * cannot, so a load balancer or orchestrator stops sending traffic to an instance whose
 * every write would fail. `database` is `"gone"` when the file was deleted or replaced under
 * the server (checked right now, not only on the watcher's timer), `"full"` while the last
 * write failed for lack of space and the disk still has almost none free, `"failed"` for
 * anything else (read-only, damaged, closed). Never cached. `reason` (it may name the
 * database file's path or the SQLite error) only for a token good for /metrics, like
 * `/readyz`'s details (probe-access.ts): an anonymous caller learns the state, not the paths.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Context } from 'hono';
import type { Db } from '../db/client.js';
import { checkDatabase } from '../db/access.js';
import { faultsOf } from '../db/faults.js';
import { throttledLog } from '../logger.js';
import type { Services } from '../services.js';
import { mayReadDetails, type ProbeAccess } from './probe-access.js';
import type { AppEnv } from './types.js';

/** Below this much free space, a disk on which a write failed for lack of space still counts as full. */
export const FULL_DISK_MARGIN_BYTES = 1024 * 1024;

function freeBytes(file: string): number | null {
  try {
    const stats = fs.statfsSync(path.dirname(path.resolve(file)));
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

/** The handler; a failing check is logged once a minute (load balancers ask every few seconds). */
export function healthCheck(services: Services, access: ProbeAccess): (c: Context<AppEnv>) => Promise<Response> {
  const log = throttledLog(services.logger, () => services.clock.now());
  return function health(c) {
    return checkHealth(c, services, access, (database, reason) => log(`health:${database}`, 'error', 'health check failed', { database, reason }));
  };
}

/** What `/health` and `/readyz` say about the database; `logged`: whoever found the fault logged it. */
export type DatabaseState = { state: 'ok' | 'busy' } | { state: 'gone' | 'full' | 'failed'; reason: string; logged: boolean };

/** How long PostgreSQL may take to answer the probe before the database counts as failed. */
export const POSTGRES_PROBE_TIMEOUT_MS = 3_000;

/**
 * The database right now. SQLite: the file watcher's and the storage faults' state, then the
 * write probe. PostgreSQL: a statement through the pool, answered within
 * POSTGRES_PROBE_TIMEOUT_MS, on a server that takes writes (not a standby in recovery).
 */
export function databaseState(services: Services): Promise<DatabaseState> {
  return services.sqlite ? Promise.resolve(sqliteState(services.sqlite)) : postgresState(services);
}

async function postgresState(services: Services): Promise<DatabaseState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${POSTGRES_PROBE_TIMEOUT_MS} ms`)), POSTGRES_PROBE_TIMEOUT_MS);
  });
  try {
    const row = await Promise.race([services.store.query((q) => q.get<{ recovery: boolean }>(sql`SELECT pg_is_in_recovery() AS recovery`)), timeout]);
    if (row?.recovery) return { state: 'failed', reason: 'the PostgreSQL server is a standby in recovery: it takes no writes', logged: false };
    return { state: 'ok' };
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return { state: 'failed', reason: `PostgreSQL: ${cause instanceof Error ? cause.message : (error as Error).message}`, logged: false };
  } finally {
    clearTimeout(timer);
  }
}

function sqliteState(db: Db): DatabaseState {
  const faults = faultsOf(db.$client);
  if (db.$client.open) faults.runChecks();
  // Refused writes are logged (once a minute) by whoever found the fault.
  if (faults.refusal) return { state: faults.refusal.code === 'DATABASE_GONE' ? 'gone' : 'failed', reason: faults.refusal.reason, logged: true };
  if (faults.storageIsFull) {
    const free = freeBytes(faults.file);
    if (free !== null && free < FULL_DISK_MARGIN_BYTES) return { state: 'full', reason: `the disk holding ${faults.file} is full (${free} bytes free)`, logged: false };
  }
  const check = checkDatabase(db.$client);
  if (check.ok) return { state: check.busy ? 'busy' : 'ok' };
  return { state: 'failed', reason: check.reason, logged: false };
}

async function checkHealth(c: Context<AppEnv>, services: Services, access: ProbeAccess, log: (database: string, reason: string) => void): Promise<Response> {
  c.header('Cache-Control', 'no-store');
  const database = await databaseState(services);
  if (!('reason' in database)) return c.json({ status: 'ok', checks: { database: database.state } });
  if (!database.logged) log(database.state, database.reason);
  const body = { status: 'unavailable', checks: { database: database.state } };
  return c.json((await mayReadDetails(c, access)) ? { ...body, reason: database.reason } : body, 503);
}
