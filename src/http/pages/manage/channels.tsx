/**
 * `/manage/channels` (behind requireManager): how cases get in. Managers read everything;
 * admins add, change, test, enable/disable and delete mailboxes (mailboxes are servers,
 * accounts and passwords: infrastructure).
 *
 *   GET  /manage/channels                       sections: mailboxes, how mail gets in, the log
 *                                               (?outcome=&via=&mailbox=&before=; htmx: the log
 *                                               results, or the mailboxes section for HX-Target mailboxes)
 *   GET  /manage/channels/mailboxes/new, POST /manage/channels/mailboxes         add (intent=test: test only)
 *   GET  /manage/channels/mailboxes/:id, POST /manage/channels/mailboxes/:id     view, change (intent=test)
 *   POST /manage/channels/mailboxes/:id/test | enable | disable | delete
 *
 * After every change the supervisor restarts (or stops) that mailbox's poller at once.
 */
import { asc, eq } from 'drizzle-orm';
import { Hono } from 'hono';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { createMailbox } from '../../../channels/email/create-mailbox.js';
import { deleteMailbox } from '../../../channels/email/delete-mailbox.js';
import { parseImapUrl } from '../../../channels/email/imap-config.js';
import { mailLog, mailLogFilter } from '../../../channels/email/mail-log-view.js';
import { getMailbox, listMailboxes, mailboxView, type MailboxView } from '../../../channels/email/mailbox-store.js';
import { testMailbox, testUnsavedMailbox, type ConnectionTest } from '../../../channels/email/test-mailbox.js';
import { updateMailbox } from '../../../channels/email/update-mailbox.js';
import { DomainError, ValidationError } from '../../../errors.js';
import type { Principal } from '../../types.js';
import type { FormErrors, FormState, FormValues } from '../../../../views/components.js';
import { CHANNELS, ChannelsPage, MAILBOXES, MailboxesSection, MailLogResults, MailLogSection, WaysInSection, type WaysIn } from '../../../../views/pages/manage/channels.js';
import { MailboxForm, MailboxPage, NewMailboxPage, TestResult, type MailboxFormData } from '../../../../views/pages/manage/mailbox.js';
import { isHtmx, type PageContext, type PageEnv } from '../env.js';
import { errorsFrom, readForm } from '../forms.js';
import { redirectTo, sendForm, sendHtml, viewerOf } from '../render.js';
import { chatSitePages, chatSitesSection } from './chat-sites.js';
import { managerOf } from './guard.js';
import { attempt, idParam } from './team-forms.js';

const STATUS_POLL_SECONDS = 10;

const NOTICES: Record<string, string> = {
  'mailbox-created': 'Mailbox added; it is being read now.',
  'mailbox-saved': 'Saved; the mailbox is read with the new settings now.',
  'mailbox-enabled': 'Enabled; the mailbox is being read now.',
  'mailbox-disabled': 'Disabled; the mailbox is no longer read.',
  'mailbox-deleted': 'Mailbox deleted.',
};

function notice(c: PageContext): string | null {
  const key = c.req.query('done') ?? '';
  return Object.hasOwn(NOTICES, key) ? NOTICES[key]! : null;
}

/** Admins only: managers read the channels, they do not change them. */
function adminOf(c: PageContext): Principal {
  const principal = managerOf(c);
  if (principal.actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'Only admins manage mailboxes.');
  return principal;
}

const isAdmin = (c: PageContext) => managerOf(c).actor.role === 'admin';

async function queueOptions(c: PageContext) {
  const rows = await c.get('services').store.query((q) => {
    const queues = q.tables.queues;
    return q.db.select().from(queues).where(eq(queues.active, true)).orderBy(asc(queues.id));
  });
  return rows.map((q) => ({ value: q.id, label: `${q.name} (${q.id}, tier ${q.tier})` }));
}

/** A mailbox as stored (MAILBOX_NOT_FOUND otherwise). */
const storedMailbox = (c: PageContext, id: number) => c.get('services').store.query((q) => getMailbox(q, id));

/** The mailboxes for the console, with their status. */
const mailboxViews = async (c: PageContext) => (await c.get('services').store.query((q) => listMailboxes(q))).map(mailboxView);

