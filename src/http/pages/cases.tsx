/**
 * `/cases/:id` for everyone who may see the case: customers get the portal view of their
 * own case (the link in notification mails), staff the workspace view. Every route here
 * checks visibility first (404 for cases the viewer may not see) and changes cases only
 * through the domain verbs. `POST /cases/:id/offered-solution` (customers) answers the
 * known solution offered to them: answer=solved | notSolved.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { assertWithinLimits, type IncomingFile } from '../../attachments/limits.js';
import { storeFiles } from '../../attachments/record.js';
import { addMessage } from '../../cases/add-message.js';
import { canSeeCase } from '../../cases/access.js';
import { caseRef, parseCaseRef } from '../../cases/case-ref.js';
import { loadCase } from '../../cases/case-view.js';
import { caseDeparture } from '../../cases/departure.js';
import { customerLabel } from '../../cases/customer-view.js';
import { rateCase } from '../../cases/rate-case.js';
import { answerSolutionOffer, offerAnswerSchema } from '../../cases/solution-offer.js';
import { reassignCase, type ReassignInput } from '../../cases/reassign-case.js';
import { transitionCase } from '../../cases/transition-case.js';
import { editCustomer } from '../../cases/edit-customer.js';
import { findVisibleAttachment } from '../../cases/find-attachment.js';
import { DomainError } from '../../errors.js';
import { attachmentResponse } from '../attachment-download.js';
import { retryAfterOf, takeRateLimit } from '../limits.js';
import { readUploads } from '../uploads.js';
import { isManagerRole } from '../../roles.js';
import { Alert } from '../../../views/components.js';
import { CaseLive, ctxOf } from '../../../views/pages/case-page.js';
import { SolutionOfferPanel } from '../../../views/partials/solution-offer.js';
import { caseStamp, formatStamp, loadCasePage, parseStamp } from './case-data.js';
import { isHtmx, type PageContext, type PageEnv } from './env.js';
import { formErrorsOf, parseForm, readForm } from './forms.js';
import { formFailure, fullPage, pageFragment, pollSeconds, visibleCase, type FormName, type Visible } from './case-responses.js';
import { redirectTo, sendForm, sendHtml } from './render.js';

const optional = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const messageForm = z.object({
  body: z.string().trim().min(1, 'write a message first').max(20_000, 'at most 20,000 characters'),
  visibility: z.enum(['public', 'internal']).default('public'),
});

const transitionForm = z.object({
  transition: z.string().trim().min(1).max(100),
  solution: optional,
  reason: optional,
  note: optional,
});

const reassignForm = z
  .object({
    queue: optional,
    assignee: z
      .union([z.literal(''), z.literal('auto'), z.string().regex(/^\d{1,12}$/, 'choose someone from the list')])
      .optional()
      .transform((v) => (v === undefined || v === '' ? undefined : v === 'auto' ? null : Number(v))),
    reason: z.string().trim().max(2_000).optional(),
    overrideCapacity: z.literal('on').optional(),
  })
  .refine((v) => v.queue !== undefined || v.assignee !== undefined, { path: ['(form)'], message: 'Choose another queue, an assignee, or both.' });

const customerForm = z.object({
  name: z.string().trim().min(1, 'required').max(200, 'at most 200 characters'),
  tier: z.string().trim().min(1, 'required').max(40, 'at most 40 characters').regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, "-" and "_"'),
  organization: z.string().trim().max(200, 'at most 200 characters').default('').transform((v) => (v === '' ? null : v)),
  reason: optional,
});

const ratingForm = z.object({
  satisfied: z.enum(['yes', 'no'], { error: 'choose yes or no' }),
  comment: z.string().trim().max(2_000, 'at most 2,000 characters').default(''),
});

/** The inbox, telling the viewer where the case went (see `caseDeparture`). */
function toInboxAfterDeparture(c: PageContext, caseId: number) {
  return redirectTo(c, `/inbox?moved=${caseRef(caseId)}`);
}

/**
 * Staff who open, poll or act on a case that has left their reach (escalated or moved out
 * of their queues, reassigned away) go to the inbox and are told where it went, instead of
 * a "not found" over stale buttons. Anyone the move did not concern still gets the 404.
 */
