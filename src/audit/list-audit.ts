/**
 * Reading the audit log (the console page and `GET /api/v1/audit`): newest first, filtered
 * by actor (`staff:12`, `system`, or a name fragment), entity type (and id), action and a
 * period, in pages by keyset (`cursor`: the last id seen).
 */
import { and, desc, eq, gte, like, lt, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { auditLog } from '../db/schema/index.js';
import { AUDIT_ENTITIES } from './record-audit.js';

export type AuditRow = typeof auditLog.$inferSelect;

export const auditQuerySchema = z.strictObject({
  /** `staff:<id>`, `customer:<id>`, `system`, or part of a name. */
  actor: z.string().trim().max(200).optional(),
  entity: z.enum(AUDIT_ENTITIES).optional(),
  entityId: z.string().trim().max(200).optional(),
  action: z.string().trim().max(64).optional(),
  /** Epoch ms, inclusive. */
  from: z.number().int().nonnegative().optional(),
  /** Epoch ms, exclusive. */
  to: z.number().int().nonnegative().optional(),
  cursor: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type AuditQuery = z.input<typeof auditQuerySchema>;

export interface AuditPage {
  items: AuditRow[];
  nextCursor: number | null;
}

function actorCondition(actor: string): SQL | undefined {
  const ref = /^(staff|customer):(\d{1,12})$/.exec(actor);
  if (ref) return and(eq(auditLog.actorType, ref[1] as 'staff' | 'customer'), eq(auditLog.actorId, Number(ref[2])));
  if (actor === 'system') return eq(auditLog.actorType, 'system');
  return like(auditLog.actorName, sql`${`%${actor.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`} ESCAPE '\\'`);
}

export function listAudit(db: Db, raw: AuditQuery): AuditPage {
  const q = auditQuerySchema.parse(raw);
  const conditions = [
    q.actor ? actorCondition(q.actor) : undefined,
    q.entity ? eq(auditLog.entityType, q.entity) : undefined,
    q.entityId ? eq(auditLog.entityId, q.entityId) : undefined,
    q.action ? eq(auditLog.action, q.action) : undefined,
    q.from !== undefined ? gte(auditLog.at, q.from) : undefined,
    q.to !== undefined ? lt(auditLog.at, q.to) : undefined,
    q.cursor !== undefined ? lt(auditLog.id, q.cursor) : undefined,
  ].filter((c): c is SQL => c !== undefined);
  const items = db
    .select()
    .from(auditLog)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(q.limit + 1)
    .all();
  const more = items.length > q.limit;
  const page = more ? items.slice(0, q.limit) : items;
  return { items: page, nextCursor: more ? page[page.length - 1]!.id : null };
}
