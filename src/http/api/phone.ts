/**
 * `POST /api/v1/channels/phone/calls`: a telephony provider's call-ended webhook. No bearer
 * token: the body is signed with PHONE_WEBHOOK_SECRET (src/channels/phone/signature.ts;
 * 401 INVALID_SIGNATURE otherwise; 503 PHONE_CHANNEL_DISABLED while no secret is set).
 * Answers 201 `{ result: "created" | "appended", case, customer, replayed }` — 200 with
 * `replayed: true` for a call id already received (nothing changes).
 */
import { Hono } from 'hono';
import { caseRef } from '../../cases/case-ref.js';
import { receiveCall } from '../../channels/phone/receive-call.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyCallSignature } from '../../channels/phone/signature.js';
import { DomainError } from '../../errors.js';
import type { AppEnv } from '../types.js';

export const PHONE_CALLS_PATH = '/channels/phone/calls';

export function phoneHookRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post(PHONE_CALLS_PATH, async (c) => {
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
    const outcome = await receiveCall(services, payload);
    await services.outbox.settle(outcome.caseId);
    return c.json(
      { result: outcome.result, case: caseRef(outcome.caseId), customer: outcome.customerId, event: outcome.eventId, replayed: outcome.replayed },
      outcome.replayed ? 200 : 201,
    );
  });
  return app;
}
