/**
 * `GET /health`: 200 `{ status: "ok", checks: { database: "ok" } }` when the database can be
 * read and written, 503 `{ status: "unavailable", checks: { database }, reason }` when it
 * cannot, so a load balancer or orchestrator stops sending traffic to an instance whose
 * every write would fail. `database` is `"gone"` when the file was deleted or replaced under
 * the server (checked right now, not only on the watcher's timer), `"full"` while the last
 * write failed for lack of space and the disk still has almost none free, `"failed"` for
 * anything else (read-only, damaged, closed). Never cached.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from 'hono';
import { checkDatabase } from '../db/access.js';
import { faultsOf } from '../db/faults.js';
import { throttledLog } from '../logger.js';
import type { Services } from '../services.js';
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
export function healthCheck(services: Services): (c: Context<AppEnv>) => Response {
  const log = throttledLog(services.logger, () => services.clock.now());
  return function health(c) {
    return checkHealth(c, services, (database, reason) => log(`health:${database}`, 'error', 'health check failed', { database, reason }));
  };
}

function checkHealth(c: Context<AppEnv>, services: Services, log: (database: string, reason: string) => void): Response {
  const { db } = services;
  const faults = faultsOf(db.$client);
  c.header('Cache-Control', 'no-store');
  const unavailable = (database: string, reason: string, logged = false) => {
    if (!logged) log(database, reason);
    return c.json({ status: 'unavailable', checks: { database }, reason }, 503);
  };
  if (db.$client.open) faults.runChecks();
  // Refused writes are logged (once a minute) by whoever found the fault.
  if (faults.refusal) return unavailable(faults.refusal.code === 'DATABASE_GONE' ? 'gone' : 'failed', faults.refusal.reason, true);
  if (faults.storageIsFull) {
    const free = freeBytes(faults.file);
    if (free !== null && free < FULL_DISK_MARGIN_BYTES) return unavailable('full', `the disk holding ${faults.file} is full (${free} bytes free)`);
  }
  const check = checkDatabase(db.$client);
  if (check.ok) return c.json({ status: 'ok', checks: { database: check.busy ? 'busy' : 'ok' } });
  return unavailable('failed', check.reason);
}
