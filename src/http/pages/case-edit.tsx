/**
 * The workspace's case edits: `POST /cases/:id/edit` (staff: subject, priority, tags — one
 * transaction, each change on the timeline; a change someone else made meanwhile is a
 * conflict the form explains, keeping what was typed) and `POST /cases/:id/mentions` (staff,
 * htmx: while a note is typed, who its `@mentions` will notify).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { editCase, type CaseChanges, type EditBase, type EditedFields } from '../../cases/edit-case.js';
import { resolveMentions } from '../../cases/mentions.js';
import { PRIORITIES } from '../../db/schema/index.js';
import { DomainError } from '../../errors.js';
import { MentionPreview } from '../../../views/partials/composer-parts.js';
import { command, visibleCase, type Recover, type Visible } from './case-commands.js';
import type { PageContext, PageEnv } from './env.js';
import { readForm } from './forms.js';
import { sendHtml } from './render.js';

const editForm = z.object({
  subject: z.string().trim().min(1, 'required').max(200, 'at most 200 characters'),
  priority: z.enum(PRIORITIES, { error: 'choose a priority from the list' }),
  tags: z.string().max(2_000, 'at most 2,000 characters').default(''),
  expectedVersion: z
    .string()
    .regex(/^\d{1,12}$/)
    .optional()
    .transform((v) => (v === undefined ? undefined : Number(v))),
  // What the form showed (hidden): the edit is made as its difference from them. A form without them (a page from before) replaces all three.
  shownSubject: z.string().max(1_000).optional(),
  shownPriority: z.enum(PRIORITIES).optional(),
  shownTags: z.string().max(4_000).optional(),
});

/** What the form showed, when it says. */
function baseOf(input: z.infer<typeof editForm>): EditBase | undefined {
  if (input.shownSubject === undefined || input.shownPriority === undefined || input.shownTags === undefined) return undefined;
  return { subject: input.shownSubject, priority: input.shownPriority, tags: input.shownTags.split(',').map((t) => t.trim()).filter((t) => t !== '') };
}

const describeFields = (f: { subject: string; priority: string; tags: readonly string[] }) => `subject “${f.subject}”, priority ${f.priority}, tags ${f.tags.join(', ') || 'none'}`;

const isStaff = (v: Visible) => v.principal.actor.type === 'staff' || v.principal.actor.type === 'system';

/** "Priority normal → urgent; tags: added vip; subject changed." */
function describeChanges(changes: CaseChanges): string {
  const parts: string[] = [];
  if (changes.priority) parts.push(`priority ${changes.priority.from} → ${changes.priority.to}`);
  if (changes.tags) {
    const t = changes.tags;
    parts.push(`tags: ${[t.added.length ? `added ${t.added.join(', ')}` : '', t.removed.length ? `removed ${t.removed.join(', ')}` : ''].filter(Boolean).join('; ')}`);
  }
  if (changes.subject) parts.push('subject changed (the customer sees it)');
  return parts.length ? `Case updated: ${parts.join('; ')}.` : 'Nothing to change.';
}

/** Someone else changed the case since the form was opened: say what it is now, keep the typed values, take the new version. */
function conflict(c: PageContext): Recover {
  return async (error, values) => {
    if (!(error instanceof DomainError) || error.code !== 'CONFLICT') return null;
    // The case as it is now (read again: the command's row is the one before the conflict).
    const { row } = await visibleCase(c);
    const now = describeFields(row);
    const merged = error.details.merged as EditedFields | undefined;
    if (merged) {
      // An edit by difference: the colleague's change stays in the fields this form did not change; saving again applies the rest over it.
      return {
        values: {
          ...values,
          subject: merged.subject,
          priority: merged.priority,
          tags: merged.tags.join(', '),
          expectedVersion: String(row.version),
          shownSubject: row.subject,
          shownPriority: row.priority,
          shownTags: row.tags.join(', '),
        },
        errors: {
          '(form)': `Someone else changed this case while you were editing (it now has ${now}). The form shows their changes with yours (${describeFields(merged)}): save again to apply it.`,
        },
      };
    }
    return {
      values: { ...values, expectedVersion: String(row.version) },
      errors: { '(form)': `Someone else changed this case while you were editing (it now has ${now}). Your changes are below: save again to apply them.` },
    };
  };
}

export function caseEditPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.post('/cases/:id/edit', (c) =>
    command(
      c,
      'edit',
      editForm,
      async (v, input) => {
        const { changes } = await editCase(
          c.get('services'),
          v.row.id,
          { subject: input.subject, priority: input.priority, tags: input.tags, ...(input.expectedVersion !== undefined ? { expectedVersion: input.expectedVersion } : {}) },
          v.principal.actor,
          { base: baseOf(input) },
        );
        return describeChanges(changes);
      },
      isStaff,
      conflict(c),
    ),
  );

  app.post('/cases/:id/mentions', async (c) => {
    const v = await visibleCase(c);
    if (!isStaff(v)) throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
    const values = await readForm(c);
    const found = await c.get('services').store.query((q) => resolveMentions(q, (values.body ?? '').slice(0, 20_000), v.row, v.principal.staffId));
    return sendHtml(c, <MentionPreview found={found} isPublic={values.visibility !== 'internal'} />);
  });

  return app;
}
