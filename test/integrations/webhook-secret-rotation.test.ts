/**
 * Rotating a webhook's signing secret without downtime (docs/integrations.md, *Rotating the
 * secret*): for the grace period every delivery is signed with the new and the old secret, a
 * receiver holding either accepts it (the documented recipe and the standardwebhooks library,
 * against real deliveries to a real HTTP receiver); from its end on, only the new one signs.
 */
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { RETRY_SCHEDULE_MS } from '../../src/webhooks/deliveries.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { atTime, documentedVerify } from './signing-recipe.js';
import { startReceiver, type Receiver, type Received } from './receiver.js';

let h: Harness;
let receiver: Receiver;
let customer: TestActor;
let admin: TestActor;
const verify = documentedVerify();
const HOUR = 3_600_000;

beforeEach(async () => {
  receiver = await startReceiver();
  h = createHarness({ services: { integrations: { allowPrivateTargets: true } } });
  standardQueues(h);
  h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] });
  admin = h.agent({ name: 'Adam Admin', role: 'admin' });
  customer = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  await h.settled();
});

afterEach(async () => {
  h.close();
  await receiver.close();
  vi.useRealTimers();
});

/** Runs the receiver's check at the test clock's time (the recipe refuses a timestamp 5 minutes off). */
const at = <T>(fn: () => T): T => atTime(h.clock.now(), fn);

/** Both the documented recipe and the Standard Webhooks library: does a receiver holding `secret` accept `r`? */
function accepts(secret: string, r: Received): boolean {
  const byRecipe = at(() => verify(secret, r.headers, r.body));
  const byLibrary = at(() => {
    try {
      new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
      return true;
    } catch {
      return false;
    }
  });
  expect(byLibrary).toBe(byRecipe);
  return byRecipe;
}

