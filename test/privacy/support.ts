/**
 * A world for the privacy tests: one customer whose personal data carries a marker
 * (`MARKER`, a token the search index stores as it is) everywhere Casebook keeps words —
 * profile, profile history, a mailed request with a file and its original, an API request
 * with an Idempotency-Key, replies both ways, an internal note, an escalation reason, a
 * solution, a rating comment, a sign-in link, a session, a stored SLA report, a kept dry-run
 * result, a live chat
 * (visitor name, e-mail, lines both ways, ended, transcript mailed) and a chat started without
 * a line — and another customer, who chatted too, whose data must survive an erasure untouched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { requestAccessMail } from '../../src/auth/request-access-mail.js';
import { createSession } from '../../src/auth/sessions.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { logCall } from '../../src/cases/log-call.js';
import { rateCase } from '../../src/cases/rate-case.js';
import { setBrowserTimeZone } from '../../src/users/profile.js';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { createReport } from '../../src/reports/create-report.js';
import { ok, tempDir, type Harness, type TestActor } from '../support/harness.js';
import { emailHarness, postMail } from '../email/support.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createSite } from '../../src/chat/sites.js';
import { startSession } from '../../src/chat/sessions.js';
import { sendVisitorMessage } from '../../src/chat/visitor-message.js';
import { endChat } from '../../src/chat/end-chat.js';
import { requestTranscript } from '../../src/chat/transcript.js';
import { sendMessage } from '../../src/cases/send-message.js';
import { syncWebhookTrigger } from '../../src/webhooks/trigger.js';

/** Lower case, no stem the porter tokenizer would cut, and no other indexed word starts with `9`. */
export const MARKER = '9zqxv';

export interface PrivacyWorld {
  h: Harness;
  inbox: Inbox;
  close(): Promise<void>;
  customerId: number;
  mailedRef: string;
  apiRef: string;
  otherRef: string;
  otherId: number;
  /** The customer's chat case, its visitor token, and the other customer's chat session. */
  chatRef: string;
  chatToken: string;
  otherChatId: number;
  agent: TestActor;
  manager: TestActor;
  admin: TestActor;
}

function mail(): string {
  return [
    `From: "Chloe ${MARKER}" <chloe.${MARKER}@example.com>`,
    'To: support@example.com',
    `Subject: Refund ${MARKER} please`,
    `Message-ID: <first.${MARKER}@example.com>`,
    'Date: Mon, 02 Mar 2026 08:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `My card ${MARKER} was charged twice for the invoice.`,
    '--b1',
    `Content-Type: text/plain; name="${MARKER}.txt"`,
    `Content-Disposition: attachment; filename="${MARKER}.txt"`,
    '',
    `the file ${MARKER} content`,
    '--b1--',
    '',
  ].join('\r\n');
}

