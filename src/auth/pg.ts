/**
 * Authentication's per-request reads on PostgreSQL (the dialect pair's other half: src/auth/
 * sqlite.ts keeps SQLite's cached prepared statements; src/auth/lookups.ts chooses). The same
 * reads through drizzle's builder, each statement on its own in `store.query` (no
 * transaction): a session or token read, the account, its queues, and at most once a minute
 * the write noting its use.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { Handle } from '../db/store/index.js';
import type { Principal } from '../http/types.js';
import {
  activeSession,
  customerPrincipalOf,
  sessionIsOver,
  sessionNeedsTouch,
  staffPrincipalOf,
  tokenIsExpired,
  tokenNeedsTouch,
  tokenPrincipal,
  type ActiveSession,
  type PrincipalRef,
} from './credential-rules.js';

/** The principal of a staff member (null when deactivated or gone) or a customer. */
export async function principalOf(q: Handle, ref: PrincipalRef): Promise<Principal | null> {
  const { staff, staffQueues, customers } = q.tables;
  if (ref.type === 'staff') {
    const [row] = await q.db
      .select({ id: staff.id, role: staff.role, name: staff.name, active: staff.active, timeZone: staff.timeZone })
      .from(staff)
      .where(eq(staff.id, ref.id))
      .limit(1);
    if (!row?.active) return null;
    const queues = await q.db.select({ queueId: staffQueues.queueId }).from(staffQueues).where(eq(staffQueues.staffId, row.id));
    return staffPrincipalOf(row, queues.map((r) => r.queueId));
  }
  const [row] = await q.db.select({ id: customers.id, name: customers.name, timeZone: customers.timeZone }).from(customers).where(eq(customers.id, ref.id)).limit(1);
  return row ? customerPrincipalOf(row) : null;
}

/** The live session with this id hash, or null; an expired one, or one whose account is gone, is deleted. */
export async function findSession(q: Handle, idHash: string, now: number, touch: boolean): Promise<ActiveSession | null> {
  const { sessions } = q.tables;
  const [row] = await q.db
    .select({ principalType: sessions.principalType, principalId: sessions.principalId, csrfToken: sessions.csrfToken, lastSeenAt: sessions.lastSeenAt, expiresAt: sessions.expiresAt })
    .from(sessions)
    .where(eq(sessions.idHash, idHash))
    .limit(1);
  if (!row) return null;
  const principal = sessionIsOver(row, now) ? null : await principalOf(q, { type: row.principalType, id: row.principalId });
  if (!principal) {
    await q.db.delete(sessions).where(eq(sessions.idHash, idHash));
    return null;
  }
  if (sessionNeedsTouch(row, now, touch)) await q.db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.idHash, idHash));
  return activeSession(idHash, row, principal);
}

/** The principal an unrevoked, unexpired token (by its SHA-256) stands for, or null; notes its use at most once a minute. */
export async function principalForTokenHash(q: Handle, tokenHash: string, now: number): Promise<Principal | null> {
  const { apiTokens } = q.tables;
  const [row] = await q.db
    .select({ id: apiTokens.id, principalType: apiTokens.principalType, principalId: apiTokens.principalId, scopes: apiTokens.scopes, expiresAt: apiTokens.expiresAt, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)))
    .limit(1);
  if (!row || tokenIsExpired(row, now)) return null;
  if (tokenNeedsTouch(row, now)) await q.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
  const principal = await principalOf(q, { type: row.principalType, id: row.principalId });
  return principal && tokenPrincipal(principal, row);
}
