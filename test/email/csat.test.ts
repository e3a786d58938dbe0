/**
 * One-click CSAT, end to end: staff resolve a case, the resolved mail reaches a real SMTP
 * sink with signed "yes"/"no" links; opening a link records nothing (mail scanners open every
 * link), the page's one button records the rating as the case's customer without signing in
 * (`case.rated` via "mail-link"); tampered and expired links are refused; a reopened case
 * cannot be rated. Also the "waiting on you" mail of the default workflow.
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csatKey, makeCsatToken, verifyCsatToken } from '../../src/channels/email/csat-link.js';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { createMailer, type Mailer } from '../../src/notifications/mailer.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { csrfFrom, visitor } from '../support/pages.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { signedIn } from './support.js';

let h: Harness;
let smtp: Inbox;
let mailer: Mailer;
let maria: TestActor;

beforeEach(async () => {
  smtp = await startSmtp();
  mailer = createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.com>');
  h = createHarness({ services: { mailer, publicUrl: 'http://help.example.com' } });
  standardQueues(h);
  maria = h.agent({ name: 'Maria', email: 'maria@casebook.test', role: 'manager', queues: ['general', 'billing'] });
});
afterEach(async () => {
  h.close();
  mailer.close();
  await smtp.close();
});

async function resolvedCase(): Promise<{ ref: string; id: number; yes: string; no: string }> {
  const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'chloe@example.com', name: 'Chloe Carter' }, subject: 'Invoice charged twice', description: 'My card was charged twice.' } });
  const ref = ((await res.json()) as { id: string }).id;
  const resolved = await h.api('POST', `/api/v1/cases/${ref}/transitions`, { token: h.tokenFor(maria), body: { transition: 'resolve', solution: 'We refunded the second charge.' } });
  expect(resolved.status).toBe(200);
  await drained();
  const mail = smtp.messages.find((m) => m.to.includes('chloe@example.com') && m.mail.subject === `[${ref}] Resolved: Invoice charged twice`);
  expect(mail, 'the resolved mail').toBeDefined();
  const text = mail!.mail.text!;
  const yes = /Yes: http:\/\/help\.example\.com(\/csat\/\S+\?answer=yes)/.exec(text)![1]!;
  const no = /No: http:\/\/help\.example\.com(\/csat\/\S+\?answer=no)/.exec(text)![1]!;
  expect(String(mail!.mail.html)).toContain(`http://help.example.com${yes}`);
  return { ref, id: parseCaseRef(ref)!, yes, no };
}

/**
 * Every mail of what was done has been sent: the drain, then whatever a background drain (kicked
 * by the command's settle) had already claimed — the explicit drain skips an item claimed by it.
 */
async function drained(): Promise<void> {
  await h.services.outbox.drain();
  await h.services.outbox.idle();
}

const ratings = () => h.query((q) => q.db.select().from(q.tables.caseRatings));
const rated = async (id: number) =>
  (await h.query((q) => q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, id)).orderBy(q.tables.caseEvents.id))).filter((e) => e.type === 'case.rated');
const tokenOf = (link: string) => link.slice('/csat/'.length, link.indexOf('?'));

describe('the resolved mail', () => {
  it('carries signed yes/no links for the case and its customer, valid 30 days', async () => {
    const { id, yes, no } = await resolvedCase();
    expect(tokenOf(yes)).toBe(tokenOf(no));
    const check = verifyCsatToken(await csatKey(h.services), tokenOf(yes), h.clock.now());
    expect(check).toMatchObject({ ok: true, caseId: id, expiresAt: h.clock.now() + 30 * 86_400_000 });
    expect(smtp.messages.find((m) => m.mail.subject?.includes('Resolved'))!.mail.text).toContain('Solution:\nWe refunded the second charge.\n\nDid this solve it?\n');
  });
});

