/**
 * `/cases/new` (staff): a phone call or a walk-in filed as a case for a customer found by
 * name, email or phone, or added on the spot. `GET` is the page (with `find`: the matches;
 * on an htmx request only the matches); `POST` creates the case through the normal intake
 * with the call on its timeline, then opens it.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { caseRef } from '../../cases/case-ref.js';
import { createCallCase } from '../../cases/create-call-case.js';
import { findCustomers } from '../../cases/find-customers.js';
import { searchIndexCurrent } from '../../search/index-current.js';
import { CALL_CHANNELS } from '../../cases/log-call.js';
import { PRIORITIES } from '../../db/schema/index.js';
import { eq } from 'drizzle-orm';
import { phoneField, callerOnlyEmail } from '../../text/phone.js';
import { CustomerChoice, NEW_CASE, NewCaseForm, NewCasePage, type NewCaseData } from '../../../views/pages/new-case.js';
import type { FormState } from '../../../views/components.js';
import { isHtmx, requireStaff, type PageContext, type PageEnv } from './env.js';
import { durationField, formErrorsOf, parseForm, readForm } from './forms.js';
import { redirectTo, sendForm, sendHtml, viewerOf } from './render.js';
import { isEmailAddress } from '../../text/email-address.js';

const newCaseForm = z
  .object({
    customer: z.string({ error: 'choose the customer, or add a new one' }).regex(/^(new|\d{1,12})$/, 'choose the customer, or add a new one'),
    name: z.string().trim().max(200, 'at most 200 characters').default(''),
    email: z.string().trim().max(254, 'at most 254 characters').default(''),
    phone: phoneField.prefault(''),
    channel: z.enum(CALL_CHANNELS, { error: 'choose phone or walk-in' }),
    subject: z.string().trim().min(1, 'required').max(200, 'at most 200 characters'),
    notes: z.string().trim().min(1, 'what did the customer need?').max(20_000, 'at most 20,000 characters'),
    duration: durationField,
    priority: z.enum(['', ...PRIORITIES]).default(''),
  })
  .superRefine((v, ctx) => {
    if (v.customer !== 'new') return;
    if (v.email !== '' && !isEmailAddress(v.email)) ctx.addIssue({ code: 'custom', path: ['email'], message: 'not an email address' });
    if (v.email === '' && v.phone === null) ctx.addIssue({ code: 'custom', path: ['email'], message: 'an email address or a phone number' });
  });

async function dataOf(c: PageContext, find: string): Promise<NewCaseData> {
  const text = find.trim().slice(0, 200);
  if (!text) return { find: text, found: [] };
  const services = c.get('services');
  await searchIndexCurrent(services);
  return { find: text, found: await services.store.query((q) => findCustomers(q, text)) };
}

export function newCasePages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get(NEW_CASE, async (c) => {
    requireStaff(c);
    const data = await dataOf(c, c.req.query('find') ?? '');
    if (isHtmx(c)) return sendHtml(c, <CustomerChoice data={data} />);
    return sendHtml(c, <NewCasePage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} data={data} />);
  });

  app.post(NEW_CASE, async (c) => {
    const principal = requireStaff(c);
    const services = c.get('services');
    const values = await readForm(c);
    const data = await dataOf(c, values.find ?? '');
    const fail = (errors: Record<string, string>) => {
      const state: FormState = { values, errors };
      return sendForm(c, 'new-case-form', () => <NewCaseForm data={data} csrfToken={c.get('csrfToken')} state={state} />, () => <NewCasePage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} data={data} state={state} />);
    };
    const parsed = parseForm(newCaseForm, values);
    if (!parsed.ok) return fail(parsed.errors);
    const input = parsed.data;
    const customerId = input.customer === 'new' ? undefined : Number(input.customer);
    const known =
      customerId === undefined ||
      (await services.store.query(async (q) => (await q.db.select({ id: q.tables.customers.id }).from(q.tables.customers).where(eq(q.tables.customers.id, customerId)).limit(1)).length > 0));
    if (!known) {
      return fail({ customer: 'that customer no longer exists; search again' });
    }
    let created;
    try {
      created = await createCallCase(
        services,
        {
          ...(customerId !== undefined
            ? { customerId }
            : {
                customer: {
                  email: input.email || callerOnlyEmail(input.phone!),
                  ...(input.name ? { name: input.name } : {}),
                  ...(input.phone ? { phone: input.phone } : {}),
                },
              }),
          subject: input.subject,
          notes: input.notes,
          ...(input.priority ? { priority: input.priority } : {}),
          call: { channel: input.channel, durationSeconds: input.duration },
        },
        principal.actor,
      );
    } catch (error) {
      const errors = formErrorsOf(error);
      if (!errors) throw error;
      // Intake's field paths are `customer.email` etc.: shown at the new customer's fields.
      return fail(Object.fromEntries(Object.entries(errors).map(([k, v]) => [k.replace(/^customer\./, ''), v])));
    }
    await services.outbox.settle(created.case.id);
    return redirectTo(c, `/cases/${caseRef(created.case.id)}`);
  });

  return app;
}
