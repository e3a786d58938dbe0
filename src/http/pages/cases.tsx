/**
 * `/cases/:id` for everyone who may see the case: customers get the portal view of their
 * own case (the link in notification mails), staff the workspace view. Every route here
 * checks visibility first (404 for cases the viewer may not see) and changes cases only
 * through the domain verbs. `POST /cases/:id/offered-solution` (customers) answers the
 * known solution offered to them: answer=solved | notSolved. Staff messages may carry a
 * transition (`then`, "Send and …") and are asked to confirm a public reply that follows an
 * internal note (`confirmed=1`) or that would be mailed to an address a chat visitor only typed
 * (`confirmedUnverified=1`; both in one prompt). The shared machinery is in case-commands.tsx; the case
 * edit and the mention preview in case-edit.tsx.
 */
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { assertWithinLimits } from '../../attachments/limits.js';
import { storeFiles } from '../../attachments/record.js';
import { lastStaffMessage } from '../../cases/add-message.js';
import { loadCase, unverifiedMailAddress } from '../../cases/case-read.js';
import { answersOrCloses, changesSince, customerMessagesSince } from '../../cases/stale-view.js';
import { chatEndedSinceShown } from '../../chat/ended-while-writing.js';
import { availableTransitions, isOpenCategory } from '../../workflow/transition.js';
import { customerLabel } from '../../cases/customer-view.js';
import { CALL_CHANNELS, logCall } from '../../cases/log-call.js';
import { findVisibleAttachment } from '../../cases/find-attachment.js';
import { rateCase } from '../../cases/rate-case.js';
import { answerSolutionOffer, offerAnswerSchema } from '../../cases/solution-offer.js';
import { reassignCase, type ReassignInput } from '../../cases/reassign-case.js';
import { sendMessage, type SendMessageResult } from '../../cases/send-message.js';
import { transitionCase } from '../../cases/transition-case.js';
import { customerPagePath, editCustomer, EmailTaken, type ProfileBase } from '../../cases/edit-customer.js';
import type { FormValues } from '../../../views/components.js';
import { byId } from '../../db/store/rows.js';
import { emailField } from '../../text/email-address.js';
import { DomainError, ValidationError } from '../../errors.js';
import { isCallerOnlyEmail, phoneField } from '../../text/phone.js';
import { attachmentResponse } from '../attachment-download.js';
import { takeRateLimit } from '../limits.js';
import { isManagerRole } from '../../roles.js';
import { CaseLive, composerWithDraft, ctxOf, type CaseForms } from '../../../views/pages/case-page.js';
import { SolutionOfferPanel } from '../../../views/partials/solution-offer.js';
import { caseStamp, formatStamp, loadCasePage, parseStamp } from './case-data.js';
import { command, ConfirmationNeeded, StaleView, TransitionHeld, composerIn, departedCase, done, fullPage, pageFragment, pollSeconds, visibleCase, type Recover, type Visible } from './case-commands.js';
import { isHtmx, type PageContext, type PageEnv } from './env.js';
import { durationField, readForm } from './forms.js';
import { redirectTo, sendForm, sendHtml } from './render.js';
import { caseRef } from '../../cases/case-ref.js';
import { PresencePanel } from '../../../views/partials/collision.js';
import { clearSentDraft } from './case-drafts.js';
import { inserted } from './case-macros.js';
import { previewMacro } from '../../macros/apply-macro.js';
import type { StaffCasePageData } from './case-data.js';
import { colleagueDrafts } from '../../cases/drafts.js';