async function subscribe(): Promise<{ id: number; secret: string }> {
  const res = await h.api('POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url: receiver.url, events: ['case.created'] } });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: number; secret: string };
}

async function rotate(id: number, body?: unknown): Promise<{ secret: string; previousSecretUntil: string | null }> {
  const res = await h.api('POST', `/api/v1/webhooks/${id}/rotate-secret`, { token: ADMIN_TOKEN, ...(body === undefined ? {} : { body }) });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { secret: string; previousSecretUntil: string | null };
}

/** A new case, its delivery sent: what the receiver got. */
async function deliverOne(): Promise<Received> {
  const before = receiver.received.length;
  await createCase(h.services, { subject: 'Rotation check', description: 'x' }, customer, { customerId: customer.id });
  await h.services.outbox.drain();
  expect(receiver.received).toHaveLength(before + 1);
  return receiver.received.at(-1)!;
}

const signatures = (r: Received) => String(r.headers['webhook-signature']).split(' ');

describe('rotating a webhook secret', () => {
  it('signs with the new and the old secret for the grace period, then with the new one only', async () => {
    const { id, secret: oldSecret } = await subscribe();
    const rotatedAt = h.clock.now();
    const { secret: newSecret, previousSecretUntil } = await rotate(id, { graceHours: 2 });
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    expect(previousSecretUntil).toBe(new Date(rotatedAt + 2 * HOUR).toISOString());

    const during = await deliverOne();
    expect(signatures(during)).toHaveLength(2);
    expect(accepts(newSecret, during)).toBe(true);
    expect(accepts(oldSecret, during)).toBe(true);
    // The new secret's entry first.
    expect(signatures(during)[0]).toBe(new Webhook(newSecret).sign(String(during.headers['webhook-id']), new Date(h.clock.now()), during.body));

    // A millisecond before the end the old one still counts; at the end it does not.
    h.clock.set(rotatedAt + 2 * HOUR - 1);
    expect(accepts(oldSecret, await deliverOne())).toBe(true);
    h.clock.set(rotatedAt + 2 * HOUR);
    const after = await deliverOne();
    expect(signatures(after)).toHaveLength(1);
    expect(accepts(newSecret, after)).toBe(true);
    expect(accepts(oldSecret, after)).toBe(false);
    // Another secret never counts.
    expect(accepts(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, after)).toBe(false);
  });

  it('a retry is signed at its own attempt: one made after the grace period carries the new signature only', async () => {
    const { id, secret: oldSecret } = await subscribe();
    const { secret: newSecret } = await rotate(id, { graceHours: 1 });
    receiver.answer(500);
    const first = await deliverOne();
    expect(signatures(first)).toHaveLength(2);
    h.clock.advance(HOUR);
    expect(RETRY_SCHEDULE_MS[0]).toBeLessThanOrEqual(HOUR);
    await h.services.outbox.drain();
    const retry = receiver.received.at(-1)!;
    expect(retry.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(signatures(retry)).toHaveLength(1);
    expect(accepts(newSecret, retry)).toBe(true);
    expect(accepts(oldSecret, retry)).toBe(false);
  });

  it('a second rotation within the grace period drops the oldest secret; graceHours 0 and the default', async () => {
    const { id, secret: a } = await subscribe();
    const { secret: b } = await rotate(id, { graceHours: 24 });
    const { secret: c } = await rotate(id, {});
    const r = await deliverOne();
    expect(signatures(r)).toHaveLength(2);
    expect([accepts(c, r), accepts(b, r), accepts(a, r)]).toEqual([true, true, false]);
    // An empty body: the default grace period, 24 hours.
    const defaulted = await rotate(id);
    expect(defaulted.previousSecretUntil).toBe(new Date(h.clock.now() + 24 * HOUR).toISOString());
    const { secret: e, previousSecretUntil } = await rotate(id, { graceHours: 0 });
    expect(previousSecretUntil).toBeNull();
    const single = await deliverOne();
    expect(signatures(single)).toHaveLength(1);
    expect([accepts(e, single), accepts(defaulted.secret, single)]).toEqual([true, false]);
    // The subscription as read never carries a secret.
    const read = (await (await h.api('GET', `/api/v1/webhooks/${id}`, { token: ADMIN_TOKEN })).json()) as Record<string, unknown>;
    expect(read).not.toHaveProperty('secret');
    expect(JSON.stringify(read)).not.toContain('whsec_');
    expect(read.previousSecretUntil).toBeNull();
  });

  it('answers bad values, other roles and unknown webhooks with problem+json, and changes nothing', async () => {
    const { id, secret } = await subscribe();
    const refused: [unknown, number, string][] = [
      [{ graceHours: -1 }, 422, 'VALIDATION_FAILED'],
      [{ graceHours: 1.5 }, 422, 'VALIDATION_FAILED'],
      [{ graceHours: 169 }, 422, 'VALIDATION_FAILED'],
      [{ graceHours: '24' }, 422, 'VALIDATION_FAILED'],
      [{ grace: 24 }, 422, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of refused) {
      const res = await h.api('POST', `/api/v1/webhooks/${id}/rotate-secret`, { token: ADMIN_TOKEN, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers.get('Content-Type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { code: string }).code).toBe(code);
    }
    const manager = h.tokenFor(h.agent({ name: 'Mona', role: 'manager' }));
    const forbidden = await h.api('POST', `/api/v1/webhooks/${id}/rotate-secret`, { token: manager, body: {} });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('Content-Type')).toMatch(/^application\/problem\+json/);
    const missing = await h.api('POST', '/api/v1/webhooks/9999/rotate-secret', { token: ADMIN_TOKEN, body: {} });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('WEBHOOK_NOT_FOUND');
    const r = await deliverOne();
    expect(signatures(r)).toHaveLength(1);
    expect(accepts(secret, r)).toBe(true);
  });

  it('the console rotates it: the new secret shown once, the overlap explained, how a receiver checks', async () => {
    const { id, secret: oldSecret } = await subscribe();
    const page = signedIn(h, admin);
    const before = await (await page.get(`/manage/webhooks/${id}`)).text();
    expect(before).toContain('id="webhook-rotate"');
    expect(before).toContain('id="secret-single"');
    const res = await page.post(`/manage/webhooks/${id}/rotate-secret`, { graceHours: '72' });
    expect(res.status).toBe(200);
    const html = await res.text();
    const newSecret = /<code id="secret-value">([^<]+)<\/code>/.exec(html)?.[1];
    expect(newSecret).toMatch(/^whsec_/);
    expect(html).toContain('The new signing secret');
    expect(html).toContain('id="secret-overlap"');
    expect(html).toContain(new Date(h.clock.now() + 72 * HOUR).toISOString());
    const r = await deliverOne();
    expect([accepts(newSecret!, r), accepts(oldSecret, r)]).toEqual([true, true]);
    // Shown once: the page read again does not carry it.
    const again = await (await page.get(`/manage/webhooks/${id}`)).text();
    expect(again).not.toContain(newSecret!);
    expect(again).toContain('id="secret-overlap"');
    h.clock.advance(72 * HOUR);
    // A new session: the first one has timed out by then.
    expect(await (await signedIn(h, admin).get(`/manage/webhooks/${id}`)).text()).toContain('id="secret-single"');
  });
});