function waysIn(c: PageContext): WaysIn {
  const services = c.get('services');
  const email = services.email;
  let imapUrl: WaysIn['imapUrl'] = null;
  if (email.imap && 'url' in email.imap) {
    const processed = email.imap.processed.kind === 'seen' ? 'seen' : `move:${email.imap.processed.folder}`;
    imapUrl = { label: parseImapUrl(email.imap.url).label, processed, pollSeconds: email.imap.pollSeconds };
  }
  const rate = email.ratePerSender;
  return {
    supportAddress: email.supportAddress,
    smtp: email.smtpPort === null ? null : { host: email.smtpHost, port: email.smtpPort },
    http: `${services.publicUrl}/api/v1/inbound/email`,
    imapUrl,
    maxBytes: email.maxBytes,
    ratePerSender: rate.count === 0 ? 'no limit' : `${rate.count} per ${rate.windowMs % 3_600_000 === 0 ? `${rate.windowMs / 3_600_000} h` : `${Math.round(rate.windowMs / 60_000)} min`}`,
    key: services.channelsKey ? { id: services.channelsKey.id, source: services.channelsKey.source } : null,
  };
}

/** The form's fields as the domain takes them (the password only when typed). */
function mailboxInput(v: FormValues) {
  const int = (raw: string | undefined) => (/^\d{1,6}$/.test((raw ?? '').trim()) ? Number(raw!.trim()) : NaN);
  const folder = (v.moveFolder ?? '').trim();
  return {
    name: v.name ?? '',
    host: v.host ?? '',
    port: (v.port ?? '').trim() === '' ? null : int(v.port),
    tls: v.tls !== 'starttls',
    username: v.username ?? '',
    path: v.path ?? '',
    queue: v.queue ?? '',
    processed: v.processed === 'move' ? `move:${folder}` : 'seen',
    pollSeconds: int(v.pollSeconds),
    enabled: v.enabled === 'on',
    ...(v.password ? { password: v.password } : {}),
  };
}

/** `processed` errors belong next to the folder field. */
function formErrors(errors: FormErrors): FormErrors {
  const out = { ...errors };
  if (out.processed) out.moveFolder ??= out.processed;
  return out;
}

/** No CHANNELS_KEY: the form says so at the password, where the admin typed it. */
function keyRefusal<T>(run: () => Promise<T>): () => Promise<T> {
  return async () => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof DomainError && error.code === 'CHANNELS_KEY_MISSING') throw new ValidationError([{ path: 'password', message: error.message }], error.message);
      throw error;
    }
  };
}

/** "Test connection" from the form: htmx gets the result alone (the typed password stays in the form). */
async function testFromForm(c: PageContext, values: FormValues, saved: MailboxView | null, render: (state: FormState, test: ConnectionTest) => Response | Promise<Response>) {
  const { actor } = adminOf(c);
  const services = c.get('services');
  const input = mailboxInput(values);
  let result: ConnectionTest;
  let errors: FormErrors = {};
  try {
    const port = input.port === null ? null : Number.isInteger(input.port) ? input.port : null;
    const stored = saved ? await storedMailbox(c, saved.id) : null;
    result = await testUnsavedMailbox(services, { host: input.host.trim().toLowerCase(), port, tls: input.tls, username: input.username.trim(), path: input.path.trim() || 'INBOX', password: input.password ?? null }, stored, actor);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    errors = errorsFrom(error.issues);
    result = { ok: false, text: error.issues.map((i) => `${i.path}: ${i.message}`).join('; ') };
  }
  if (isHtmx(c)) return sendHtml(c, <TestResult result={result} />);
  return render({ values, errors }, result);
}

async function channelsPage(c: PageContext, mailboxesSection: Child, chatSection: Child, status: 200 | 422 = 200) {
  const services = c.get('services');
  const views = await mailboxViews(c);
  const filter = mailLogFilter(c.req.query());
  const log = await services.store.query((q) => mailLog(q, filter));
  const sections: Child[] = [mailboxesSection, chatSection, <WaysInSection w={waysIn(c)} />, <MailLogSection lines={log.lines} older={log.older} filter={filter} mailboxes={views} />];
  return sendHtml(c, <ChannelsPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} notice={notice(c)} sections={sections} />, status);
}