const optional = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const messageForm = z.object({
  /** Empty only with files (a screenshot and nothing to add): checked with the files, in the route. */
  body: z.string().trim().max(20_000, 'at most 20,000 characters'),
  visibility: z.enum(['public', 'internal']).default('public'),
  /** Staff: the transition to run with the message ("Send and …"); empty: just send. */
  then: optional,
  /** Staff: yes, send this reply to the customer although the last entry was a note. */
  confirmed: z.literal('1').optional(),
  /** Staff: yes, mail this reply to the address the chat visitor typed and did not verify. */
  confirmedUnverified: z.literal('1').optional(),
  /** Staff: the newest timeline entry the page showed; newer changes by others hold the message back. */
  seen: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional()
    .transform((v) => (v === undefined ? undefined : Number(v))),
  /** Staff: send anyway, after seeing what changed. */
  confirmedStale: z.literal('1').optional(),
  /** Staff: the composer was shown while the case's live chat was open (a reply meant for the chat). */
  chatOpen: z.literal('1').optional(),
  /** Staff: the mode whose draft the text came from (src/cases/drafts.ts): that draft is deleted once sent. */
  draftMode: z.enum(['public', 'internal']).optional().catch(undefined),
});

/** *Log a call* (staff): the same call fields as /cases/new, and who called whom. */
const callForm = z.object({
  direction: z.enum(['inbound', 'outbound'], { error: 'choose who called' }),
  channel: z.enum(CALL_CHANNELS, { error: 'choose phone or walk-in' }),
  duration: durationField,
  notes: z.string().trim().min(1, 'what was said?').max(20_000, 'at most 20,000 characters'),
});

const transitionForm = z.object({
  transition: z.string().trim().min(1).max(100),
  solution: optional,
  reason: optional,
  note: optional,
  /** Staff: the newest timeline entry the page showed; a customer message after it holds back a transition that answers them or closes the loop. */
  seen: z
    .string()
    .regex(/^\d{1,15}$/)
    .optional()
    .transform((v) => (v === undefined ? undefined : Number(v))),
});

/**
 * Holds back a staff transition that answers the customer or closes the loop — into a state
 * waiting on the customer, resolved or closed, or one that asks for a text (a solution, an
 * escalation's reason) — when the customer wrote after the page the form came from (`seen`).
 * Without `seen` (an older page, a hand-made post) nothing is checked, as before.
 */
async function assertNoUnseenCustomerMessage(c: PageContext, v: Visible, transitionName: string, seen: number | undefined): Promise<void> {
  if (seen === undefined || v.principal.actor.type !== 'staff') return;
  const workflow = c.get('services').definitions.workflow(v.row.workflow, v.row.workflowVersion).definition;
  const t = availableTransitions(workflow, v.row, v.principal.actor.role).find((a) => a.name === transitionName);
  if (!t) return; // The workflow refuses it, with its own message.
  if (!answersOrCloses(workflow, t)) return;
  const messages = await c.get('services').store.query((q) => customerMessagesSince(q, v.row.id, seen));
  if (messages.length > 0) throw new TransitionHeld(messages);
}

const reassignForm = z
  .object({
    queue: optional,
    assignee: z
      .union([z.literal(''), z.literal('auto'), z.string().regex(/^\d{1,12}$/, 'choose someone from the list')])
      .optional()
      .transform((v) => (v === undefined || v === '' ? undefined : v === 'auto' ? null : Number(v))),
    reason: z.string().trim().max(2_000).optional(),
    overrideCapacity: z.literal('on').optional(),
    /** The queue and assignee the form was shown with (`<queue> <staff id or ->`): a reassignment made since is not overridden. */
    shown: z.string().max(200).optional(),
  })
  .refine((v) => v.queue !== undefined || v.assignee !== undefined, { path: ['(form)'], message: 'Choose another queue, an assignee, or both.' });

/**
 * Refuses a reassignment from a form that showed another queue or assignee than the case has
 * now (a colleague moved or took it meanwhile; without JavaScript the form is not refreshed):
 * the form comes back saying where the case is now, with its current choices.
 */
