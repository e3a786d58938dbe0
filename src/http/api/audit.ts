/** `GET /api/v1/audit` (admins): the audit log, newest first, filtered and paged (docs/privacy.md). */
import { Hono } from 'hono';
import { z } from 'zod';
import { listAudit, type AuditRow } from '../../audit/list-audit.js';
import { AUDIT_ENTITIES } from '../../audit/record-audit.js';
import { parseWith } from '../json-body.js';
import { ADMINS_ONLY, apiGroup, on } from '../openapi/route-spec.js';
import { auditPage } from './schemas/privacy.js';
import type { AppEnv } from '../types.js';

/** Whether `v`'s calendar date exists: Date.parse reads 2026-02-30 as 2 March. */
function realDate(v: string): boolean {
  const day = v.slice(0, 10);
  const parsed = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(parsed) && new Date(parsed).toISOString().slice(0, 10) === day;
}

/** A date (`2026-03-02`, UTC midnight) or an ISO instant → epoch ms. */
const instant = z
  .string()
  .trim()
  .refine((v) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(v) && realDate(v) && !Number.isNaN(Date.parse(v)), 'a date (2026-03-02) or an ISO instant')
  .meta({ description: 'A date (UTC midnight) or an ISO instant.', examples: ['2026-03-02', '2026-03-02T09:00:00Z'] })
  .transform((v) => Date.parse(v));

export const auditApiQuerySchema = z.strictObject({
  actor: z.string().trim().max(200).optional().meta({ description: '`staff:<id>`, `customer:<id>`, `system`, or part of a name.' }),
  entity: z.enum(AUDIT_ENTITIES).optional(),
  entityId: z.string().trim().max(200).optional(),
  action: z.string().trim().max(64).optional().meta({ examples: ['created', 'erased'] }),
  from: instant.optional().meta({ description: 'From this date or instant (inclusive).' }),
  to: instant.optional().meta({ description: 'Before this date or instant (exclusive).' }),
  cursor: z.coerce.number().int().positive().optional().meta({ description: 'The `nextCursor` of the previous page.' }),
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

export const auditApi = apiGroup('/audit', 'Audit log');

export const listAuditRoute = auditApi.route({
  method: 'get',
  path: '/',
  summary: 'The audit log',
  description: 'Every change to the configuration (staff, roles, queues, tokens, mailboxes, templates, shared macros, definitions, erasures), newest first, in pages.',
  access: ADMINS_ONLY,
  query: auditApiQuerySchema,
  responses: { 200: auditPage },
});

export function auditRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  on(app, listAuditRoute, async (c) => {
    const query = parseWith(listAuditRoute.query, c.req.query());
    const page = await listAudit(c.get('services').store, query);
    return c.json({ items: page.items.map(auditEntryJson), nextCursor: page.nextCursor });
  });
  return app;
}
