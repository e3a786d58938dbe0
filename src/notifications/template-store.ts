/**
 * The templates in force: a manager's override from `notification_templates`, or the
 * built-in default; and the history of changes (`notification_template_changes`).
 * Changing them: edit-template.ts.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { statement } from '../db/fast.js';
import type { notificationTemplateChanges, notificationTemplates } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { get } from '../db/store/rows.js';
import { DomainError } from '../errors.js';
import { isAudienceOf, MAIL_TEMPLATE_NAMES, templateSpec, variablesFor, type MailTemplateName, type TemplateAudience, type TemplateSource, type TemplateSpec, type VariableSpec } from './template-catalog.js';
import { defaultTemplate } from './templates.js';

export type StoredTemplate = typeof notificationTemplates.$inferSelect;
export type TemplateChange = typeof notificationTemplateChanges.$inferSelect;

export interface TemplateState {
  spec: TemplateSpec;
  audience: TemplateAudience;
  /** The wording in force: the override, or the default. */
  source: TemplateSource;
  default: TemplateSource;
  override: StoredTemplate | null;
  variables: VariableSpec[];
}

const OVERRIDE = 'SELECT subject, body FROM notification_templates WHERE name = ? AND audience = ?';

/** The override of one template version, if a manager saved one (read on every mail sent). */
export async function templateOverrideIn(q: Handle, name: MailTemplateName, audience: TemplateAudience): Promise<TemplateSource | null> {
  return (await get<TemplateSource>(q, OVERRIDE, [name, audience])) ?? null;
}

/** `templateOverrideIn` synchronously on SQLite's connection (a notification performed inside the transaction that queued it). */
export function templateOverrideOnSqlite(db: Db, name: MailTemplateName, audience: TemplateAudience): TemplateSource | null {
  return statement<[string, string], TemplateSource>(db, OVERRIDE).get(name, audience) ?? null;
}

/** The spec of `name` for `audience`, or TEMPLATE_NOT_FOUND (also for names taken from a URL that are not templates). */
export function findTemplate(name: string, audience: string): { spec: TemplateSpec; audience: TemplateAudience } {
  const spec = templateSpec(name);
  if (!spec || !isAudienceOf(spec, audience)) {
    throw new DomainError('TEMPLATE_NOT_FOUND', `No mail template "${name}" for ${audience === 'staff' || audience === 'customer' ? audience : `"${audience}"`}.`, { template: name, audience });
  }
  return { spec, audience };
}

export async function templateState(q: Handle, name: string, audience: string): Promise<TemplateState> {
  const found = findTemplate(name, audience);
  const t = q.tables.notificationTemplates;
  const [override] = await q.db
    .select()
    .from(t)
    .where(and(eq(t.name, found.spec.name), eq(t.audience, found.audience)))
    .limit(1);
  const fallback = defaultTemplate(found.spec.name, found.audience);
  return {
    ...found,
    source: override ? { subject: override.subject, body: override.body } : fallback,
    default: fallback,
    override: override ?? null,
    variables: variablesFor(found.spec.name, found.audience),
  };
}

/** Every template version, in catalog order. */
export async function allTemplateStates(q: Handle): Promise<TemplateState[]> {
  const overrides = new Map((await q.db.select().from(q.tables.notificationTemplates)).map((row) => [`${row.name}/${row.audience}`, row]));
  return MAIL_TEMPLATE_NAMES.flatMap((name) => {
    const spec = templateSpec(name)!;
    return spec.audiences.map((audience) => {
      const override = overrides.get(`${name}/${audience}`) ?? null;
      const fallback = defaultTemplate(name, audience);
      return { spec, audience, source: override ? { subject: override.subject, body: override.body } : fallback, default: fallback, override, variables: variablesFor(name, audience) };
    });
  });
}

/** The changes to one template version, newest first. */
export function templateHistory(q: Handle, name: MailTemplateName, audience: TemplateAudience, limit = 50): Promise<TemplateChange[]> {
  const t = q.tables.notificationTemplateChanges;
  return q.db
    .select()
    .from(t)
    .where(and(eq(t.name, name), eq(t.audience, audience)))
    .orderBy(desc(t.id))
    .limit(limit);
}
