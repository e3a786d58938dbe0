/**
 * A mail held for review on a case (from someone neither its customer nor copied on it), posted
 * as the customer's message by an agent who knows the sender (src/channels/email/accept-review.ts).
 * A plain form on the note in the staff timeline; with `copy=1` the sender is copied on the case.
 */
import { Hono } from 'hono';
import { acceptReviewedMail } from '../../channels/email/accept-review.js';
import { DomainError } from '../../errors.js';
import { visibleCase } from './case-commands.js';
import { requireStaff, type PageEnv } from './env.js';
import { readForm } from './forms.js';
import { redirectTo } from './render.js';

export function reviewMailPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  app.post('/cases/:id/reviewed-mail/:note', async (c) => {
    requireStaff(c);
    const { principal, row } = await visibleCase(c);
    const note = c.req.param('note');
    if (!/^\d{1,15}$/.test(note)) throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
    const form = await readForm(c);
    await acceptReviewedMail(c.get('services'), row.id, Number(note), principal.actor, { copy: form.copy === '1' });
    return redirectTo(c, `/cases/C-${row.id}#event-${note}`);
  });
  return app;
}
