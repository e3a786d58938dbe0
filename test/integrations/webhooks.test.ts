/**
 * Webhooks end to end against a real HTTP receiver: subscriptions over the API, the Standard
 * Webhooks signature checked with the library's own verifier, retries on the injected clock,
 * disabling after a day of failures with the admin mail (real SMTP server), the delivery log
 * and replay, and what payloads carry (no internal notes outside `note.created`).
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { addMessage } from '../../src/cases/add-message.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { RETRY_SCHEDULE_MS } from '../../src/webhooks/deliveries.js';
import { WEBHOOK_EVENT_TYPES } from '../../src/webhooks/events.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { startReceiver, type Receiver } from './receiver.js';

let h: Harness;
let receiver: Receiver;
let smtp: Inbox;
let customer: TestActor;
let agent: TestActor;

beforeAll(async () => {
  receiver = await startReceiver();
  smtp = await startSmtp();
  h = createHarness({ services: { integrations: { allowPrivateTargets: true }, mailer: createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@test>') } });
  standardQueues(h);
  agent = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], capacity: 50 }); // room for every case the file makes
  h.agent({ name: 'Adam Admin', email: 'adam@casebook.test', role: 'admin' });
  customer = h.customer({ email: 'chloe@example.com', name: 'Chloe', organization: 'Acme' });
});

afterAll(async () => {
  h.close();
  await receiver.close();
  await smtp.close();
  vi.useRealTimers();
});

async function subscribe(events: string[], url = receiver.url): Promise<{ id: number; secret: string }> {
  const res = await h.api('POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url, events, description: 'CRM sync' } });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: number; secret: string };
}

async function drain(): Promise<void> {
  await h.services.outbox.drain();
}

function verify(secret: string, r: { headers: Record<string, unknown>; body: string }): unknown {
  // The verifier checks the timestamp against the real clock: show it the test's clock.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(h.clock.now());
  try {
    return new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
  } finally {
    vi.useRealTimers();
  }
}

describe('webhooks', () => {
  it('creates a subscription with a whsec_ secret shown once, lists it without the secret, refuses bad input', async () => {
    const created = await subscribe(['case.created']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const list = (await (await h.api('GET', '/api/v1/webhooks', { token: ADMIN_TOKEN })).json()) as Record<string, unknown>[];
    expect(list.find((w) => w.id === created.id)).toMatchObject({ url: receiver.url, events: ['case.created'], enabled: true });
    expect(JSON.stringify(list)).not.toContain(created.secret);
    const bad = await h.api('POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url: receiver.url, events: ['case.nope'] } });
    expect(bad.status).toBe(422);
    const ftp = await h.api('POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url: 'ftp://example.com/x', events: ['case.created'] } });
    expect(ftp.status).toBe(422);
    const agentToken = h.tokenFor(agent);
    expect((await h.api('GET', '/api/v1/webhooks', { token: agentToken })).status).toBe(403);
    expect((await h.api('DELETE', `/api/v1/webhooks/${created.id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    expect((await h.api('GET', `/api/v1/webhooks/${created.id}`, { token: ADMIN_TOKEN })).status).toBe(404);
    // Both changes are in the audit log, the secret never.
    const audit = (await (await h.api('GET', `/api/v1/audit?entity=webhook&entityId=${created.id}`, { token: ADMIN_TOKEN })).json()) as { items: { action: string; before: unknown; after: unknown }[] };
    expect(audit.items.map((e) => e.action)).toEqual(['deleted', 'created']);
    expect(audit.items[1]!.after).toMatchObject({ url: receiver.url, events: ['case.created'] });
    expect(JSON.stringify(audit)).not.toContain(created.secret);
  });

  it('delivers case.created signed with the Standard Webhooks scheme, verifiable by the library', async () => {
    const { id, secret } = await subscribe(['case.created', 'message.created']);
    receiver.received.length = 0;
    const c = await createCase(h.services, { subject: 'Refund please', description: 'Charged twice for March' }, customer, { customerId: customer.id });
    await drain();
    const hits = receiver.received.filter((r) => JSON.parse(r.body).type === 'case.created');
    expect(hits).toHaveLength(1);
    const payload = verify(secret, hits[0]!) as { type: string; data: { case: { id: string; url: string }; customer: { email: string; organization: string } } };
    expect(payload.type).toBe('case.created');
    expect(payload.data.case.id).toBe(`C-${c.id}`);
    expect(payload.data.case.url).toBe(`${h.services.publicUrl}/cases/C-${c.id}`);
    expect(payload.data.customer).toMatchObject({ email: 'chloe@example.com', organization: 'Acme' });
    expect(hits[0]!.headers['webhook-id']).toMatch(/^msg_/);
    // Tampering fails verification.
    expect(() => verify(secret, { ...hits[0]!, body: hits[0]!.body.replace('Refund', 'Refunt') })).toThrow();

    // A public reply is message.created; an internal note is not (its text goes nowhere).
    receiver.received.length = 0;
    await addMessage(h.services, c.id, { body: 'We are on it', public: true }, agent);
    await addMessage(h.services, c.id, { body: 'SECRET-NOTE-TEXT', public: false }, agent);
    await drain();
    const types = receiver.received.map((r) => JSON.parse(r.body).type);
    expect(types).toEqual(['message.created']);
    expect(JSON.parse(receiver.received[0]!.body).data.message).toMatchObject({ public: true, from: 'staff', author: 'Alice', body: 'We are on it' });
    // The customer's own message names them as its author, as the docs' payload has it.
    receiver.received.length = 0;
    await addMessage(h.services, c.id, { body: 'Thanks!', public: true }, customer);
    await drain();
    expect(receiver.received.map((r) => JSON.parse(r.body).data.message)).toEqual([{ id: expect.any(Number), public: true, from: 'customer', author: 'Chloe', body: 'Thanks!' }]);
    expect(receiver.received.map((r) => r.body).join()).not.toContain('SECRET-NOTE-TEXT');
    const log = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as { status: string; log: { responseStatus: number; ok: boolean; durationMs: number }[] }[];
    expect(log[0]).toMatchObject({ status: 'succeeded', log: [{ responseStatus: 200, ok: true }] });
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('an import announces none of its history, not even case.created, where a live intake does (docs/integrations.md)', async () => {
    const all = await subscribe([...WEBHOOK_EVENT_TYPES]);
    await drain();
    receiver.received.length = 0;
    const day = (n: number) => new Date(h.clock.now() - n * 86_400_000).toISOString();
    const closed = { externalId: 'WH-1', customer: { email: 'ivy@example.com', name: 'Ivy' }, subject: 'Old printer', description: 'It jammed.', createdAt: day(10), status: 'closed', resolvedAt: day(9), closedAt: day(8), solution: 'Cleaned it.', messages: [{ from: 'staff', body: 'On it.', at: day(9.5) }], rating: { satisfied: true } };
    const resolved = { ...closed, externalId: 'WH-2', status: 'resolved', closedAt: undefined }; // resolved 9 days ago: auto-closes now (72 h)
    const open = { externalId: 'WH-3', customer: { email: 'ivy@example.com' }, subject: 'Still broken', description: 'The scanner too.', createdAt: day(2), messages: [{ from: 'customer', body: 'Any news?', at: day(1) }] };
    const res = await h.app.request('/api/v1/import/cases', {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/x-ndjson' },
      body: [closed, resolved, open].map((l) => JSON.stringify(l)).join('\n'),
    });
    expect(await res.json()).toMatchObject({ imported: 3, failed: 0 });
    await drain();
    await h.services.outbox.idle();
    const [closedRef, resolvedRef, openRef] = (await h.all<{ id: number }>("SELECT id FROM cases WHERE external_id LIKE 'WH-%' ORDER BY external_id")).map((r) => `C-${r.id}`);
    const sent = (ref: string | undefined) => receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: { case?: { id: string } } }).filter((p) => p.data.case?.id === ref).map((p) => p.type);
    // History (created, routed, messages, resolved, closed, rated): never announced.
    expect(sent(closedRef)).toEqual([]);
    // What the import sets going is live work, announced as for any case: the resolved case's
    // auto-close, due since long; the open case entering the workflow and its assignment.
    expect(sent(resolvedRef).sort()).toEqual(['case.closed', 'case.status_changed']);
    expect(sent(openRef).sort()).toEqual(['case.assigned', 'case.status_changed']);

    const live = await createCase(h.services, { subject: 'New printer', description: 'It will not start.' }, customer, { customerId: customer.id });
    await drain();
    expect(sent(`C-${live.id}`)).toContain('case.created');
    expect((await h.api('DELETE', `/api/v1/webhooks/${all.id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    await drain();
    receiver.received.length = 0;
  });

  it('retries a failing receiver on the back-off schedule until it answers, with one webhook-id', async () => {
    const { id, secret } = await subscribe(['case.created']);
    receiver.received.length = 0;
    receiver.answer(500, 503);
    await createCase(h.services, { subject: 'Printer on fire', description: 'It smokes' }, customer, { customerId: customer.id });
    await drain();
    expect(receiver.received).toHaveLength(1);
    await drain();
    expect(receiver.received).toHaveLength(1); // not before its time
    h.clock.advance(RETRY_SCHEDULE_MS[0]);
    await drain();
    expect(receiver.received).toHaveLength(2);
    h.clock.advance(RETRY_SCHEDULE_MS[1]);
    await drain();
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    verify(secret, receiver.received[2]!);
    const [delivery] = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as { status: string; attempts: number; log: { attempt: number; responseStatus: number; ok: boolean; error: string | null }[] }[];
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(delivery!.log.map((l) => [l.attempt, l.responseStatus, l.ok])).toEqual([
      [1, 500, false],
      [2, 503, false],
      [3, 200, true],
    ]);
    expect(delivery!.log[0]!.error).toContain('500');
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('honours a 429 or 503 Retry-After in seconds for the next attempt, never sooner than the schedule, at most 10 h, and logs it', async () => {
    const { id } = await subscribe(['case.created']);
    receiver.received.length = 0;
    receiver.answer(
      { status: 429, headers: { 'Retry-After': '120' } },
      { status: 503, headers: { 'Retry-After': 'soon' } },
      { status: 429, headers: { 'Retry-After': '99999999' } },
      { status: 503, headers: { 'Retry-After': '1' } },
      { status: 500, headers: { 'Retry-After': '3600' } },
    );
    await createCase(h.services, { subject: 'Busy receiver', description: 'x' }, customer, { customerId: customer.id });
    type Delivery = { status: string; attempts: number; nextAttemptAt: string | null; log: { attempt: number; responseStatus: number; durationMs: number; retryAfter: string | null }[] };
    const delivery = async () => ((await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as Delivery[])[0]!;
    const attemptAfter = async (waitMs: number) => {
      h.clock.advance(waitMs - 1);
      await drain();
      const before = receiver.received.length;
      h.clock.advance(1);
      await drain();
      return [before, receiver.received.length];
    };
    await drain();
    expect(receiver.received).toHaveLength(1);
    // 429 Retry-After: 120 → the next attempt 120 s later, not after the schedule's 5 s.
    expect((await delivery()).nextAttemptAt).toBe(new Date(h.clock.now() + 120_000).toISOString());
    expect(await attemptAfter(120_000)).toEqual([1, 2]);
    // 503 with a Retry-After that is neither seconds nor a date: logged as said, the schedule's 5 min stands.
    expect((await delivery()).log[1]).toMatchObject({ responseStatus: 503, retryAfter: 'soon' });
    expect((await delivery()).nextAttemptAt).toBe(new Date(h.clock.now() + RETRY_SCHEDULE_MS[1]).toISOString());
    expect(await attemptAfter(RETRY_SCHEDULE_MS[1])).toEqual([2, 3]);
    // 429 asking for ~3 years: capped at 10 h.
    expect((await delivery()).log[2]).toMatchObject({ responseStatus: 429, retryAfter: '99999999' });
    expect((await delivery()).nextAttemptAt).toBe(new Date(h.clock.now() + 10 * 3_600_000).toISOString());
    expect(await attemptAfter(10 * 3_600_000)).toEqual([3, 4]);
    // 503 asking for 1 s after attempt 4: the schedule's 2 h stands (Retry-After never hurries a retry).
    expect((await delivery()).nextAttemptAt).toBe(new Date(h.clock.now() + RETRY_SCHEDULE_MS[3]).toISOString());
    expect(await attemptAfter(RETRY_SCHEDULE_MS[3])).toEqual([4, 5]);
    // A 500's Retry-After is not one the retry honours, nor logged.
    const d = await delivery();
    expect(d.log.map((l) => [l.responseStatus, l.retryAfter])).toEqual([
      [429, '120'],
      [503, 'soon'],
      [429, '99999999'],
      [503, '1'],
      [500, null],
    ]);
    expect(d.nextAttemptAt).toBe(new Date(h.clock.now() + RETRY_SCHEDULE_MS[4]).toISOString());
    receiver.answer();
    h.clock.advance(RETRY_SCHEDULE_MS[4]);
    await drain();
    expect(await delivery()).toMatchObject({ status: 'succeeded', attempts: 6 });
    // The console's delivery log shows it too.
    const admin = signedIn(h, { type: 'staff', id: (await h.get<{ id: number }>("SELECT id FROM staff WHERE email = 'adam@casebook.test'"))!.id });
    expect(await (await admin.get(`/manage/webhooks/${id}`)).text()).toContain(`429 · ${d.log[0]!.durationMs} ms · Retry-After: 120`);
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('a Retry-After HTTP-date is read against the injected clock', async () => {
    const { id } = await subscribe(['case.created']);
    receiver.received.length = 0;
    receiver.answer({ status: 503, headers: { 'Retry-After': new Date(h.clock.now() + 45 * 60_000).toUTCString() } });
    await createCase(h.services, { subject: 'Down for maintenance', description: 'x' }, customer, { customerId: customer.id });
    await drain();
    const [delivery] = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as { nextAttemptAt: string; log: { retryAfter: string }[] }[];
    // Whole seconds: an HTTP-date has no milliseconds.
    expect(Date.parse(delivery!.nextAttemptAt)).toBe(Math.floor((h.clock.now() + 45 * 60_000) / 1000) * 1000);
    expect(delivery!.log[0]!.retryAfter).toMatch(/GMT$/);
    h.clock.advance(RETRY_SCHEDULE_MS[0]);
    await drain();
    expect(receiver.received).toHaveLength(1); // not at the schedule's 5 s
    h.clock.advance(45 * 60_000);
    await drain();
    expect(receiver.received).toHaveLength(2);
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('sends a retry when it falls due, not at the next minute sweep', async () => {
    const { id } = await subscribe(['case.created']);
    // The worker's wake-up is a timer: faked, so the test moves it with the clock instead of waiting 5 s.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      receiver.received.length = 0;
      receiver.answer(500);
      await createCase(h.services, { subject: 'Retry soon', description: 'x' }, customer, { customerId: customer.id });
      await drain();
      expect(receiver.received).toHaveLength(1);
      h.clock.advance(RETRY_SCHEDULE_MS[0] - 1);
      vi.advanceTimersByTime(RETRY_SCHEDULE_MS[0] - 1);
      await h.services.outbox.idle();
      expect(receiver.received).toHaveLength(1); // not before its time
      h.clock.advance(1);
      vi.advanceTimersByTime(1);
      // No drain, no sweep: the worker woke up by itself.
      await h.services.outbox.idle();
      expect(receiver.received).toHaveLength(2);
      const [delivery] = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as { status: string; attempts: number }[];
      expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2 });
    } finally {
      vi.useRealTimers();
      await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
    }
  });

  it('replays a delivery with the same message id and body', async () => {
    const { id, secret } = await subscribe(['case.created']);
    receiver.received.length = 0;
    await createCase(h.services, { subject: 'Replay me', description: 'x' }, customer, { customerId: customer.id });
    await drain();
    const [first] = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as { id: number }[];
    const res = await h.api('POST', `/api/v1/webhooks/${id}/deliveries/${first!.id}/replay`, { token: ADMIN_TOKEN });
    expect(res.status).toBe(202);
    await h.services.outbox.idle();
    await drain();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
    expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
    verify(secret, receiver.received[1]!);
    const log = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as { replayOf: number | null; status: string }[];
    expect(log[0]).toMatchObject({ replayOf: first!.id, status: 'succeeded' });
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('refuses to replay a delivery whose payload an erasure emptied (409), sending nothing', async () => {
    const { id } = await subscribe(['case.created']);
    try {
      const pat = h.customer({ email: 'pat@example.com', name: 'Pat' });
      await createCase(h.services, { subject: 'About to be erased', description: 'x' }, pat, { customerId: pat.id });
      await drain();
      const [first] = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as { id: number }[];
      expect((await h.api('POST', `/api/v1/customers/${pat.id}/erase`, { token: ADMIN_TOKEN })).status).toBe(200);
      receiver.received.length = 0;
      const res = await h.api('POST', `/api/v1/webhooks/${id}/deliveries/${first!.id}/replay`, { token: ADMIN_TOKEN });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ code: 'CONFLICT', detail: expect.stringContaining('erased') });
      await h.services.outbox.idle();
      await drain();
      expect(receiver.received).toEqual([]);
    } finally {
      await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
    }
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    const { id } = await subscribe(['case.created']);
    receiver.received.length = 0;
    receiver.answer(302);
    await createCase(h.services, { subject: 'Redirect', description: 'x' }, customer, { customerId: customer.id });
    await drain();
    const [delivery] = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as { status: string; log: { error: string }[] }[];
    expect(delivery!.status).toBe('retrying');
    expect(delivery!.log[0]!.error).toContain('redirects are not followed');
    expect(receiver.received).toHaveLength(1);
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
    h.clock.advance(RETRY_SCHEDULE_MS[0]);
    await drain();
  });

  it('disables a subscription that failed for a day and mails the admins', async () => {
    const { id } = await subscribe(['case.created']);
    receiver.received.length = 0;
    receiver.answer(...Array<number>(20).fill(500));
    await createCase(h.services, { subject: 'Never arrives', description: 'x' }, customer, { customerId: customer.id });
    await drain();
    for (const wait of RETRY_SCHEDULE_MS) {
      h.clock.advance(wait);
      await drain();
    }
    expect(receiver.received).toHaveLength(RETRY_SCHEDULE_MS.length + 1);
    const hook = (await (await h.api('GET', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN })).json()) as { enabled: boolean; disabledReason: string };
    expect(hook.enabled).toBe(false);
    expect(hook.disabledReason).toContain('failed');
    const mail = smtp.messages.find((m) => m.mail.subject?.startsWith('Webhook disabled'));
    expect(mail?.to).toEqual(['adam@casebook.test']);
    expect(mail?.mail.text).toContain(`/manage/webhooks/${id}`);
    // Disabled: nothing more is sent, replay is refused until it is enabled again.
    const [delivery] = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as { id: number; status: string }[];
    expect(delivery!.status).toBe('failed');
    expect((await h.api('POST', `/api/v1/webhooks/${id}/deliveries/${delivery!.id}/replay`, { token: ADMIN_TOKEN })).status).toBe(409);
    receiver.answer();
    expect((await h.api('POST', `/api/v1/webhooks/${id}/enable`, { token: ADMIN_TOKEN })).status).toBe(200);
    receiver.received.length = 0;
    expect((await h.api('POST', `/api/v1/webhooks/${id}/deliveries/${delivery!.id}/replay`, { token: ADMIN_TOKEN })).status).toBe(202);
    await h.services.outbox.idle();
    await drain();
    expect(receiver.received).toHaveLength(1);
    // The automatic disabling is in the audit log beside the admins' own changes.
    const audit = (await (await h.api('GET', `/api/v1/audit?entity=webhook&entityId=${id}`, { token: ADMIN_TOKEN })).json()) as { items: { action: string; actor: { name: string }; after: { reason?: string } }[] };
    expect(audit.items.map((e) => e.action)).toEqual(['enabled', 'disabled', 'created']);
    expect(audit.items[1]).toMatchObject({ actor: { name: 'webhook delivery' }, after: { reason: hook.disabledReason } });
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('note.created carries the note: staff-only by design, only to its subscribers', async () => {
    const { id } = await subscribe(['note.created']);
    receiver.received.length = 0;
    const c = await createCase(h.services, { subject: 'Note', description: 'x' }, customer, { customerId: customer.id });
    await addMessage(h.services, c.id, { body: 'check the ledger', public: false }, agent);
    await drain();
    expect(receiver.received.map((r) => JSON.parse(r.body))).toMatchObject([{ type: 'note.created', data: { note: { body: 'check the ledger', author: 'Alice' } } }]);
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('case.unassigned tells a receiver that keeps the assignee when nobody has the case any more', async () => {
    const { id } = await subscribe(['case.assigned', 'case.unassigned']);
    receiver.received.length = 0;
    const c = await createCase(h.services, { subject: 'Whose is it?', description: 'x' }, customer, { customerId: customer.id });
    await drain();
    const ref = `C-${c.id}`;
    const res = await h.api('POST', `/api/v1/cases/${ref}/assignment`, { token: ADMIN_TOKEN, body: { assignee: null, reason: 'back to the queue' } });
    expect(res.status).toBe(200);
    await drain();
    type Body = { type: string; data: { event: { id: number }; assignment?: unknown; unassignment?: unknown } };
    const bodies = receiver.received.map((r) => JSON.parse(r.body) as Body).sort((a, b) => a.data.event.id - b.data.event.id);
    // Taken from Alice, then (the queue's only agent, free) assigned again: each step is announced, in event order.
    expect(bodies.map((b) => b.type)).toEqual(['case.assigned', 'case.unassigned', 'case.assigned']);
    expect(bodies[0]!.data.assignment).toMatchObject({ assigneeId: agent.id, assignee: 'Alice' });
    expect(bodies[1]!.data.unassignment).toEqual({ previousAssigneeId: agent.id, previousAssignee: 'Alice', reason: expect.any(String) as string });
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('case.merged announces a duplicate merged into another case; the copies of its messages there announce nothing', async () => {
    const { id } = await subscribe(['case.merged', 'case.closed', 'message.created', 'note.created']);
    const dup = await createCase(h.services, { subject: 'Charged twice', description: 'x' }, customer, { customerId: customer.id });
    const kept = await createCase(h.services, { subject: 'Double charge', description: 'y' }, customer, { customerId: customer.id });
    await h.api('POST', `/api/v1/cases/C-${dup.id}/messages`, { token: ADMIN_TOKEN, body: { body: 'Internal: same as the other one.', public: false } });
    await drain();
    receiver.received.length = 0;
    const res = await h.api('POST', `/api/v1/cases/C-${dup.id}/merge`, { token: ADMIN_TOKEN, body: { into: `C-${kept.id}` } });
    expect(res.status).toBe(200);
    await drain();
    type Body = { type: string; data: { event: { id: number }; case: { id: string }; merge?: unknown } };
    const bodies = receiver.received.map((r) => JSON.parse(r.body) as Body).sort((a, b) => a.data.event.id - b.data.event.id);
    expect(bodies.map((b) => [b.type, b.data.case.id])).toEqual([
      ['case.merged', `C-${dup.id}`],
      ['case.closed', `C-${dup.id}`],
    ]);
    expect(bodies[0]!.data.merge).toEqual({ into: `C-${kept.id}`, messages: 2 });
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('sla.warning and sla.breached carry dueAt as an ISO instant, like every other time in a payload', async () => {
    const { id } = await subscribe(['sla.warning', 'sla.breached']);
    receiver.received.length = 0;
    const c = await createCase(h.services, { subject: 'Slow', description: 'x' }, customer, { customerId: customer.id });
    const timers = await h.all<{ metric: string; due_at: number }>('SELECT metric, due_at FROM sla_timers WHERE case_id = ?', c.id);
    const firstResponse = timers.find((t) => t.metric === 'firstResponse')!;
    h.clock.set(Number(firstResponse.due_at) - 60_000);
    await runSlaSweep(h.services);
    h.clock.set(Number(firstResponse.due_at) + 60_000);
    await runSlaSweep(h.services);
    await drain();
    const bodies = receiver.received.map((r) => JSON.parse(r.body) as { type: string; data: { case: { id: string }; sla: Record<string, unknown> } });
    const warning = bodies.find((b) => b.type === 'sla.warning' && b.data.case.id === `C-${c.id}` && b.data.sla.metric === 'firstResponse');
    const breach = bodies.find((b) => b.type === 'sla.breached' && b.data.case.id === `C-${c.id}` && b.data.sla.metric === 'firstResponse');
    const due = new Date(Number(firstResponse.due_at)).toISOString();
    expect(warning?.data.sla).toMatchObject({ metric: 'firstResponse', dueAt: due, minutesLeft: 1 });
    expect(breach?.data.sla).toMatchObject({ metric: 'firstResponse', dueAt: due, overdueMinutes: 1 });
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('customer.churned goes out as soon as the churn API answers, not at the next minute sweep', async () => {
    const { id } = await subscribe(['customer.churned']);
    receiver.received.length = 0;
    const leaving = h.customer({ email: 'leaving@example.com', name: 'Lena' });
    const res = await h.api('POST', `/api/v1/customers/${leaving.id}/churn`, { token: ADMIN_TOKEN, body: { source: 'billing', reason: 'price' } });
    expect(res.status).toBe(201);
    // No drain and no sweep: the worker's own background run sends it.
    await h.services.outbox.idle();
    expect(receiver.received.map((r) => JSON.parse(r.body))).toMatchObject([{ type: 'customer.churned', data: { customer: { id: leaving.id, churned: true }, churn: { source: 'billing', reason: 'price' } } }]);
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('disabling a failing subscription marks its other pending deliveries failed: none is sent after it is enabled again', async () => {
    const { id } = await subscribe(['case.created']);
    receiver.received.length = 0;
    receiver.answer(...Array<number>(40).fill(500));
    await createCase(h.services, { subject: 'First of two', description: 'x' }, customer, { customerId: customer.id });
    await drain();
    // Six retries of the first (17.5 hours), then a second message, which fails as well.
    for (const wait of RETRY_SCHEDULE_MS.slice(0, 6)) {
      h.clock.advance(wait);
      await drain();
    }
    await createCase(h.services, { subject: 'Second of two', description: 'x' }, customer, { customerId: customer.id });
    await drain();
    h.clock.advance(RETRY_SCHEDULE_MS[6]);
    await drain();
    const hook = (await (await h.api('GET', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN })).json()) as { enabled: boolean };
    expect(hook.enabled).toBe(false);
    const deliveries = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as { status: string; nextAttemptAt: string | null }[];
    expect(deliveries.map((d) => [d.status, d.nextAttemptAt])).toEqual([
      ['failed', null],
      ['failed', null],
    ]);
    // Enabled again: what was pending when it was disabled stays failed (replay sends it on purpose).
    receiver.answer();
    expect((await h.api('POST', `/api/v1/webhooks/${id}/enable`, { token: ADMIN_TOKEN })).status).toBe(200);
    receiver.received.length = 0;
    h.clock.advance(RETRY_SCHEDULE_MS[6]);
    await drain();
    expect(receiver.received).toHaveLength(0);
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('never sends a payload an erasure emptied while an attempt was in flight', async () => {
    const { id } = await subscribe(['case.created']);
    receiver.received.length = 0;
    receiver.answer(500);
    await createCase(h.services, { subject: 'Erased meanwhile', description: 'x' }, customer, { customerId: customer.id });
    await drain();
    expect(receiver.received).toHaveLength(1);
    // What the in-flight attempt's bookkeeping left after the erasure: retrying, with the emptied payload.
    await h.run(`UPDATE webhook_deliveries SET payload = '{"erased":true}', status = 'retrying' WHERE subscription_id = ?`, id);
    h.clock.advance(RETRY_SCHEDULE_MS[0]);
    await drain();
    expect(receiver.received).toHaveLength(1);
    const [delivery] = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as { status: string; nextAttemptAt: string | null }[];
    expect(delivery).toMatchObject({ status: 'failed', nextAttemptAt: null });
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('pages the delivery log by keyset with a Link header, and lists one status', async () => {
    const { id } = await subscribe(['case.created']);
    receiver.answer(500, 200, 500, 200, 200);
    for (const n of [1, 2, 3, 4, 5]) await createCase(h.services, { subject: `Paged ${n}`, description: 'x' }, customer, { customerId: customer.id });
    await drain();
    type Page = { id: number; status: string; payload: { data: { case: { subject: string } } } }[];
    const ids = (page: Page) => page.map((d) => d.id);
    // Newest first: by id (the fan-out of each case's event makes its delivery, in whatever order the worker got to them).
    const all = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as Page;
    expect(all).toHaveLength(5);
    expect(ids(all)).toEqual([...ids(all)].sort((a, b) => b - a));
    const first = await h.api('GET', `/api/v1/webhooks/${id}/deliveries?limit=2`, { token: ADMIN_TOKEN });
    expect(ids((await first.json()) as Page)).toEqual(ids(all).slice(0, 2));
    const link = first.headers.get('Link');
    expect(link).toBe(`</api/v1/webhooks/${id}/deliveries?limit=2&before=${all[1]!.id}>; rel="next"`);
    // A delivery created meanwhile does not shift the next page.
    await createCase(h.services, { subject: 'Paged 6', description: 'x' }, customer, { customerId: customer.id });
    await drain();
    const second = await h.api('GET', /<([^>]+)>/.exec(link!)![1]!, { token: ADMIN_TOKEN });
    expect(ids((await second.json()) as Page)).toEqual(ids(all).slice(2, 4));
    const last = await h.api('GET', /<([^>]+)>/.exec(second.headers.get('Link')!)![1]!, { token: ADMIN_TOKEN });
    expect(ids((await last.json()) as Page)).toEqual(ids(all).slice(4));
    expect(last.headers.get('Link')).toBeNull();
    // The deliveries still retrying (the receiver missed them), by status; a bad filter is 422 naming it.
    // (Which two failed depends on the order the deliveries, sent in parallel, reached the receiver.)
    const retrying = all.filter((d) => d.status === 'retrying');
    expect(retrying).toHaveLength(2);
    const missed = await h.api('GET', `/api/v1/webhooks/${id}/deliveries?status=retrying&limit=1`, { token: ADMIN_TOKEN });
    expect(ids((await missed.json()) as Page)).toEqual(ids(retrying).slice(0, 1));
    expect(missed.headers.get('Link')).toMatch(/status=retrying&before=\d+>; rel="next"$/);
    const bad = await h.api('GET', `/api/v1/webhooks/${id}/deliveries?status=lost&before=x`, { token: ADMIN_TOKEN });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['status', 'before']);
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('after an outage sends again, once each, every message the receiver missed', async () => {
    const { id } = await subscribe(['case.created']);
    receiver.received.length = 0;
    receiver.answer(...Array<number>(40).fill(500));
    const since = new Date(h.clock.now()).toISOString();
    await createCase(h.services, { subject: 'Missed first', description: 'x' }, customer, { customerId: customer.id });
    await drain();
    for (const wait of RETRY_SCHEDULE_MS.slice(0, 6)) {
      h.clock.advance(wait);
      await drain();
    }
    await createCase(h.services, { subject: 'Missed second', description: 'x' }, customer, { customerId: customer.id });
    await drain();
    h.clock.advance(RETRY_SCHEDULE_MS[6]);
    await drain();
    // Disabled after a day of failures: both deliveries failed. Replaying is refused until it is enabled.
    expect((await h.api('POST', `/api/v1/webhooks/${id}/deliveries/replay`, { token: ADMIN_TOKEN })).status).toBe(409);
    receiver.answer();
    await h.api('POST', `/api/v1/webhooks/${id}/enable`, { token: ADMIN_TOKEN });
    const failed = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries?status=failed`, { token: ADMIN_TOKEN })).json()) as { messageId: string }[];
    expect(failed).toHaveLength(2);
    expect((await h.api('POST', `/api/v1/webhooks/${id}/deliveries/replay`, { token: ADMIN_TOKEN, body: { since: '2026-03-01T10:00:00+01:00', until: '2026-03-01T09:00:00Z' } })).status).toBe(422);
    receiver.received.length = 0;
    // Two at once (an operator's double click, two scripts): each message is sent again once.
    const both = await Promise.all([1, 2].map(() => h.api('POST', `/api/v1/webhooks/${id}/deliveries/replay`, { token: ADMIN_TOKEN, body: { since } })));
    expect(both.map((r) => r.status)).toEqual([202, 202]);
    const answers = (await Promise.all(both.map((r) => r.json()))) as { replayed: number; more: boolean }[];
    expect(answers.map((a) => a.replayed).sort()).toEqual([0, 2]);
    await h.services.outbox.idle();
    await drain();
    await h.services.outbox.idle();
    // The same messages (webhook-id) as the failed deliveries, oldest first.
    expect(receiver.received.map((r) => r.headers['webhook-id']).sort()).toEqual(failed.map((d) => d.messageId).sort());
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { data: { case: { subject: string } } }).data.case.subject).sort()).toEqual(['Missed first', 'Missed second']);
    // Delivered now: a second call sends nothing again.
    receiver.received.length = 0;
    expect(await (await h.api('POST', `/api/v1/webhooks/${id}/deliveries/replay`, { token: ADMIN_TOKEN })).json()).toMatchObject({ replayed: 0, more: false });
    await drain();
    expect(receiver.received).toHaveLength(0);
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('the console sends the failed messages again with one button', async () => {
    const { id } = await subscribe(['case.created']);
    receiver.answer(500);
    await createCase(h.services, { subject: 'Missed by the console', description: 'x' }, customer, { customerId: customer.id });
    await drain();
    // As the last of its attempts leaves it.
    await h.run(`UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL WHERE subscription_id = ?`, id);
    const admin = signedIn(h, { type: 'staff', id: (await h.get<{ id: number }>("SELECT id FROM staff WHERE email = 'adam@casebook.test'"))!.id });
    expect(await (await admin.get(`/manage/webhooks/${id}`)).text()).toContain('id="deliveries-replay-failed"');
    receiver.received.length = 0;
    const res = await admin.post(`/manage/webhooks/${id}/deliveries/replay`);
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/manage/webhooks/${id}?done=replayed-failed`);
    await h.services.outbox.idle();
    await drain();
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { data: { case: { subject: string } } }).data.case.subject)).toEqual(['Missed by the console']);
    expect((await admin.post(`/manage/webhooks/${id}/deliveries/replay`)).headers.get('Location')).toBe(`/manage/webhooks/${id}?done=nothing-failed`);
    await h.api('DELETE', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN });
  });

  it('the console names a refused event type on the form (422), not a bare re-render', async () => {
    const admin = signedIn(h, { type: 'staff', id: (await h.get<{ id: number }>("SELECT id FROM staff WHERE email = 'adam@casebook.test'"))!.id });
    const res = await admin.post('/manage/webhooks', { url: 'https://example.com/hook', events: 'case.nope' });
    expect(res.status).toBe(422);
    expect(await res.text()).toMatch(/id="webhook-events-error">[^<]*case\.created/);
  });
});
