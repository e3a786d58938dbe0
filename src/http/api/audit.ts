/** `GET /api/v1/audit` (admins): the audit log, newest first, filtered and paged (docs/privacy.md). */
import { Hono } from 'hono';
import { z } from 'zod';
import { listAudit, type AuditRow } from '../../audit/list-audit.js';
import { AUDIT_ENTITIES } from '../../audit/record-audit.js';
import { parseWith } from '../json-body.js';
import { requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';

/** A date (`2026-03-02`, UTC midnight) or an ISO instant → epoch ms. */
const instant = z
  .string()
  .trim()
  .refine((v) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(v) && !Number.isNaN(Date.parse(v)), 'a date (2026-03-02) or an ISO instant')
  .transform((v) => Date.parse(v));

export const auditApiQuerySchema = z.strictObject({
  actor: z.string().trim().max(200).optional(),
  entity: z.enum(AUDIT_ENTITIES).optional(),
  entityId: z.string().trim().max(200).optional(),
  action: z.string().trim().max(64).optional(),
  from: instant.optional(),
  to: instant.optional(),
  cursor: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function auditEntryJson(row: AuditRow) {
  return {
    id: row.id,
    at: new Date(row.at).toISOString(),
    actor: { type: row.actorType, id: row.actorId, name: row.actorName },
    entity: { type: row.entityType, id: row.entityId },
    action: row.action,
    before: row.before,
    after: row.after,
  };
}

export function auditRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', requireRole('admin'), (c) => {
    const query = parseWith(auditApiQuerySchema, c.req.query());
    const page = listAudit(c.get('services').db, query);
    return c.json({ items: page.items.map(auditEntryJson), nextCursor: page.nextCursor });
  });
  return app;
}
