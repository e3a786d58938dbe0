/**
 * The audit log's one way in: `recordAudit(tx, entry)` inside the transaction of the change it
 * records (outside one it throws: an entry must never exist without its change, nor a change
 * without its entry). `before` / `after` are the entity as it was and as it became, with every
 * secret replaced by `[redacted]` (passwords, hashes, sealed values, tokens, keys).
 * The table is append-only (triggers in the `privacy` migration).
 */
import type { Db } from '../db/client.js';
import { auditLog } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import type { Actor } from '../roles.js';

export const AUDIT_ENTITIES = [
  'staff',
  'queue',
  'token',
  'problem',
  'mailbox',
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

export function recordAudit(tx: Db, entry: AuditEntry): void {
  if (!tx.$client.inTransaction) throw new Error('recordAudit must run inside the transaction of the change it records');
  tx.insert(auditLog)
    .values({
      at: entry.at,
      actorType: entry.actor.type,
      actorId: entry.actor.id,
      actorName: entry.actor.name,
      entityType: entry.entity,
      entityId: String(entry.entityId),
      action: entry.action,
      before: entry.before === undefined ? null : redactSecrets(entry.before),
      after: entry.after === undefined ? null : redactSecrets(entry.after),
    })
    .run();
}

/** `recordAudit` with the time taken from the services' clock. */
export function audit(
  services: { db: Db; clock: { now(): number } },
  actor: AuditEntry['actor'],
  entity: AuditEntity,
  entityId: string | number,
  action: string,
  before: unknown,
  after: unknown,
): void {
  recordAudit(services.db, { at: services.clock.now(), actor, entity, entityId, action, before: before ?? undefined, after: after ?? undefined });
}

/**
 * `audit` on the storage port: the entry written with the handle of the `store.write` that
 * makes the change it records (the same row as `recordAudit`, on either dialect).
 */
export async function auditIn(
  q: Handle,
  now: number,
  actor: AuditEntry['actor'],
  entity: AuditEntity,
  entityId: string | number,
  action: string,
  before: unknown,
  after: unknown,
): Promise<void> {
  await q.db.insert(q.tables.auditLog).values({
    at: now,
    actorType: actor.type,
    actorId: actor.id,
    actorName: actor.name,
    entityType: entity,
    entityId: String(entityId),
    action,
    before: before === undefined || before === null ? null : redactSecrets(before),
    after: after === undefined || after === null ? null : redactSecrets(after),
  });
}
