/**
 * Reading the audit log (the console page and `GET /api/v1/audit`): newest first, filtered
 * by actor (`staff:12`, `system`, or a name fragment), entity type (and id), action and a
 * period, in pages by keyset (`cursor`: the last id seen). On the storage port (one statement:
 * `store.query`); the name fragment matches case-insensitively on both dialects
 * (`lower(name) LIKE lower(…)`: PostgreSQL's LIKE is case-sensitive, SQLite's is not for ASCII).
 */
import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { auditLog } from '../db/schema/index.js';
import type { Store, Tables } from '../db/store/index.js';
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

function actorCondition(auditLog: Tables['auditLog'], actor: string): SQL | undefined {
  const ref = /^(staff|customer):(\d{1,12})$/.exec(actor);
  if (ref) return and(eq(auditLog.actorType, ref[1] as 'staff' | 'customer'), eq(auditLog.actorId, Number(ref[2])));
  if (actor === 'system') return eq(auditLog.actorType, 'system');
  return sql`lower(${auditLog.actorName}) LIKE lower(${`%${actor.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`}) ESCAPE '\\'`;
}

export async function listAudit(store: Store, raw: AuditQuery): Promise<AuditPage> {
  const q = auditQuerySchema.parse(raw);
  const items = await store.query(async ({ db, tables }) => {
    const auditLog = tables.auditLog;
    const conditions = [
      q.actor ? actorCondition(auditLog, q.actor) : undefined,
      q.entity ? eq(auditLog.entityType, q.entity) : undefined,
      q.entityId ? eq(auditLog.entityId, q.entityId) : undefined,
      q.action ? eq(auditLog.action, q.action) : undefined,
      q.from !== undefined ? gte(auditLog.at, q.from) : undefined,
      q.to !== undefined ? lt(auditLog.at, q.to) : undefined,
      q.cursor !== undefined ? lt(auditLog.id, q.cursor) : undefined,
    ].filter((c): c is SQL => c !== undefined);
    return db
      .select()
      .from(auditLog)
      .where(conditions.length ? and(...conditions) : undefined)
      .orderBy(desc(auditLog.id))
      .limit(q.limit + 1);
  });
  const more = items.length > q.limit;
  const page = more ? items.slice(0, q.limit) : items;
  return { items: page, nextCursor: more ? page[page.length - 1]!.id : null };
}