export function channelPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get(CHANNELS, async (c) => {
    const admin = isAdmin(c);
    const services = c.get('services');
    const views = await mailboxViews(c);
    const filter = mailLogFilter(c.req.query());
    const log = await services.store.query((q) => mailLog(q, filter));
    const mailboxesSection = <MailboxesSection mailboxes={views} admin={admin} keySet={services.channelsKey !== null} pollSeconds={STATUS_POLL_SECONDS} />;
    if (isHtmx(c)) return sendHtml(c, c.req.header('HX-Target') === 'mailboxes' ? mailboxesSection : <MailLogResults lines={log.lines} older={log.older} filter={filter} />);
    return channelsPage(c, mailboxesSection, await chatSitesSection(c));
  });
  // Live chat sites (chat-sites.tsx); a refused add shows this page again with the form's errors.
  app.route('/', chatSitePages(async (c, chat, status) => channelsPage(c, <MailboxesSection mailboxes={await mailboxViews(c)} admin={isAdmin(c)} keySet={c.get('services').channelsKey !== null} pollSeconds={STATUS_POLL_SECONDS} />, chat, status)));

  app.get(`${MAILBOXES}/new`, async (c) => {
    adminOf(c);
    return sendHtml(c, <NewMailboxPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} state={{}} data={{ mailbox: null, queues: await queueOptions(c) }} />);
  });

  app.post(MAILBOXES, async (c) => {
    const { actor } = adminOf(c);
    const values = await readForm(c);
    const page = async (state: FormState, test: ConnectionTest | null, status: ContentfulStatusCode = 422) => {
      const data: MailboxFormData = { mailbox: null, queues: await queueOptions(c), test };
      return sendForm(c, 'mailbox-form', () => <MailboxForm csrfToken={c.get('csrfToken')} state={state} data={data} />, () => <NewMailboxPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} state={state} data={data} />, status);
    };
    if (values.intent === 'test') return testFromForm(c, values, null, (state, test) => page(state, test, 200));
    const result = await attempt(
      keyRefusal(() => createMailbox(c.get('services'), mailboxInput(values) as Parameters<typeof createMailbox>[1], actor)),
      (errors, status) => page({ values, errors: formErrors(errors) }, null, status),
    );
    if (!result.ok) return result.response;
    return redirectTo(c, `${MAILBOXES}/${result.value.id}?done=mailbox-created`);
  });

  const detailPage = (c: PageContext, m: MailboxView, state: FormState, test: ConnectionTest | null, withNotice: boolean, queues: Awaited<ReturnType<typeof queueOptions>>) => (
    <MailboxPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} admin={isAdmin(c)} state={state} data={{ mailbox: m, queues, test }} notice={withNotice ? notice(c) : null} />
  );
  const detail = async (c: PageContext, m: MailboxView, state: FormState, test: ConnectionTest | null) => sendHtml(c, detailPage(c, m, state, test, test === null, await queueOptions(c)));

  app.get(`${MAILBOXES}/:id`, async (c) => {
    managerOf(c);
    const m = mailboxView(await storedMailbox(c, idParam(c, 'mailbox')));
    return detail(c, m, {}, null);
  });

  app.post(`${MAILBOXES}/:id`, async (c) => {
    const { actor } = adminOf(c);
    const id = idParam(c, 'mailbox');
    const services = c.get('services');
    const m = mailboxView(await storedMailbox(c, id));
    const values = await readForm(c);
    if (values.intent === 'test') return testFromForm(c, values, m, (state, test) => detail(c, m, state, test));
    const result = await attempt(
      keyRefusal(() => updateMailbox(services, id, mailboxInput(values), actor)),
      async (errors, status) => {
        const state: FormState = { values, errors: formErrors(errors) };
        const data: MailboxFormData = { mailbox: m, queues: await queueOptions(c) };
        return sendForm(c, 'mailbox-form', () => <MailboxForm csrfToken={c.get('csrfToken')} state={state} data={data} />, () => detailPage(c, m, state, null, false, data.queues), status);
      },
    );
    if (!result.ok) return result.response;
    return redirectTo(c, `${MAILBOXES}/${id}?done=mailbox-saved`);
  });

  app.post(`${MAILBOXES}/:id/test`, async (c) => {
    const { actor } = adminOf(c);
    const services = c.get('services');
    const row = await storedMailbox(c, idParam(c, 'mailbox'));
    const result = await testMailbox(services, row, actor);
    if (isHtmx(c)) return sendHtml(c, <TestResult result={result} />);
    return detail(c, mailboxView(row), {}, result);
  });

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(`${MAILBOXES}/:id/${action}`, async (c) => {
      const { actor } = adminOf(c);
      const id = idParam(c, 'mailbox');
      await updateMailbox(c.get('services'), id, { enabled }, actor);
      return redirectTo(c, `${MAILBOXES}/${id}?done=mailbox-${action}d`);
    });
  }

  app.post(`${MAILBOXES}/:id/delete`, async (c) => {
    const { actor } = adminOf(c);
    await deleteMailbox(c.get('services'), idParam(c, 'mailbox'), actor);
    return redirectTo(c, `${CHANNELS}?done=mailbox-deleted`);
  });

  return app;
}