const departedCase: MiddlewareHandler<PageEnv> = async function departedCase(c, next) {
  const principal = c.get('principal');
  const id = parseCaseRef(c.req.param('id') ?? '');
  if (principal?.actor.type === 'staff' && id !== null && caseDeparture(c.get('services'), principal, id)) return toInboxAfterDeparture(c, id);
  await next();
};

/** After a command: settle rule follow-ups, then the refreshed case (htmx) or a redirect to it. */
async function done(c: PageContext, v: Visible, message: string) {
  const services = c.get('services');
  await services.outbox.settle(v.row.id);
  const row = loadCase(services, v.row.id);
  // The command (or the rules it set off) took the case out of the viewer's reach.
  if (!canSeeCase(v.principal, row)) return toInboxAfterDeparture(c, v.row.id);
  if (!isHtmx(c)) return redirectTo(c, `/cases/${caseRef(v.row.id)}`);
  const d = loadCasePage(services, v.principal, row);
  c.header('HX-Trigger', 'case-updated');
  return sendHtml(
    c,
    <>
      {pageFragment(c, d)}
      <div id="flash" hx-swap-oob="innerHTML">
        <Alert tone="ok">{message}</Alert>
      </div>
    </>,
  );
}

async function command<T>(
  c: PageContext,
  form: FormName | ((v: Visible) => FormName),
  schema: z.ZodType<T>,
  /** `files`: those sent with a multipart form (only the message form offers them). */
  run: (v: Visible, input: T, files: IncomingFile[]) => string,
  /** Who may use this form at all: checked before the form is read, so a refusal is never a 422. */
  allowed: (v: Visible) => boolean = () => true,
) {
  const v = visibleCase(c);
  if (!allowed(v)) throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
  const formName = typeof form === 'function' ? form(v) : form;
  const values = await readForm(c);
  const files = await readUploads(c);
  const parsed = parseForm(schema, values);
  if (!parsed.ok) return formFailure(c, v, formName, values, parsed.errors);
  let message: string;
  try {
    message = run(v, parsed.data, files);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'TOO_MANY_REQUESTS') {
      c.header('Retry-After', retryAfterOf(error));
      return formFailure(c, v, formName, values, { '(form)': error.message }, 429);
    }
    const errors = formErrorsOf(error);
    if (!errors) throw error;
    return formFailure(c, v, formName, values, errors);
  }
  return done(c, v, message);
}

