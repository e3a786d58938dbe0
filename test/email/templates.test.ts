/**
 * Mail through a real SMTP sink after a manager changed a template: the acknowledgement, the
 * staff-reply wrapper and a staff SLA alert use the override (threaded and escaped as before,
 * the delivery log marking it `customized`); after a reset the built-in wording is back.
 */
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createMailer, type Mailer } from '../../src/notifications/mailer.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { ADMIN_TOKEN, type Harness, type TestActor } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { emailHarness, fixture, postMail, signedIn } from './support.js';

let h: Harness;
let smtp: Inbox;
let mailer: Mailer;
let maria: TestActor;

async function setUp(): Promise<void> {
  smtp = await startSmtp();
  mailer = createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.com>');
  h = emailHarness({}, { mailer });
  maria = h.agent({ name: 'Maria', email: 'maria@casebook.test', role: 'manager', queues: ['general', 'billing'] });
}
afterEach(async () => {
  h.close();
  mailer.close();
  await smtp.close();
});

async function put(name: string, audience: string, subject: string, body: string): Promise<void> {
  const res = await h.api('PUT', `/api/v1/templates/${name}/${audience}`, { token: h.tokenFor(maria), body: { subject, body } });
  expect(res.status, await res.clone().text()).toBe(200);
}

const events = async (id: number, type: string) =>
  (await h.query((q) => q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, id)).orderBy(q.tables.caseEvents.id))).filter((e) => e.type === type);

