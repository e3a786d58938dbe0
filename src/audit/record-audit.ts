/**
 * The audit log's one way in: `recordAuditIn(q, entry)` / `auditIn(q, clock, …)` with the
 * handle of the change's `store.write` (docs/postgres.md), so the entry commits or rolls back
 * with the change it records: an entry never exists without its change, nor a change without
 * its entry. `before` / `after` are the entity as it was and as it became, with every secret
 * replaced by `[redacted]` (passwords, hashes, sealed values, tokens, keys).
 * The table is append-only (triggers in the `privacy` migration).
 */
import type { auditLog } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import type { Actor } from '../roles.js';

export const AUDIT_ENTITIES = [
  'staff',
  'queue',
  'token',
  'problem',
  'mailbox',
  'chatSite',
  'template',
  'macro',
  'definition',
  'customer',
  'case',
  'webhook',
] as const;
export type AuditEntity = (typeof AUDIT_ENTITIES)[number];

export interface AuditEntry {
  at: number;
  actor: Pick<Actor, 'type' | 'id' | 'name'>;
  entity: AuditEntity;
  entityId: string | number;
  action: string;
  before?: unknown;
  after?: unknown;
}

export const REDACTED = '[redacted]';

/** Keys whose values never reach the log. */
const SECRET_KEY = /pass(word)?|secret|token(hash)?$|^token|hash$|sealed|api_?key|private_?key|credential|csrf/i;

/** A deep copy of `value` with every secret replaced by `[redacted]`. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_KEY.test(key) && v !== null && v !== undefined && typeof v !== 'boolean' && typeof v !== 'number' ? REDACTED : redactSecrets(v);
  }
  return out;
}

function auditRow(entry: AuditEntry): typeof auditLog.$inferInsert {
  return {
    at: entry.at,
    actorType: entry.actor.type,
    actorId: entry.actor.id,
    actorName: entry.actor.name,
    entityType: entry.entity,
    entityId: String(entry.entityId),
    action: entry.action,
    before: entry.before === undefined ? null : redactSecrets(entry.before),
    after: entry.after === undefined ? null : redactSecrets(entry.after),
  };
}

/**
 * Records `entry`: `q` is the handle of the change's `store.write` (a handle of `store.query`
 * runs each statement by itself: the entry would not share the change's fate — never pass one).
 */
export async function recordAuditIn(q: Handle, entry: AuditEntry): Promise<void> {
  await q.db.insert(q.tables.auditLog).values(auditRow(entry));
}

/** `recordAuditIn` with the time taken from `clock`. */
export function auditIn(
  q: Handle,
  clock: { now(): number },
  actor: AuditEntry['actor'],
  entity: AuditEntity,
  entityId: string | number,
  action: string,
  before: unknown,
  after: unknown,
): Promise<void> {
  return recordAuditIn(q, { at: clock.now(), actor, entity, entityId, action, before: before ?? undefined, after: after ?? undefined });
}
