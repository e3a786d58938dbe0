/**
 * A customer created by the API or by mail gets in: the acknowledgement of their new case
 * (`case-received`) carries a one-time sign-in link (7 days) that opens the case, when they
 * have no password. Real SMTP sink, the real outbox, the pages through app.request().
 */
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { LINK_TTL_MS } from '../../src/auth/links.js';
import { defaultEmailSettings } from '../../src/channels/email/settings.js';
import { ADMIN_TOKEN, standardQueues } from '../support/harness.js';
import { accessWorld, linkIn, tokenOf, type AccessWorld } from '../support/access.js';
import { csrfFrom, visitor } from '../support/pages.js';
import { EMAIL_SECRET, fixture, postMail, setPassword } from './support.js';

let w: AccessWorld;
afterEach(() => w.close());

/** Routing that acknowledges every new case to its customer (mail cases are acknowledged anyway). */
async function acknowledgeEveryCase(): Promise<void> {
  await w.h.settled(); // the definitions seeded (on PostgreSQL, before the registry is read)
  const routing = structuredClone(w.h.services.definitions.ruleset('routing').definition);
  routing.rules.unshift({ name: 'Acknowledge every request', conditions: { all: [] }, event: { type: 'notify', params: { to: 'customer', template: 'case-received' } } });
  await w.h.services.store.write((q) => w.h.services.definitions.createVersion(q, 'ruleset', 'routing', routing, { state: 'published', now: w.h.clock.now() }));
  await w.h.services.definitions.refresh(); // as every command that stores a version does once it has committed
}

async function world(): Promise<void> {
  w = await accessWorld({ services: { email: defaultEmailSettings({ supportAddress: 'support@example.com', secret: EMAIL_SECRET }) } });
  standardQueues(w.h);
  w.h.agent({ name: 'Alice', role: 'manager', queues: ['general', 'billing', 'technical'] });
  await acknowledgeEveryCase();
}

const tokens = () => w.h.query((q) => q.db.select().from(q.tables.passwordTokens));

async function apiCase(email: string): Promise<string> {
  const res = await w.h.api('POST', '/api/v1/cases', {
    token: ADMIN_TOKEN,
    body: { customer: { email, name: 'Pat Doe' }, subject: 'Where is my parcel?', description: 'Ordered two weeks ago, still nothing.' },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function useLink(link: string) {
  const v = visitor(w.h);
  const page = await v.get(link);
  expect(page.status).toBe(200);
  v.csrf = csrfFrom(await page.text());
  return { v, res: await v.post('/login/link/confirm', { token: tokenOf(link), next: new URL(link, 'http://x').searchParams.get('next') ?? '' }) };
}

describe('the acknowledgement of a new case', () => {
  it('created through the API for a new customer: its sign-in link (7 days) opens the case, and the customer reads the answer there', async () => {
    await world();
    const ref = await apiCase('pat@example.com');
    await w.flush();
    const [ack] = w.mailsTo('pat@example.com');
    expect(ack!.subject).toBe(`[${ref}] We received your request: Where is my parcel?`);
    expect(ack!.text).toContain('this link signs you in; it works once, within 7 days');
    const link = linkIn(ack!.text, '/login/link');
    expect(new URL(link, 'http://x').searchParams.get('next')).toBe(`/cases/${ref}`);
    const [pat] = await w.h.query((q) => q.db.select().from(q.tables.customers).where(eq(q.tables.customers.email, 'pat@example.com')));
    expect(await tokens()).toEqual([
      expect.objectContaining({ purpose: 'sign-in', principalType: 'customer', principalId: pat!.id, expiresAt: w.h.clock.now() + LINK_TTL_MS.caseMail, usedAt: null }),
    ]);
    // The timeline says a link went out, never the link.
    const sent = await w.h.query((q) => q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.type, 'notification.sent')).orderBy(q.tables.caseEvents.id));
    expect(sent.map((e) => e.data)).toEqual([expect.objectContaining({ template: 'case-received', delivered: true, signInLink: true })]);
    expect(JSON.stringify(sent)).not.toContain(tokenOf(link));

    const staffToken = w.h.tokenFor({ type: 'system', id: null });
    expect((await w.h.api('POST', `/api/v1/cases/${ref}/messages`, { token: staffToken, body: { body: 'It left our warehouse today.', public: true } })).status).toBe(201);
    w.h.clock.advance(LINK_TTL_MS.caseMail - 60_000); // days later, still within the week
    const { v, res } = await useLink(link);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/cases/${ref}`);
    const page = await v.get(`/cases/${ref}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Where is my parcel?');
    expect(html).toContain('It left our warehouse today.');
  });

  it('expires after 7 days', async () => {
    await world();
    await apiCase('pat@example.com');
    await w.flush();
    const link = linkIn(w.mailsTo('pat@example.com')[0]!.text, '/login/link');
    w.h.clock.advance(LINK_TTL_MS.caseMail);
    expect((await visitor(w.h).get(link)).status).toBe(404);
  });

  it('a customer who has a password gets the plain case address, no sign-in link', async () => {
    await world();
    await setPassword(w.h, w.h.customer({ email: 'chloe@example.com', name: 'Chloe' }), 'chloe has a password');
    const ref = await apiCase('chloe@example.com');
    await w.flush();
    const [ack] = w.mailsTo('chloe@example.com');
    expect(ack!.text).toContain(`Follow it here: http://127.0.0.1:3000/cases/${ref}`);
    expect(ack!.text).not.toContain('/login/link');
    expect(await tokens()).toEqual([]);
  });

  it('of a case that came in by mail carries the link too', async () => {
    await world();
    const posted = await postMail(w.h, fixture('new-request.eml'));
    expect(posted.body.result).toBe('created');
    await w.flush();
    const ack = w.mailsTo('chloe@example.com').find((m) => m.subject.includes('We received your request'))!;
    const { res } = await useLink(linkIn(ack.text, '/login/link'));
    expect(res.headers.get('Location')).toBe(`/cases/${posted.body.case}`);
  });

  it('when the mail cannot be sent, its link is revoked; the retry mails a new one that works', async () => {
    await world();
    w.smtp.refuse(1);
    await apiCase('pat@example.com');
    await w.flush();
    expect(w.mailsTo('pat@example.com')).toEqual([]);
    expect(await tokens()).toEqual([]);
    w.h.clock.advance(30_000);
    await w.h.services.outbox.drain();
    const [ack] = w.mailsTo('pat@example.com');
    expect((await useLink(linkIn(ack!.text, '/login/link'))).res.status).toBe(303);
  });
});
