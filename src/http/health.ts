/**
 * `GET /health`: 200 `{ status: "ok", checks: { database: "ok" } }` when the database can be
 * read and written, 503 `{ status: "unavailable", checks: { database: "failed" }, reason }`
 * when it cannot (read-only, closed, disk full…), so a load balancer or orchestrator stops
 * sending traffic to an instance whose every write would fail. Never cached.
 */
import type { Context } from 'hono';
import { checkDatabase } from '../db/access.js';
import type { AppEnv } from './types.js';

export function health(c: Context<AppEnv>): Response {
  const check = checkDatabase(c.get('services').db.$client);
  c.header('Cache-Control', 'no-store');
  if (check.ok) return c.json({ status: 'ok', checks: { database: check.busy ? 'busy' : 'ok' } });
  c.get('services').logger.error('health check failed', { code: check.code, reason: check.reason });
  return c.json({ status: 'unavailable', checks: { database: 'failed' }, reason: check.reason }, 503);
}
