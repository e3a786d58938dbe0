/**
 * A receiver verifies a delivery's signature with nothing but node:crypto, by the recipe
 * docs/integrations.md gives ("Signing"): the test runs the very code block of the document
 * against real deliveries to a real HTTP receiver, so the recipe cannot drift from what
 * Casebook sends.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { RETRY_SCHEDULE_MS } from '../../src/webhooks/deliveries.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { atTime, documentedVerify } from './signing-recipe.js';
import { startReceiver, type Receiver } from './receiver.js';

let h: Harness;
let receiver: Receiver;
let customer: TestActor;

beforeAll(async () => {
  receiver = await startReceiver();
  h = createHarness({ services: { integrations: { allowPrivateTargets: true } } });
  standardQueues(h);
  h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] });
  customer = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
});

afterAll(async () => {
  h.close();
  await receiver.close();
  vi.useRealTimers();
});

/** Runs the receiver's check at the test clock's time (the recipe refuses a timestamp 5 minutes off). */
const at = <T>(fn: () => T): T => atTime(h.clock.now(), fn);

describe('the documented signature recipe', () => {
  it('verifies a delivery and its retry with node:crypto alone; refuses tampering, another secret, a stale timestamp', async () => {
    const verify = documentedVerify();
    const res = await h.api('POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url: receiver.url, events: ['case.created'] } });
    const { secret } = (await res.json()) as { secret: string };
    receiver.answer(500);
    await createCase(h.services, { subject: 'Refund for März — 42 €', description: 'x' }, customer, { customerId: customer.id });
    await h.services.outbox.drain();
    h.clock.advance(RETRY_SCHEDULE_MS[0]);
    await h.services.outbox.drain();
    const [first, retry] = receiver.received;
    expect(retry).toBeDefined();
    // Non-ASCII in the body: the recipe signs the text as received.
    expect(first!.body).toContain('März — 42 €');
    at(() => expect(verify(secret, first!.headers, first!.body)).toBe(true));
    // A retry carries the same webhook-id, signed again with its own timestamp.
    expect(retry!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(Number(retry!.headers['webhook-timestamp']) - Number(first!.headers['webhook-timestamp'])).toBe(RETRY_SCHEDULE_MS[0] / 1000);
    at(() => expect(verify(secret, retry!.headers, retry!.body)).toBe(true));

    at(() => expect(verify(secret, first!.headers, first!.body.replace('Refund', 'Refunt'))).toBe(false));
    at(() => expect(verify(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, first!.headers, first!.body)).toBe(false));
    // The secret's text is not the key: HMAC with it (the mistake the recipe warns against) does not match.
    const textKey = createHmac('sha256', secret).update(`${String(first!.headers['webhook-id'])}.${String(first!.headers['webhook-timestamp'])}.${first!.body}`).digest('base64');
    expect(String(first!.headers['webhook-signature'])).not.toContain(textKey);
    // Ten minutes later the first attempt's capture is refused.
    h.clock.advance(600_000);
    at(() => expect(verify(secret, first!.headers, first!.body)).toBe(false));
  });
});