async function assertAsShown(c: PageContext, v: Visible, shown: string | undefined): Promise<void> {
  const match = /^(\S+) (-|\d{1,12})$/.exec(shown ?? '');
  if (!match) return;
  const queue = match[1]!;
  const assignee = match[2] === '-' ? null : Number(match[2]);
  if (queue === v.row.queueId && assignee === v.row.assigneeId) return;
  const names = await c.get('services').store.query(async (q) => {
    const { queues, staff } = q.tables;
    const [row] = await q.db.select({ name: queues.name }).from(queues).where(eq(queues.id, v.row.queueId));
    const [who] = v.row.assigneeId === null ? [] : await q.db.select({ name: staff.name }).from(staff).where(eq(staff.id, v.row.assigneeId));
    return { queue: row?.name ?? v.row.queueId, assignee: who?.name ?? null };
  });
  const now = `${names.queue}, ${names.assignee === null ? 'unassigned' : `assigned to ${names.assignee}`}`;
  const message = `Nothing was changed: since this form was shown, ${caseRef(v.row.id)} was reassigned — it is now in ${now}. Choose again.`;
  throw new ValidationError([{ path: '(form)', message }], message);
}

const customerForm = z.object({
  name: z.string().trim().min(1, 'required').max(200, 'at most 200 characters'),
  /** Left out by a form from before the field (or an agent's): unchanged. */
  email: emailField().optional(),
  tier: z.string().trim().min(1, 'required').max(40, 'at most 40 characters').regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, "-" and "_"'),
  organization: z.string().trim().max(200, 'at most 200 characters').default('').transform((v) => (v === '' ? null : v)),
  phone: phoneField.optional(),
  reason: optional,
  // What the form showed (hidden): only the fields changed there are saved. A form without them (a page from before) saves all.
  shownName: z.string().max(1_000).optional(),
  shownEmail: z.string().max(1_000).optional(),
  shownTier: z.string().max(1_000).optional(),
  shownOrganization: z.string().max(1_000).optional(),
  shownPhone: z.string().max(1_000).optional(),
});

const SHOWN = { name: 'shownName', email: 'shownEmail', tier: 'shownTier', organization: 'shownOrganization', phone: 'shownPhone' } as const;

/** What the profile form showed, field by field (those it carried). */
function profileBase(input: z.infer<typeof customerForm>): ProfileBase | undefined {
  const base: ProfileBase = {};
  for (const [field, key] of Object.entries(SHOWN) as [keyof typeof SHOWN, (typeof SHOWN)[keyof typeof SHOWN]][]) {
    const value = input[key];
    if (value !== undefined) base[field] = value;
  }
  return Object.keys(base).length > 0 ? base : undefined;
}

/**
 * Someone else changed a field of the profile this form changed too: the form comes back with
 * the profile as it is now in the fields left as shown, the agent's values in the others, and
 * what it shows now as its base, so saving again applies them.
 */
const profileConflict: Recover = (error, values) => {
  if (!(error instanceof DomainError) || error.code !== 'CONFLICT' || !error.details.current) return null;
  const current = error.details.current as Record<keyof typeof SHOWN, string | null>;
  const conflicts = (error.details.conflicts as (keyof typeof SHOWN)[] | undefined) ?? [];
  const next: FormValues = { ...values };
  for (const [field, key] of Object.entries(SHOWN) as [keyof typeof SHOWN, (typeof SHOWN)[keyof typeof SHOWN]][]) {
    const now = current[field] ?? '';
    if (values[key] !== undefined && (values[field] ?? '').trim() === values[key].trim()) next[field] = now;
    next[key] = now;
  }
  const what = conflicts.map((f) => `${f} is now “${current[f] ?? 'none'}”`).join(', ');
  return { values: next, errors: { '(form)': `Someone else changed this profile since the form was shown: ${what}. Nothing was saved; your values are below: save again to apply them.` } };
};

/** An agent's form on their case of a caller known only by phone: the real address. */
const callerEmailForm = z.object({ email: emailField(), reason: optional });

/** An address another customer has: the form names them with a link to their profile. */
const emailTaken: Recover = (error, values) =>
  error instanceof EmailTaken
    ? { values, errors: { email: error.issues[0]!.message, 'email-owner': customerPagePath(error.owner.id), 'email-owner-name': error.owner.name } }
    : null;

const ratingForm = z.object({
  satisfied: z.enum(['yes', 'no'], { error: 'choose yes or no' }),
  comment: z.string().trim().max(2_000, 'at most 2,000 characters').default(''),
});