export async function privacyWorld(): Promise<PrivacyWorld> {
  const inbox = await startSmtp();
  // A file store of its own (on PostgreSQL the default is one temp folder per process, shared by every harness).
  const h = emailHarness(
    {},
    { mailer: createMailer(`smtp://127.0.0.1:${inbox.port}`, 'Casebook <support@example.com>'), channelsKey: parseChannelsKey('55'.repeat(32)), attachments: { dir: path.join(tempDir(), 'files') } },
  );
  const agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] });
  h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'] });
  const manager = h.agent({ name: 'Maria', role: 'manager' });
  const admin = h.agent({ name: 'Adam', role: 'admin' });

  // A webhook subscriber (its deliveries keep the staff view of each case) and the CRM's record of the address.
  const now = h.clock.now();
  await h.services.store.write(async (q) => {
    await q.db.insert(q.tables.webhookSubscriptions).values({ url: 'https://crm.example/hook', description: '', events: ['case.created', 'message.created'], secret: 'whsec_dGVzdA==', enabled: true, createdBy: 'test', createdAt: now });
    // Written directly, not through createWebhook: the queueing trigger is woken as it would wake it.
    syncWebhookTrigger(q);
    await q.db.insert(q.tables.crmRecords).values({ email: `chloe.${MARKER}@example.com`, data: { plan: 'pro', accountOwner: `Owner of ${MARKER}` }, fetchedAt: now });
  });

  const posted = await postMail(h, mail());
  if (posted.body.result !== 'created') throw new Error(JSON.stringify(posted));
  const mailedRef = posted.body.case!;
  const customerId = (await h.get<{ id: number }>('SELECT customer_id AS id FROM cases WHERE id = ?', parseCaseRef(mailedRef)))!.id;
  const customer: TestActor = { type: 'customer', id: customerId, role: 'customer', name: `Chloe ${MARKER}` };
  const customerToken = h.tokenFor(customer);
  const agentToken = h.tokenFor(agent);

  const created = await ok(
    await h.api('POST', '/api/v1/cases', {
      token: customerToken,
      headers: { 'Idempotency-Key': `key-${MARKER}` },
      body: { subject: `Printer ${MARKER} jams`, description: `The printer ${MARKER} in room 4 jams on every page.` },
    }),
    201,
  );
  const apiRef = String(created.id);
  await ok(await h.api('POST', `/api/v1/cases/${apiRef}/messages`, { token: customerToken, body: { body: `More about ${MARKER}: it started Monday.`, public: true } }), 201);
  await ok(await h.api('POST', `/api/v1/cases/${mailedRef}/messages`, { token: agentToken, body: { body: `Hello Chloe ${MARKER}, we are on it.`, public: true } }), 201);
  await ok(await h.api('POST', `/api/v1/cases/${mailedRef}/messages`, { token: agentToken, body: { body: `Internal: ${MARKER} called twice`, public: false } }), 201);
  await ok(await h.api('POST', `/api/v1/cases/${mailedRef}/assignment`, { token: h.tokenFor(manager), body: { queue: 'advanced', reason: `Escalating ${MARKER} refund` } }));
  await ok(await h.api('POST', `/api/v1/cases/${apiRef}/transitions`, { token: agentToken, body: { transition: 'resolve', solution: `Cleaned the ${MARKER} roller` } }));
  await rateCase(h.services, parseCaseRef(apiRef)!, { satisfied: true, comment: `Thanks ${MARKER}!` }, customer);
  await ok(await h.api('PATCH', `/api/v1/customers/${customerId}`, { token: h.tokenFor(manager), body: { organization: `Acme ${MARKER}`, phone: '+49 30 1234567', reason: `asked by ${MARKER}` } }));
  await setBrowserTimeZone(h.services, { type: 'customer', id: customerId }, 'Europe/Berlin');
  await logCall(h.services, parseCaseRef(mailedRef)!, { durationSeconds: 240, direction: 'inbound', from: '+49301234567', notes: `Called about the ${MARKER} refund` }, agent);
  await h.services.store.write((q) => createSession(q, { type: 'customer', id: customerId }, h.clock.now(), `Browser ${MARKER}`));
  await requestAccessMail(h.services, { purpose: 'sign-in', email: `chloe.${MARKER}@example.com` });

  // A live chat through the chat domain: lines both ways, ended by the visitor, transcript asked for.
  const site = await createSite(h.services, { name: 'Shop', origins: 'https://shop.example', greeting: 'Hi! How can we help?', calendar: '', queue: 'general' });
  const chat = await startSession(h.services, site, 'https://shop.example', { name: `Chloe ${MARKER} Web`, email: `chloe.${MARKER}@example.com` });
  const { caseId: chatCase } = await sendVisitorMessage(h.services, site, chat.session, `Where is parcel ${MARKER}?`);
  await sendVisitorMessage(h.services, site, chat.session, `It was sent to ${MARKER} street.`);
  await sendMessage(h.services, chatCase, { body: `Found parcel ${MARKER}, Chloe.`, public: true }, agent);
  await endChat(h.services, chat.session.id, 'visitor', { type: 'customer', id: null, role: 'customer', name: chat.session.name });
  await requestTranscript(h.services, { ...chat.session, caseId: chatCase });
  await startSession(h.services, site, 'https://shop.example', { name: `Chloe ${MARKER} Again`, email: `chloe.${MARKER}@example.com` });

  const other = h.customer({ email: 'sam@example.org', name: 'Sam Stone' });
  const otherChat = await startSession(h.services, site, 'https://shop.example', { name: 'Sam Stone', email: 'sam@example.org' });
  await sendVisitorMessage(h.services, site, otherChat.session, 'Where is my order?');
  const otherCase = await ok(await h.api('POST', '/api/v1/cases', { token: h.tokenFor(other), body: { subject: 'Scanner offline', description: 'The scanner in the lobby is offline.' } }), 201);
  // The transcript goes out through the outbox, which records chat.transcript_sent on the case;
  // let it finish so every read below sees the same world.
  await h.services.outbox.idle();
  await h.services.outbox.drain();
  h.clock.advance(60 * 60_000);
  await createReport(h.services, { from: h.clock.now() - 86_400_000, to: h.clock.now(), trigger: 'manual' });
  // A manager's finished dry-run, kept a day (dry_run_jobs): it lists changed cases with their subjects.
  const change = (caseId: string, subject: string) => ({ caseId, subject, createdAt: h.clock.now(), fields: ['queue'], rules: ['Refunds to billing'], moments: [] });
  const changes = [change(mailedRef, `Refund ${MARKER} please`), change(String(otherCase.id), 'Scanner offline')];
  const at = h.clock.now();
  await h.services.store.write((q) =>
    q.db.insert(q.tables.dryRunJobs).values({ id: 'privacy-dry-run', owner: 'staff:1', ruleset: 'routing', draftVersion: 2, label: 'the last 10 cases', state: 'done', done: 10, total: 10, result: JSON.stringify({ ruleset: 'routing', changed: 2, changes }), runBy: 'test', startedAt: at, heartbeatAt: at, finishedAt: at }),
  );
  const close = async () => {
    h.close();
    await inbox.close();
  };
  return { h, inbox, close, customerId, mailedRef, apiRef, otherRef: String(otherCase.id), otherId: other.id, chatRef: `C-${chatCase}`, chatToken: chat.token, otherChatId: otherChat.session.id, agent, manager, admin };
}

/** Every file under a folder (relative paths). */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile());
}

/** A statement's refusal as text: the error's message and its cause's (drizzle's error names the query, its cause is PostgreSQL's refusal). */
export async function refusal(statement: Promise<unknown>): Promise<string> {
  try {
    await statement;
  } catch (error) {
    const { message, cause } = error as Error & { cause?: Error };
    return `${message} ${cause?.message ?? ''}`;
  }
  return 'not refused';
}