describe('a customized template', () => {
  it('is what the customer receives: the acknowledgement and the staff-reply wrapper, threaded and escaped', async () => {
    await setUp();
    await put('case-received', 'customer', 'Got it, {{customer.firstName}}: {{case.subject}}', 'Hi {{customer.firstName}} <3,\n\nwe have {{case.id}}.\n{{#offer}}\nTry: {{offer.title}}\n{{/offer}}\nSee {{case.url}}\n');
    await put('staff-reply', 'customer', 'Answer on {{case.subject}}', '{{reply.author}} wrote:\n\n{{reply.text}}\n\n-- The support team');
    const posted = await postMail(h, fixture('new-request.eml'));
    const ref = posted.body.case!;
    const id = Number(ref.slice(2));
    await h.services.outbox.drain();

    expect(smtp.messages).toHaveLength(1);
    const ack = smtp.messages[0]!.mail;
    expect(ack.subject).toBe(`[${ref}] Got it, Chloe: Invoice 2026-03 charged twice`);
    expect(ack.text).toBe(`Hi Chloe <3,\n\nwe have ${ref}.\nSee http://127.0.0.1:3000/cases/${ref}\n`);
    expect(String(ack.html)).toContain('<p dir="auto">Hi Chloe &lt;3,</p>');
    expect(ack.inReplyTo).toBe('<CAF=new-request-1@mail.gmail.com>');
    expect((await events(id, 'notification.sent'))[0]!.data).toMatchObject({ template: 'case-received', customized: true, delivered: true });

    const replied = await h.api('POST', `/api/v1/cases/${ref}/messages`, { token: h.tokenFor(maria), body: { body: 'We refunded one charge.', public: true } });
    expect(replied.status).toBe(201);
    await h.services.outbox.drain();
    const reply = smtp.messages[1]!.mail;
    expect(reply.subject).toBe(`[${ref}] Answer on Invoice 2026-03 charged twice`);
    expect(reply.text).toBe('Maria wrote:\n\nWe refunded one charge.\n\n-- The support team');
    expect(reply.cc && !Array.isArray(reply.cc) ? reply.cc.value.map((a) => a.address) : []).toEqual(['bob@example.com']);
    expect((await events(id, 'email.sent'))[0]!.data).toMatchObject({ kind: 'reply', customized: true, delivered: true });

    // Reset: the built-in wording again.
    expect((await h.api('DELETE', '/api/v1/templates/staff-reply/customer', { token: h.tokenFor(maria) })).status).toBe(200);
    await h.api('POST', `/api/v1/cases/${ref}/messages`, { token: h.tokenFor(maria), body: { body: 'It shows in 3 days.', public: true } });
    await h.services.outbox.drain();
    const again = smtp.messages[2]!.mail;
    expect(again.subject).toBe(`Re: [${ref}] Invoice 2026-03 charged twice`);
    expect(again.text).toBe(`It shows in 3 days.\n\nMaria, support\n\nReply to this mail to answer, or follow your request at http://127.0.0.1:3000/cases/${ref}\n`);
    expect((await events(id, 'email.sent'))[1]!.data).not.toHaveProperty('customized');
  });

  it('is what staff receive: an SLA alert saved on the console page, with the staff-only values', async () => {
    await setUp();
    const form = { subject: '{{case.priority}} in {{case.queue}}: {{case.subject}}', body: 'Heads up ({{case.status}}).\n{{#reason}}\nWhy: {{reason}}\n{{/reason}}\n' };
    const saved = await signedIn(h, maria).post('/manage/templates/sla-warning/staff', form);
    expect(saved.status).toBe(303);
    const created = (await (await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'c@example.com' }, subject: 'Hello', description: 'A question' } })).json()) as { id: string };
    h.clock.advanceMinutes(8 * 60 * 0.8 + 1);
    await runSlaSweep(h.services);
    await h.services.outbox.drain();
    // To the assignee (Maria works the general queue).
    const alerts = smtp.messages.filter((m) => m.to.includes('maria@casebook.test'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.mail.subject).toBe(`[${created.id}] normal in general: Hello`);
    // Due 2026-03-03T09:00Z: 10:00 in Berlin, the zone of the office calendar the timer counts on.
    // {{case.status}} in a staff mail is the state's label, as staff pages show it (the state is `open`).
    expect(alerts[0]!.mail.text).toBe('Heads up (Open).\nWhy: The firstResponse target (standard) is due Tue 3 Mar 2026, 10:00 (Europe/Berlin).\n');
  });

  it('shows an SLA due time as people read it: in the calendar’s zone across a DST change, or in the recipient’s own zone', async () => {
    await setUp();
    await put('sla-breached', 'staff', 'Breached: {{case.subject}}', 'Due {{dueAtText}} ({{dueAt}}).\n');
    // Friday 27 March 2026, 16:00 in Berlin (CET); Berlin moves to CEST on Sunday the 29th.
    h.clock.set('2026-03-27T15:00:00Z');
    const created = (await (await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'c@example.com' }, subject: 'Before the change', description: 'A question' } })).json()) as { id: string };
    // 8 business hours: Friday 16:00–17:00, Monday 09:00–16:00 CEST = 14:00 UTC (not 15:00, as CET would say).
    // Warned at 80 % (6 h 24 min): Monday 14:24 CEST.
    h.clock.set('2026-03-30T12:25:00Z');
    await runSlaSweep(h.services);
    await h.services.outbox.drain();
    const warning = smtp.messages.filter((m) => m.to.includes('maria@casebook.test'));
    expect(warning.map((m) => m.mail.subject)).toEqual([`[${created.id}] SLA at risk: Before the change`]);
    expect(warning[0]!.mail.text).toContain('The firstResponse target (standard) is due Mon 30 Mar 2026, 16:00 (Europe/Berlin).');

    // Maria set her own zone on her profile: her mail says the time there, naming the zone.
    expect((await signedIn(h, maria).post('/profile', { name: 'Maria', timeZone: 'America/New_York' })).status).toBe(303);
    h.clock.set('2026-03-30T14:01:00Z');
    await runSlaSweep(h.services);
    await h.services.outbox.drain();
    const breach = smtp.messages.filter((m) => m.to.includes('maria@casebook.test'))[1]!.mail;
    expect(breach.subject).toBe(`[${created.id}] Breached: Before the change`);
    expect(breach.text).toBe('Due Mon 30 Mar 2026, 10:00 (America/New_York) (2026-03-30T14:00:00.000Z).\n');
  });
});
