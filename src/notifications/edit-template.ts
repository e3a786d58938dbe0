/**
 * Managers change the wording of a mail template for one audience (`saveTemplate`) or go
 * back to the built-in default (`resetTemplate`). The wording is checked before anything is
 * stored (`checkTemplate`: a ValidationError with the field and line of every problem);
 * every change is recorded with who made it and when (`notification_template_changes`).
 */
import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { auditIn } from '../audit/record-audit.js';
import type { Handle } from '../db/store/index.js';
import { DomainError, ValidationError } from '../errors.js';
import { isManagerRole, type Actor } from '../roles.js';
import type { Services } from '../services.js';
import type { TemplateSource } from './template-catalog.js';
import { findTemplate, templateState, type TemplateState } from './template-store.js';
import { checkTemplate } from './templates.js';

export const templateInputSchema = z.strictObject({
  subject: z.string({ error: 'required' }),
  body: z.string({ error: 'required' }),
});
export type TemplateInputBody = z.input<typeof templateInputSchema>;

function assertManager(actor: Actor): void {
  if (!isManagerRole(actor.role)) throw new DomainError('FORBIDDEN', 'Only managers and admins can change mail templates.');
}

/** The wording as it is stored: line ends as `\n`, no blanks around the subject. */
export function normaliseSource(raw: TemplateInputBody): TemplateSource {
  const parsed = templateInputSchema.safeParse(raw);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message })));
  return { subject: parsed.data.subject.trim(), body: parsed.data.body.replace(/\r\n?/g, '\n') };
}

/** The checked wording, or a ValidationError listing every problem beside its field. */
export function checkedSource(name: string, audience: string, raw: TemplateInputBody): TemplateSource {
  const found = findTemplate(name, audience);
  const source = normaliseSource(raw);
  const issues = checkTemplate(found.spec.name, found.audience, source);
  if (issues.length > 0) throw new ValidationError(issues, 'The template has problems; nothing was saved.');
  return source;
}

async function record(q: Handle, name: string, audience: TemplateState['audience'], action: 'saved' | 'reset', source: TemplateSource | null, actor: Actor, now: number): Promise<void> {
  await q.db
    .insert(q.tables.notificationTemplateChanges)
    .values({ name, audience, action, subject: source?.subject ?? null, body: source?.body ?? null, actorId: actor.type === 'staff' ? actor.id : null, actor: actor.name, at: now });
}

/** The override in force (subject and body), or null when the built-in default applies. */
async function storedWording(q: Handle, name: string, audience: TemplateState['audience']): Promise<TemplateSource | null> {
  const t = q.tables.notificationTemplates;
  const [row] = await q.db.select({ subject: t.subject, body: t.body }).from(t).where(and(eq(t.name, name), eq(t.audience, audience))).limit(1);
  return row ?? null;
}

/** The id of the newest change of a template version (0: none yet). */
export async function lastChangeIn(q: Handle, name: string, audience: TemplateState['audience']): Promise<{ id: number; actor: string; action: 'saved' | 'reset'; at: number } | null> {
  const t = q.tables.notificationTemplateChanges;
  const [row] = await q.db.select({ id: t.id, actor: t.actor, action: t.action, at: t.at }).from(t).where(and(eq(t.name, name), eq(t.audience, audience))).orderBy(desc(t.id)).limit(1);
  return row ?? null;
}

export interface SaveTemplateOptions {
  /**
   * The newest change the page showed (its id; 0: none). When someone saved or reset the
   * template since, nothing is stored: a ValidationError on the form says who and when, so
   * two managers rewording one mail do not drop each other's wording without a word.
   */
  seen?: number | null;
}

export function saveTemplate(services: Services, name: string, audience: string, raw: TemplateInputBody, actor: Actor, options: SaveTemplateOptions = {}): Promise<TemplateState> {
  assertManager(actor);
  const source = checkedSource(name, audience, raw);
  const { spec, audience: who } = findTemplate(name, audience);
  const now = services.clock.now();
  const row = { ...source, updatedById: actor.type === 'staff' ? actor.id : null, updatedBy: actor.name, updatedAt: now };
  return services.store.write(async (q) => {
    const t = q.tables.notificationTemplates;
    if (options.seen !== undefined && options.seen !== null) {
      const last = await lastChangeIn(q, spec.name, who);
      if ((last?.id ?? 0) !== options.seen && last) {
        const when = `${new Date(last.at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
        throw new ValidationError([
          { path: '(form)', message: `${last.actor} ${last.action === 'saved' ? 'saved' : 'reset'} this template on ${when}, after this page was opened. Your wording was not saved; it is still below, and theirs is in the history. Save again to replace theirs with yours.` },
        ]);
      }
    }
    const before = await storedWording(q, spec.name, who);
    await q.db
      .insert(t)
      .values({ name: spec.name, audience: who, ...row })
      .onConflictDoUpdate({ target: [t.name, t.audience], set: row });
    await record(q, spec.name, who, 'saved', source, actor, now);
    await auditIn(q, services.clock, actor, 'template', `${spec.name}/${who}`, 'saved', before, source);
    return templateState(q, spec.name, who);
  });
}

/** Back to the built-in default. Resetting a template that has no override changes nothing and records nothing. */
export function resetTemplate(services: Services, name: string, audience: string, actor: Actor): Promise<TemplateState> {
  assertManager(actor);
  const { spec, audience: who } = findTemplate(name, audience);
  return services.store.write(async (q) => {
    const t = q.tables.notificationTemplates;
    const before = await storedWording(q, spec.name, who);
    const removed = await q.db
      .delete(t)
      .where(and(eq(t.name, spec.name), eq(t.audience, who)))
      .returning({ name: t.name });
    if (removed.length > 0) {
      await record(q, spec.name, who, 'reset', null, actor, services.clock.now());
      await auditIn(q, services.clock, actor, 'template', `${spec.name}/${who}`, 'reset', before, null);
    }
    return templateState(q, spec.name, who);
  });
}