describe('a rating link', () => {
  it('opened (even both, as a mail scanner does) records nothing; the page preselects the answer', async () => {
    const { yes, no } = await resolvedCase();
    const scanner = visitor(h);
    const page = await scanner.get(yes);
    expect(page.status).toBe(200);
    expect(page.headers.get('X-Robots-Tag')).toBe('noindex');
    const html = await page.text();
    expect(html).toContain('Invoice charged twice');
    expect(html).toMatch(/id="csat-answer-yes" name="answer" value="yes" checked/);
    expect(html).toContain(`action="/csat/${tokenOf(yes)}"`);
    expect(html).toContain('Nothing is recorded until you press the button.');
    expect(await (await scanner.get(no)).text()).toMatch(/id="csat-answer-no" name="answer" value="no" checked/);
    expect(await ratings()).toEqual([]);
  });

  it('records the rating with one button, without signing in, and lets the customer change it', async () => {
    const { id, yes } = await resolvedCase();
    const person = visitor(h);
    person.csrf = csrfFrom(await (await person.get(yes)).text());
    const res = await person.post(`/csat/${tokenOf(yes)}`, { answer: 'yes', comment: 'Quick, thanks <3' }, { origin: 'http://localhost' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/csat/${tokenOf(yes)}?done=1`);
    expect(await ratings()).toEqual([expect.objectContaining({ caseId: id, satisfied: true, comment: 'Quick, thanks <3' })]);
    const events = await rated(id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorType: 'customer', data: { satisfied: true, comment: 'Quick, thanks <3', via: 'mail-link' } });
    const thanks = await (await person.get(`/csat/${tokenOf(yes)}?done=1`)).text();
    expect(thanks).toContain('Thank you! We recorded your answer: yes, it solved your problem.');
    expect(thanks).toContain('Quick, thanks &lt;3');

    // Changing the answer replaces the rating (one per case), as on the portal.
    expect((await person.post(`/csat/${tokenOf(yes)}`, { answer: 'no', comment: '' })).status).toBe(303);
    expect(await ratings()).toEqual([expect.objectContaining({ caseId: id, satisfied: false, comment: '' })]);
    expect(await rated(id)).toHaveLength(2);

    // Staff see where it came from.
    const staffPage = await (await signedIn(h, maria).get(`/cases/C-${id}`)).text();
    expect(staffPage).toContain('rated the help: not satisfied (from the link in the resolved mail)');
  });

  it('asks for an answer (422) and refuses a post without the form token (403)', async () => {
    const { yes } = await resolvedCase();
    const person = visitor(h);
    person.csrf = csrfFrom(await (await person.get(yes)).text());
    const missing = await person.post(`/csat/${tokenOf(yes)}`, { comment: 'hm' });
    expect(missing.status).toBe(422);
    expect(await missing.text()).toMatch(/class="field-error" id="csat-answer-error">Choose yes or no\./);
    const forged = await person.post(`/csat/${tokenOf(yes)}`, { answer: 'no' }, { csrf: false });
    expect(forged.status).toBe(403);
    const foreign = await person.post(`/csat/${tokenOf(yes)}`, { answer: 'no' }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await ratings()).toEqual([]);
  });

  it('refuses a tampered link (404) and an expired one (410), and records nothing', async () => {
    const { id, yes } = await resolvedCase();
    const token = tokenOf(yes);
    const person = visitor(h);
    await person.start();
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    const [caseId, customerId, expiry, mac] = token.split('.') as [string, string, string, string];
    const tampered = [
      `${token.slice(0, -1)}${last}`,
      `${Number(caseId) + 1}.${customerId}.${expiry}.${mac}`,
      `${caseId}.${Number(customerId) + 1}.${expiry}.${mac}`,
      `${caseId}.${customerId}.${(parseInt(expiry, 36) + 86_400 * 365).toString(36)}.${mac}`,
      'not-a-token',
    ];
    for (const bad of tampered) {
      const page = await person.get(`/csat/${bad}?answer=yes`);
      expect(page.status, bad).toBe(404);
      expect(await page.text()).toContain('This link is not valid');
      expect((await person.post(`/csat/${bad}`, { answer: 'yes' })).status, bad).toBe(404);
    }
    // Signed with another key (e.g. before EMAIL_SECRET changed): not ours either.
    const foreign = makeCsatToken('another-key', id, 1, h.clock.now() + 86_400_000);
    expect((await person.get(`/csat/${foreign}`)).status).toBe(404);

    h.clock.advanceMinutes(30 * 24 * 60 + 1);
    const expired = await person.get(yes);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain(`Go to C-${id}`);
    expect((await person.post(`/csat/${token}`, { answer: 'yes' })).status).toBe(410);
    expect(await ratings()).toEqual([]);
  });

  it('cannot rate a case that was reopened meanwhile (409), and says so', async () => {
    const { ref, yes } = await resolvedCase();
    const chloe = (await (await h.api('GET', `/api/v1/cases/${ref}`, { token: ADMIN_TOKEN })).json()) as { customer: { id: number } };
    const customer = { type: 'customer' as const, id: chloe.customer.id };
    expect((await h.api('POST', `/api/v1/cases/${ref}/transitions`, { token: h.tokenFor(customer), body: { transition: 'reopen' } })).status).toBe(200);
    const person = visitor(h);
    const page = await person.get(yes);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('cannot be rated now');
    expect(html).not.toContain('id="csat-form"');
    await person.start();
    expect((await person.post(`/csat/${tokenOf(yes)}`, { answer: 'yes' })).status).toBe(409);
    expect(await ratings()).toEqual([]);
  });
});

describe('a link from the mail of an earlier resolution', () => {
  it('records nothing once the case was reopened and resolved again (409), shows no rating of the new resolution, and the new mail\'s link rates it', async () => {
    const first = await resolvedCase();
    const person = visitor(h);
    await person.get(first.yes);
    await person.start();
    expect((await person.post(`/csat/${tokenOf(first.yes)}`, { answer: 'no', comment: 'Still charged twice' })).status).toBe(303);
    const chloe = (await (await h.api('GET', `/api/v1/cases/${first.ref}`, { token: ADMIN_TOKEN })).json()) as { customer: { id: number } };
    expect((await h.api('POST', `/api/v1/cases/${first.ref}/transitions`, { token: h.tokenFor({ type: 'customer', id: chloe.customer.id }), body: { transition: 'reopen' } })).status).toBe(200);
    h.clock.advance(60 * 60_000);
    expect((await h.api('POST', `/api/v1/cases/${first.ref}/transitions`, { token: h.tokenFor(maria), body: { transition: 'resolve', solution: 'The bank reversed it.' } })).status).toBe(200);
    await drained();

    const old = await (await person.get(first.yes)).text();
    expect(old).toContain('This link came with the mail about an earlier solution.');
    expect(old).not.toContain('id="csat-form"');
    expect(old).not.toContain('Your answer:'); // the earlier rating is not this resolution's
    expect((await person.post(`/csat/${tokenOf(first.yes)}`, { answer: 'yes' })).status).toBe(409);
    expect((await ratings()).map((r) => [r.satisfied, r.supersededAt !== null])).toEqual([[false, true]]);

    const mails = smtp.messages.filter((m) => m.to.includes('chloe@example.com') && m.mail.subject === `[${first.ref}] Resolved: Invoice charged twice`);
    expect(mails).toHaveLength(2);
    const latest = /Yes: http:\/\/help\.example\.com(\/csat\/\S+\?answer=yes)/.exec(mails[1]!.mail.text!)![1]!;
    const fresh = await (await person.get(latest)).text();
    expect(fresh).toContain('id="csat-form"');
    expect(fresh).not.toContain('Your answer:');
    expect((await person.post(`/csat/${tokenOf(latest)}`, { answer: 'yes' })).status).toBe(303);
    expect((await ratings()).map((r) => [r.satisfied, r.supersededAt !== null])).toEqual([[false, true], [true, false]]);
  });
});

describe('waiting on the customer', () => {
  it('mails the customer the "waiting on you" template', async () => {
    const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'chloe@example.com', name: 'Chloe Carter' }, subject: 'Login fails', description: 'I cannot sign in.' } });
    const ref = ((await res.json()) as { id: string }).id;
    expect((await h.api('POST', `/api/v1/cases/${ref}/transitions`, { token: h.tokenFor(maria), body: { transition: 'waitOnCustomer', note: 'INTERNAL-NOTE' } })).status).toBe(200);
    await drained();
    const mails = smtp.messages.filter((m) => m.to.includes('chloe@example.com'));
    expect(mails.map((m) => m.mail.subject)).toEqual([`[${ref}] We need your reply: Login fails`]);
    expect(mails[0]!.mail.text).toBe(`Hello Chloe Carter,\n\nWe are waiting for your reply on your request "Login fails" (${ref}) before we can go on.\n\nAnswer this mail, or reply here: http://help.example.com/cases/${ref}\n`);
    expect(mails[0]!.mail.text).not.toContain('INTERNAL-NOTE');
  });
});