/**
 * A "Send and …" whose transition was refused (no longer possible, or a note where a solution
 * is needed): nothing was sent, and the composer comes back with the text and the reason.
 */
const keepTheText: Recover = (error, values) => {
  if (!(error instanceof DomainError)) return null;
  // Only the staff composer's buttons carry `then`.
  if ('then' in values && ['INVALID_TRANSITION', 'TRANSITION_REQUIREMENT_MISSING', 'TRANSITION_FIELD_NOT_ALLOWED'].includes(error.code)) {
    return { values, errors: { '(form)': `Nothing was sent: ${error.message}` } };
  }
  // A customer's reply to a case closed meanwhile: the page offers it as a new request (FollowUpRequest), text and all.
  if (!('then' in values) && error.code === 'INVALID_TRANSITION') {
    return { values, errors: { '(form)': `Not sent: ${error.message}` } };
  }
  return null;
};

/**
 * A transition the case has moved on from (someone else moved it meanwhile): the form comes
 * back through formFailure, which gives a page without JavaScript what was typed into it.
 */
const keepTransitionText: Recover = (error, values) =>
  error instanceof DomainError && error.code === 'INVALID_TRANSITION' ? { values, errors: { '(form)': error.message } } : null;

/** "Reply sent. The case is now Pending customer." / "Internal note added. Notified: Bob." / "Reply sent. Thank you! Your request stays Solved. …" */
function sentMessage(c: PageContext, sent: SendMessageResult, isPublic: boolean, files = 0): string {
  const withFiles = files > 0 ? ` with ${files} file${files === 1 ? '' : 's'}` : '';
  const parts = [isPublic ? `Reply sent${withFiles}.` : `Internal note added${withFiles}.`];
  const workflow = c.get('services').definitions.workflow(sent.case.workflow, sent.case.workflowVersion).definition;
  if (sent.transition) {
    const label = c.get('principal')?.actor.type === 'customer' ? customerLabel(workflow, sent.case.status) : (workflow.states[sent.case.status]?.label ?? sent.case.status);
    parts.push(`The case is now ${label}.`);
  }
  if (sent.thanked) {
    // Only thanks on a resolved case (src/text/thanks.ts): it stays where it is; say how to ask for more.
    const reopen = availableTransitions(workflow, sent.case, 'customer').find((t) => isOpenCategory(workflow.states[t.to]!.category));
    parts.push(`Thank you! Your request stays ${customerLabel(workflow, sent.case.status)}.${reopen ? ` If you still need help, choose ${reopen.label}.` : ''}`);
  }
  const names = (list: { name: string }[]) => list.map((m) => m.name).join(', ');
  if (sent.mentions.notified.length) parts.push(`Notified: ${names(sent.mentions.notified)}.`);
  if (sent.mentions.cannotSee.length) parts.push(`Not notified (cannot see this case): ${names(sent.mentions.cannotSee)}.`);
  return parts.join(' ');
}

/** Staff on a case page are present on it (src/cases/presence.ts); customers are not shown. */
function beat(c: PageContext, v: Visible, typing = false): void {
  if (v.principal.actor.type !== 'staff' || v.principal.staffId === null) return;
  const services = c.get('services');
  services.presence.beat(v.row.id, { staffId: v.principal.staffId, name: v.principal.actor.name }, services.clock.now(), typing);
}

/**
 * The macro inserted into the draft the composer opens on, previewed again on the case as it
 * is now (what sending with it changes); nothing when the macro is gone or no longer usable.
 */
async function withDraftMacro(c: PageContext, v: Visible, d: StaffCasePageData, forms: CaseForms | undefined): Promise<CaseForms | undefined> {
  const { mode } = composerWithDraft(d, forms?.composer).drafts;
  const macroId = d.drafts[mode === 'note' ? 'note' : 'reply']?.macroId;
  if (macroId === null || macroId === undefined) return forms;
  try {
    return { ...forms, macro: { inserted: inserted(await previewMacro(c.get('services'), v.row.id, macroId, v.principal.actor)) } };
  } catch (error) {
    if (error instanceof DomainError) return forms;
    throw error;
  }
}

