/**
 * `POST /api/v1/channels/phone/calls`: a telephony provider's call-ended webhook. No bearer
 * token: the body is signed with PHONE_WEBHOOK_SECRET (src/channels/phone/signature.ts;
 * 401 INVALID_SIGNATURE otherwise; 503 PHONE_CHANNEL_DISABLED while no secret is set).
 * Answers 201 `{ result: "created" | "appended", case, customer, event, replayed }` — 200
 * with `replayed: true` for a call id already received (nothing changes).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { caseRef } from '../../cases/case-ref.js';
import { callWebhookSchema, receiveCall } from '../../channels/phone/receive-call.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyCallSignature } from '../../channels/phone/signature.js';
import { DomainError } from '../../errors.js';
import { apiGroup, on } from '../openapi/route-spec.js';
import type { AppEnv } from '../types.js';
import { callReceived } from './schemas/workspace.js';

/** Registered before the token check (api/index.ts): the signature is its credential. */
export const phoneApi = apiGroup('/channels/phone', 'Phone');

export const phoneCallRoute = phoneApi.route({
  method: 'post',
  path: '/calls',
  summary: 'Receive a call-ended webhook',
  description:
    'For telephony providers: no bearer token, the body is signed instead. `X-Casebook-Signature: v1=<hex>` is the HMAC-SHA256 of `<timestamp>.<raw body>` under PHONE_WEBHOOK_SECRET (several `v1=` entries, comma-separated, while the secret is rotated); a bad signature or a timestamp more than 300 s from now is 401 INVALID_SIGNATURE, and without PHONE_WEBHOOK_SECRET the hook answers 503 PHONE_CHANNEL_DISABLED. The caller is found by number (an unknown number becomes a new customer); the call joins their newest open phone case or opens one through the normal intake. Once per provider call id: a redelivery answers 200 with `replayed: true` and changes nothing.',
  access: 'public',
  headers: {
    [TIMESTAMP_HEADER]: { description: 'When the provider signed it, in Unix seconds.', schema: z.string().regex(/^\d{1,12}$/).meta({ examples: ['1767268800'] }), required: true },
    [SIGNATURE_HEADER]: {
      description: '`v1=` and the hex HMAC-SHA256 of `<timestamp>.<raw body>` under PHONE_WEBHOOK_SECRET; comma-separated entries while a secret is rotated.',
      schema: z.string().meta({ examples: ['v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd'] }),
      required: true,
    },
  },
  body: callWebhookSchema,
  responses: {
    201: { description: 'The call opened a case (`created`) or joined the caller’s open phone case (`appended`)', schema: callReceived },
    200: { description: 'A call id received before: what its first delivery did (`replayed: true`); nothing changed', schema: callReceived },
  },
  errors: [401],
});

export function phoneHookRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  on(app, phoneCallRoute, async (c) => {
    const services = c.get('services');
    const { webhookSecret, toleranceSeconds } = services.phone;
    if (!webhookSecret) throw new DomainError('PHONE_CHANNEL_DISABLED', 'The telephony hook is off: set PHONE_WEBHOOK_SECRET to the secret your provider signs call webhooks with.');
    const raw = await c.req.text();
    const check = verifyCallSignature(webhookSecret, { timestamp: c.req.header(TIMESTAMP_HEADER), signature: c.req.header(SIGNATURE_HEADER) }, raw, services.clock.now(), toleranceSeconds);
    if (!check.ok) throw new DomainError('INVALID_SIGNATURE', `Refused: ${check.reason}.`);
    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      throw new DomainError('MALFORMED_JSON', 'The body is not JSON.');
    }
    // Validated with phoneCallRoute.body (callWebhookSchema) inside receiveCall.
    const outcome = await receiveCall(services, payload);
    await services.outbox.settle(outcome.caseId);
    return c.json(
      { result: outcome.result, case: caseRef(outcome.caseId), customer: outcome.customerId, event: outcome.eventId, replayed: outcome.replayed },
      outcome.replayed ? 200 : 201,
    );
  });
  return app;
}
