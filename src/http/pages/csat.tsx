/**
 * One-click CSAT from the resolved mail, without signing in (docs/email.md):
 *
 *   GET  /csat/:token?answer=yes|no   the case and a one-button form, the answer preselected;
 *                                     records nothing (mail scanners and link previews open
 *                                     every link in a mail, the "no" link as well as the "yes")
 *   POST /csat/:token                 answer=yes|no, comment → rateCase as the token's
 *                                     customer (`case.rated`, via "mail-link"), then 303 back
 *
 * The signed token (src/channels/email/csat-link.ts) is the authorization: it names the case
 * and its customer, whoever holds it. A link from the mail of an earlier resolution (the case
 * was reopened and resolved again since) records nothing: the page asks for the latest mail. The POST still carries the CSRF token like every form
 * (a visitor's comes from the cookie the GET set), so another site cannot post a rating even
 * with a stolen link; that costs the customer nothing.
 */
import { Hono } from 'hono';
import { and, eq, isNull } from 'drizzle-orm';
import { caseRef } from '../../cases/case-ref.js';
import { customerStatus } from '../../cases/customer-view.js';
import { rateCase } from '../../cases/rate-case.js';
import { csatKeyIn, verifyCsatToken } from '../../channels/email/csat-link.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../roles.js';
import type { FormState } from '../../../views/components.js';
import { CsatLinkProblemPage, CsatPage, type CsatView } from '../../../views/pages/csat.js';
import type { PageContext, PageEnv } from './env.js';
import { formErrorsOf, readForm } from './forms.js';
import { takeCustomerChange } from '../limits.js';
import { redirectTo, sendHtml, viewerOf } from './render.js';

interface Holder {
  caseId: number;
  actor: Actor;
  view: CsatView;
}

function viewer(c: PageContext) {
  try {
    return viewerOf(c);
  } catch {
    return null;
  }
}

/** The case and customer the link names, or the page saying the link is not valid or expired. */
async function holderOf(c: PageContext): Promise<Holder | Response> {
  const services = c.get('services');
  c.header('X-Robots-Tag', 'noindex');
  const token = c.req.param('token') ?? '';
  const problem = (expired: boolean, ref: string | null) => sendHtml(c, <CsatLinkProblemPage viewer={viewer(c)} csrfToken={c.get('csrfToken')} expired={expired} ref={ref} />, expired ? 410 : 404);
  const found = await services.store.query(async (q) => {
    const check = verifyCsatToken(await csatKeyIn(q, services), token, services.clock.now());
    if (!check.ok) return check;
    const { cases, customers, caseRatings } = q.tables;
    const [row] = await q.db.select().from(cases).where(eq(cases.id, check.caseId)).limit(1);
    const [customer] = await q.db.select({ id: customers.id, name: customers.name }).from(customers).where(eq(customers.id, check.customerId)).limit(1);
    // A case moved to another customer since the mail: the link no longer speaks for its customer.
    if (!row || !customer || row.customerId !== customer.id) return { ok: false as const, reason: 'invalid' as const };
    // The current resolution's rating: earlier ones stay for the reports (superseded by a reopen).
    const [rating] = await q.db
      .select()
      .from(caseRatings)
      .where(and(eq(caseRatings.caseId, row.id), isNull(caseRatings.supersededAt)))
      .limit(1);
    return { ok: true as const, row, customer, rating, issuedAt: check.issuedAt };
  });
  if (!found.ok) return found.reason === 'expired' ? problem(true, caseRef(found.caseId)) : problem(false, null);
  const { row, customer, issuedAt } = found;
  const category = customerStatus(services, row).statusCategory;
  // A case resolved again after the link's mail is on a later resolution, which the link's answer is not about.
  const earlier = row.resolvedAt !== null && row.resolvedAt > issuedAt + 1000;
  const rating = earlier ? undefined : found.rating;
  return {
    caseId: row.id,
    actor: { type: 'customer', id: customer.id, role: 'customer', name: customer.name },
    view: {
      token,
      ref: caseRef(row.id),
      subject: row.subject,
      rateable: !earlier && (category === 'resolved' || category === 'closed'),
      earlier,
      rating: rating ? { satisfied: rating.satisfied, comment: rating.comment } : null,
      thanked: false,
    },
  };
}

function answerOf(value: string | undefined): 'yes' | 'no' | null {
  return value === 'yes' || value === 'no' ? value : null;
}

export function csatPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  const page = (c: PageContext, view: CsatView, state: FormState, status: 200 | 409 | 422 = 200) => sendHtml(c, <CsatPage viewer={viewer(c)} csrfToken={c.get('csrfToken')} view={view} state={state} />, status);

  app.get('/csat/:token', async (c) => {
    const holder = await holderOf(c);
    if (holder instanceof Response) return holder;
    const answer = answerOf(c.req.query('answer')) ?? (holder.view.rating ? (holder.view.rating.satisfied ? 'yes' : 'no') : '');
    const view = { ...holder.view, thanked: c.req.query('done') === '1' && holder.view.rating !== null };
    return page(c, view, { values: { answer, comment: holder.view.rating?.comment ?? '' } });
  });

  app.post('/csat/:token', async (c) => {
    const holder = await holderOf(c);
    if (holder instanceof Response) return holder;
    const services = c.get('services');
    const values = await readForm(c);
    if (holder.view.earlier) return page(c, holder.view, { values }, 409);
    const answer = answerOf(values.answer);
    if (!answer) return page(c, holder.view, { values, errors: { answer: 'Choose yes or no.' } }, 422);
    await takeCustomerChange(c, holder.actor.id!);
    try {
      await rateCase(services, holder.caseId, { satisfied: answer === 'yes', comment: values.comment ?? '' }, holder.actor, { via: 'mail-link' });
    } catch (error) {
      if (error instanceof DomainError && error.code === 'INVALID_TRANSITION') return page(c, { ...holder.view, rateable: false }, { values }, 409);
      const errors = formErrorsOf(error);
      if (!errors) throw error;
      return page(c, holder.view, { values, errors }, 422);
    }
    await services.outbox.settle(holder.caseId);
    return redirectTo(c, `/csat/${holder.view.token}?done=1`);
  });

  return app;
}
