/**
 * Privacy on the manager console (docs/privacy.md):
 *
 *   GET  /manage/team/customers/:id/export   everything held about the customer, as a JSON download (managers, admins)
 *   POST /manage/team/customers/:id/erase    confirm=<the customer's email>: erase them for good (admins)
 *   GET  /manage/audit?actor=&entity=&from=&to=&cursor=   the audit log, newest first (managers, admins)
 */
import { Hono } from 'hono';
import { DateTime } from 'luxon';
import { listAudit } from '../../../audit/list-audit.js';
import { AUDIT_ENTITIES, type AuditEntity } from '../../../audit/record-audit.js';
import { DomainError } from '../../../errors.js';
import { eraseCustomer } from '../../../privacy/erase-customer.js';
import { exportCustomer } from '../../../privacy/export-customer.js';
import { getCustomer } from '../../../team/churn.js';
import { jsonWithEscapedBidi } from '../../../text/display.js';
import { AUDIT_PATH, AuditPage, type AuditFilters } from '../../../../views/pages/manage/privacy.js';
import { CustomerPage } from '../../../../views/pages/manage/team-library.js';
import { TEAM } from '../../../../views/pages/manage/team.js';
import type { PageContext, PageEnv } from '../env.js';
import { readForm } from '../forms.js';
import { redirectTo, sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';
import { customerPage } from './team-library.js';
import { idParam } from './team-forms.js';

const CUSTOMERS = `${TEAM}/customers`;
const PAGE_SIZE = 50;

function dateStart(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const d = DateTime.fromISO(text, { zone: 'utc' });
  return d.isValid ? d.toMillis() : null;
}

function auditFilters(c: PageContext): { filters: AuditFilters; error: string | null } {
  const q = (name: string, max: number) => (c.req.query(name) ?? '').trim().slice(0, max);
  const filters = { actor: q('actor', 200), entity: q('entity', 32), from: q('from', 10), to: q('to', 10) };
  const bad = [
    filters.entity !== '' && !(AUDIT_ENTITIES as readonly string[]).includes(filters.entity) ? 'what' : null,
    filters.from !== '' && dateStart(filters.from) === null ? 'from' : null,
    filters.to !== '' && dateStart(filters.to) === null ? 'to' : null,
  ].filter(Boolean);
  return { filters, error: bad.length ? `Not understood: ${bad.join(', ')} (dates as 2026-03-02).` : null };
}

export function privacyPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get(`${CUSTOMERS}/:id/export`, async (c) => {
    managerOf(c);
    const id = idParam(c, 'customer');
    const body = await exportCustomer(c.get('services'), id);
    c.header('Cache-Control', 'no-store');
    c.header('Content-Disposition', `attachment; filename="customer-${id}-export.json"`);
    // A download people open: the text exactly as held, its bidi controls as escapes (src/text/display.ts).
    return c.body(jsonWithEscapedBidi(body), 200, { 'Content-Type': 'application/json' });
  });

  app.post(`${CUSTOMERS}/:id/erase`, async (c) => {
    const { actor } = managerOf(c);
    if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins erase customers.');
    const id = idParam(c, 'customer');
    const customer = await getCustomer(c.get('services'), id);
    const values = await readForm(c);
    if ((values.confirm ?? '').trim().toLowerCase() !== customer.email.toLowerCase()) {
      const d = await customerPage(c, id, {}, 422, { values, errors: { confirm: 'type the customer’s email address exactly to confirm' } });
      return sendHtml(c, <CustomerPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} {...d} today={DateTime.fromMillis(c.get('services').clock.now(), { zone: 'utc' }).toISODate()!} notice={null} />, 422);
    }
    await eraseCustomer(c.get('services'), id, actor);
    return redirectTo(c, `${CUSTOMERS}/${id}?done=erased`);
  });

  app.get(AUDIT_PATH, async (c) => {
    managerOf(c);
    const { filters, error } = auditFilters(c);
    const cursorText = c.req.query('cursor') ?? '';
    const cursor = /^\d{1,12}$/.test(cursorText) ? Number(cursorText) : undefined;
    const from = dateStart(filters.from);
    const to = dateStart(filters.to);
    const page = error
      ? { items: [], nextCursor: null }
      : await listAudit(c.get('services').store, {
          limit: PAGE_SIZE,
          ...(filters.actor ? { actor: filters.actor } : {}),
          ...(filters.entity ? { entity: filters.entity as AuditEntity } : {}),
          ...(from !== null ? { from } : {}),
          ...(to !== null ? { to: to + 86_400_000 } : {}),
          ...(cursor !== undefined ? { cursor } : {}),
        });
    const next = page.nextCursor === null ? null : `${AUDIT_PATH}?${new URLSearchParams({ ...filters, cursor: String(page.nextCursor) }).toString()}`;
    return sendHtml(c, <AuditPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} rows={page.items} filters={filters} nextHref={next} error={error} />, error ? 422 : 200);
  });

  return app;
}