export function casePages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  app.use('/cases/:id', departedCase);
  app.use('/cases/:id/*', departedCase);

  app.get('/cases/:id', (c) => {
    const v = visibleCase(c);
    const d = loadCasePage(c.get('services'), v.principal, v.row);
    if (isHtmx(c)) return sendHtml(c, pageFragment(c, d));
    return sendHtml(c, fullPage(c, d, undefined, c.req.query('created') === '1'));
  });

  /**
   * The live poll: 204 while nothing changed, else the changed parts out-of-band. The
   * action forms are only replaced when what they offer changed, so text being typed
   * into them survives other updates (a customer reply, SLA minutes ticking).
   */
  app.get('/cases/:id/live', (c) => {
    const v = visibleCase(c);
    const services = c.get('services');
    const sent = c.req.query('stamp') ?? '';
    const current = caseStamp(services, v.principal, v.row);
    if (sent === formatStamp(current)) {
      c.header('Vary', 'HX-Request');
      c.header('Cache-Control', 'no-store');
      return c.body(null, 204);
    }
    const d = loadCasePage(services, v.principal, v.row);
    const before = parseStamp(sent);
    const withActions = before.actions !== current.actions;
    // A message about the last action ("Done: the case is now Pending customer") is stale once the case changed again.
    const clearFlash = withActions || before.version !== current.version;
    return sendHtml(c, <CaseLive d={d} csrfToken={c.get('csrfToken')} pollSeconds={pollSeconds(c)} withActions={withActions} clearFlash={clearFlash} />);
  });

  app.post('/cases/:id/messages', (c) =>
    command(c, (v) => (v.principal.actor.type === 'customer' ? 'reply' : 'composer'), messageForm, (v, input, files) => {
      const isPublic = v.principal.actor.type === 'customer' || input.visibility === 'public';
      const { settings, store } = c.get('services').attachments;
      // Limits before anything else: a refused upload stores nothing and counts for nothing.
      assertWithinLimits(settings, files);
      takeRateLimit(c, v.principal, 'messages');
      const stored = storeFiles(store, files);
      addMessage(c.get('services'), v.row.id, { body: input.body, public: isPublic }, v.principal.actor, { attachments: stored });
      const withFiles = stored.length > 0 ? ` with ${stored.length} file${stored.length === 1 ? '' : 's'}` : '';
      return isPublic ? `Reply sent${withFiles}.` : `Internal note added${withFiles}.`;
    }),
  );

  /** A file of the case, as a download (staff: any; the customer: those of the public conversation). */
  app.get('/cases/:id/attachments/:attachment', (c) => {
    const v = visibleCase(c);
    const services = c.get('services');
    return attachmentResponse(c, services, findVisibleAttachment(services, v.principal, v.row, c.req.param('attachment')));
  });

  app.post('/cases/:id/transitions', (c) =>
    command(c, 'transition', transitionForm, (v, input) => {
      const row = transitionCase(c.get('services'), v.row.id, input, v.principal.actor);
      const workflow = c.get('services').definitions.workflow(row.workflow, row.workflowVersion).definition;
      const label = v.principal.actor.type === 'customer' ? customerLabel(workflow, row.status) : (workflow.states[row.status]?.label ?? row.status);
      return `Done: the case is now ${label}.`;
    }),
  );

  app.post('/cases/:id/assignment', (c) =>
    command(
      c,
      'reassign',
      reassignForm,
      (v, input) => {
        const change: ReassignInput = {
          ...(input.queue !== undefined ? { queue: input.queue } : {}),
          ...(input.assignee !== undefined ? { assignee: input.assignee } : {}),
          ...(input.reason ? { reason: input.reason } : {}),
          ...(input.overrideCapacity ? { overrideCapacity: true } : {}),
        };
        reassignCase(c.get('services'), v.row.id, change, v.principal.actor);
        return 'Reassigned.';
      },
      (v) => v.principal.actor.type === 'staff',
    ),
  );

  app.post('/cases/:id/offered-solution', async (c) => {
    const v = visibleCase(c);
    if (v.principal.actor.type !== 'customer') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
    const values = await readForm(c);
    const parsed = offerAnswerSchema.safeParse({ answer: values.answer });
    if (!parsed.success) {
      // The panel again (422), asking for one of its two answers.
      const d = loadCasePage(c.get('services'), v.principal, loadCase(c.get('services'), v.row.id));
      if (d.audience !== 'customer') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
      const state = { values, errors: { '(form)': 'Choose “This solved it” or “No, I still need help”.' } };
      const canAnswer = d.category !== 'resolved' && d.category !== 'closed';
      return sendForm(c, 'solution-offer', () => <SolutionOfferPanel ctx={ctxOf(d, c.get('csrfToken'))} offer={d.view.offer} canAnswer={canAnswer} state={state} />, () => fullPage(c, d, { offer: state }));
    }
    answerSolutionOffer(c.get('services'), v.row.id, parsed.data, v.principal.actor);
    return done(c, v, parsed.data.answer === 'solved' ? 'Glad it is solved: your request is resolved.' : 'Thanks for telling us: an agent will help you.');
  });

  app.post('/cases/:id/customer', (c) =>
    command(
      c,
      'customer',
      customerForm,
      (v, input) => {
        const { changes } = editCustomer(c.get('services'), v.row.customerId, input, v.principal.actor);
        return Object.keys(changes).length > 0 ? 'Customer profile updated.' : 'Nothing to change.';
      },
      (v) => v.principal.actor.type === 'staff' && isManagerRole(v.principal.actor.role),
    ),
  );

  app.post('/cases/:id/rating', (c) =>
    command(
      c,
      'rating',
      ratingForm,
      (v, input) => {
        rateCase(c.get('services'), v.row.id, { satisfied: input.satisfied === 'yes', comment: input.comment }, v.principal.actor);
        return 'Thank you for your rating.';
      },
      (v) => v.principal.actor.type === 'customer',
    ),
  );

  return app;
}