export function casePages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();
  app.use('/cases/:id', departedCase);
  app.use('/cases/:id/*', departedCase);

  /** A file of the case, as a download (staff: any; the customer: those of the public conversation). */
  app.get('/cases/:id/attachments/:attachment', async (c) => {
    const v = await visibleCase(c);
    const services = c.get('services');
    return attachmentResponse(c, services, await findVisibleAttachment(services, v.principal, v.row, c.req.param('attachment')));
  });

  app.get('/cases/:id', async (c) => {
    const v = await visibleCase(c);
    beat(c, v);
    const d = await loadCasePage(c.get('services'), v.principal, v.row);
    // `?mode=note`: the composer opens as an internal note (where a plain form post of a note lands); `?mode=public` as a reply; else on the newest draft.
    const mode = c.req.query('mode');
    let forms = d.audience === 'staff' ? composerIn(mode === 'note' || mode === 'public' ? mode : undefined) : undefined;
    if (d.audience === 'staff') forms = await withDraftMacro(c, v, d, forms);
    if (isHtmx(c)) return sendHtml(c, pageFragment(c, d, forms));
    return sendHtml(c, fullPage(c, d, forms, c.req.query('created') === '1'));
  });

  /**
   * The live poll: 204 while nothing changed, else the changed parts out-of-band. The
   * action forms are only replaced when what they offer changed, so text being typed
   * into them survives other updates (a customer reply, SLA minutes ticking).
   */
  app.get('/cases/:id/live', async (c) => {
    const v = await visibleCase(c);
    beat(c, v);
    const services = c.get('services');
    const sent = c.req.query('stamp') ?? '';
    const current = await caseStamp(services, v.principal, v.row);
    if (sent === formatStamp(current)) {
      c.header('Vary', 'HX-Request');
      c.header('Cache-Control', 'no-store');
      return c.body(null, 204);
    }
    const d = await loadCasePage(services, v.principal, v.row);
    const before = parseStamp(sent);
    const withActions = before.actions !== current.actions;
    // A message about the last action ("Done: the case is now Pending customer") is stale once the case changed again.
    const clearFlash = withActions || before.version !== current.version;
    return sendHtml(c, <CaseLive d={d} csrfToken={c.get('csrfToken')} pollSeconds={pollSeconds(c)} withActions={withActions} clearFlash={clearFlash} />);
  });

  app.post('/cases/:id/messages', (c) =>
    command(c, (v) => (v.principal.actor.type === 'customer' ? 'reply' : 'composer'), messageForm, async (v, input, files) => {
      if (input.body === '' && files.length === 0) throw new ValidationError([{ path: 'body', message: 'write a message first, or attach a file' }]);
      const services = c.get('services');
      const staff = v.principal.actor.type !== 'customer';
      const isPublic = !staff || input.visibility === 'public';
      const then = staff ? input.then : undefined;
      // Written on a view older than the case: show what changed first (others' entries only).
      if (staff && input.seen !== undefined && input.confirmedStale !== '1') {
        const workflow = services.definitions.workflow(v.row.workflow, v.row.workflowVersion).definition;
        const labels = Object.fromEntries(Object.entries(workflow.states).map(([name, s]) => [name, s.label ?? name]));
        const seen = input.seen;
        const changes = await services.store.query((q) => changesSince(q, v.row.id, seen, v.principal.staffId, labels));
        if (changes.length > 0) throw new StaleView(changes, then ?? '');
      }
      // Written for the live chat, which ended meanwhile (the visitor left, inactivity): the reply
      // would be e-mailed instead, so say so first. The live poll keeps `seen` current, so the
      // ending alone would not hold it back.
      if (staff && isPublic && input.chatOpen === '1' && input.confirmedStale !== '1') {
        const ended = await services.store.query((q) => chatEndedSinceShown(q, v.row.id));
        if (ended) throw new StaleView([ended], then ?? '');
      }
      if (staff && isPublic) {
        // A public reply right after an internal note may be a note sent in the wrong mode, and one
        // mailed to an address a chat visitor only typed may reach someone else: ask first, once for both.
        const { note, mailTo } = await services.store.query(async (q) => ({
          note: input.confirmed !== '1' && (await lastStaffMessage(q, v.row.id)) === 'staff.noted',
          mailTo: input.confirmedUnverified === '1' ? null : await unverifiedMailAddress(q, v.row.id),
        }));
        if (note || mailTo) throw new ConfirmationNeeded(then ?? '', note, mailTo);
      }
      const { settings, store } = services.attachments;
      // Limits before anything else: a refused upload stores nothing and counts for nothing.
      assertWithinLimits(settings, files);
      await takeRateLimit(c, v.principal, 'messages');
      const stored = await storeFiles(store, files);
      const sent = await sendMessage(services, v.row.id, { body: input.body, public: isPublic, ...(then ? { transition: then } : {}) }, v.principal.actor, { attachments: stored });
      // Sent: the draft it was written in is done with.
      if (staff) await clearSentDraft(c, v.principal, v.row.id, input);
      return { message: sentMessage(c, sent, isPublic, stored.length), composer: isPublic ? 'public' : 'note' };
    }, undefined, keepTheText),
  );

  /**
   * The presence heartbeat (staff): `typing=1` while the composer is being typed in. Answers
   * the presence panel (who else is on the case); a plain form post goes back to the case.
   */
  app.post('/cases/:id/presence', async (c) => {
    const v = await visibleCase(c);
    if (v.principal.actor.type !== 'staff') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
    const values = await readForm(c);
    beat(c, v, values.typing === '1');
    if (!isHtmx(c)) return redirectTo(c, `/cases/${caseRef(v.row.id)}`);
    const services = c.get('services');
    const drafting = await services.store.query((q) => colleagueDrafts(q, v.row.id, v.principal.staffId));
    return sendHtml(c, <PresencePanel caseRef={caseRef(v.row.id)} others={services.presence.others(v.row.id, v.principal.staffId, services.clock.now())} drafting={drafting} pollSeconds={pollSeconds(c)} />);
  });

  app.post('/cases/:id/transitions', (c) =>
    command(
      c,
      'transition',
      transitionForm,
      async (v, { seen, ...input }) => {
        await assertNoUnseenCustomerMessage(c, v, input.transition, seen);
        await takeRateLimit(c, v.principal, 'changes');
        const row = await transitionCase(c.get('services'), v.row.id, input, v.principal.actor);
        const workflow = c.get('services').definitions.workflow(row.workflow, row.workflowVersion).definition;
        const label = v.principal.actor.type === 'customer' ? customerLabel(workflow, row.status) : (workflow.states[row.status]?.label ?? row.status);
        return `Done: the case is now ${label}.`;
      },
      undefined,
      keepTransitionText,
    ),
  );

  /** *Log a call* (staff who may work the case): the call on the timeline, and what it means for the case (src/cases/log-call.ts). */
  app.post('/cases/:id/calls', (c) =>
    command(
      c,
      'call',
      callForm,
      async (v, input) => {
        await logCall(c.get('services'), v.row.id, { direction: input.direction, channel: input.channel, durationSeconds: input.duration, notes: input.notes }, v.principal.actor);
        return input.channel === 'walk-in' ? 'Visit logged.' : 'Call logged.';
      },
      (v) => v.principal.actor.type === 'staff',
      // Closed meanwhile: the form says so above its fields, keeping what was typed.
      (error, values) => (error instanceof DomainError && error.code === 'INVALID_TRANSITION' ? { values, errors: { '(form)': error.message } } : null),
    ),
  );

  app.post('/cases/:id/assignment', (c) =>
    command(
      c,
      'reassign',
      reassignForm,
      async (v, input) => {
        const change: ReassignInput = {
          ...(input.queue !== undefined ? { queue: input.queue } : {}),
          ...(input.assignee !== undefined ? { assignee: input.assignee } : {}),
          ...(input.reason ? { reason: input.reason } : {}),
          ...(input.overrideCapacity ? { overrideCapacity: true } : {}),
        };
        await assertAsShown(c, v, input.shown);
        // Made at the version just checked: a change in between is a conflict, not overridden.
        await reassignCase(c.get('services'), v.row.id, { ...change, ...(input.shown ? { expectedVersion: v.row.version } : {}) }, v.principal.actor);
        return 'Reassigned.';
      },
      (v) => v.principal.actor.type === 'staff',
    ),
  );

  app.post('/cases/:id/offered-solution', async (c) => {
    const v = await visibleCase(c);
    if (v.principal.actor.type !== 'customer') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
    const values = await readForm(c);
    const parsed = offerAnswerSchema.safeParse({ answer: values.answer });
    if (!parsed.success) {
      // The panel again (422), asking for one of its two answers.
      const d = await loadCasePage(c.get('services'), v.principal, await loadCase(c.get('services'), v.row.id));
      if (d.audience !== 'customer') throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
      const state = { values, errors: { '(form)': 'Choose “This solved it” or “No, I still need help”.' } };
      const canAnswer = d.category !== 'resolved' && d.category !== 'closed';
      return sendForm(c, 'solution-offer', () => <SolutionOfferPanel ctx={ctxOf(d, c.get('csrfToken'))} offer={d.view.offer} canAnswer={canAnswer} state={state} />, () => fullPage(c, d, { offer: state }));
    }
    await answerSolutionOffer(c.get('services'), v.row.id, parsed.data, v.principal.actor);
    return done(c, v, parsed.data.answer === 'solved' ? 'Glad it is solved: your request is resolved.' : 'Thanks for telling us: an agent will help you.');
  });

  app.post('/cases/:id/customer', async (c) => {
    const profileSaved = (changes: object) => (Object.keys(changes).length > 0 ? 'Customer profile updated.' : 'Nothing to change.');
    // Managers and admins: the whole profile. Another staff member: only the real address of a
    // caller known by phone, on a case assigned to them (editCustomer checks it again).
    if (c.get('principal')?.actor.type === 'staff' && isManagerRole(c.get('principal')!.actor.role)) {
      return command(
        c,
        'customer',
        customerForm,
        async (v, input) => {
          const { shownName: _n, shownEmail: _e, shownTier: _t, shownOrganization: _o, shownPhone: _p, ...fields } = input;
          return profileSaved((await editCustomer(c.get('services'), v.row.customerId, fields, v.principal.actor, { caseId: v.row.id, base: profileBase(input) })).changes);
        },
        (v) => v.principal.actor.type === 'staff' && isManagerRole(v.principal.actor.role),
        async (error, values) => emailTaken(error, values) ?? profileConflict(error, values),
      );
    }
    // Anyone else sees no form here unless it is their case of a caller with a stand-in address.
    const v = await visibleCase(c);
    const mine = v.principal.actor.type === 'staff' && v.principal.staffId !== null && v.row.assigneeId === v.principal.staffId;
    const email = mine ? await c.get('services').store.query(async (q) => (await byId(q, q.tables.customers, v.row.customerId))?.email) : undefined;
    if (email === undefined || !isCallerOnlyEmail(email)) throw new DomainError('NOT_FOUND', `Nothing at ${c.req.path}.`);
    return command(
      c,
      'customer',
      callerEmailForm,
      async (v, input) => profileSaved((await editCustomer(c.get('services'), v.row.customerId, { ...input, organization: undefined }, v.principal.actor, { caseId: v.row.id })).changes),
      (v) => v.principal.actor.type === 'staff' && v.principal.staffId !== null && v.row.assigneeId === v.principal.staffId,
      emailTaken,
    );
  });

  app.post('/cases/:id/rating', (c) =>
    command(
      c,
      'rating',
      ratingForm,
      async (v, input) => {
        await takeRateLimit(c, v.principal, 'changes');
        await rateCase(c.get('services'), v.row.id, { satisfied: input.satisfied === 'yes', comment: input.comment }, v.principal.actor);
        return 'Thank you for your rating.';
      },
      (v) => v.principal.actor.type === 'customer',
    ),
  );

  return app;
}
