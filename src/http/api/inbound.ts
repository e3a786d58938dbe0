/**
 * `/api/v1/inbound`: mail in over HTTP, for providers' inbound webhooks (docs/email.md).
 * `POST /email` takes the raw mail as `message/rfc822` (the API's 256 KiB limit does not
 * apply: the email channel's own size limit does) and answers 202 with what became of it:
 * `{ result: "created" | "appended" | "ignored", case, reason }`. The admin token, an
 * admin's token or a token with the `inbound` scope may post.
 */
import { Hono } from 'hono';
import { loggedMessageId } from '../../channels/email/parse-mail.js';
import { receiveEmail } from '../../channels/email/receive-email.js';
import { parseCaseRef } from '../../cases/case-ref.js';
import { DomainError } from '../../errors.js';
import { apiGroup, on } from '../openapi/route-spec.js';
import { inboundResult } from './schemas/admin.js';
import type { AppEnv } from '../types.js';

export const INBOUND_PATH = '/api/v1/inbound/';
const RFC822 = 'message/rfc822';

export const inboundApi = apiGroup('/inbound', 'Email');

export const inboundEmailRoute = inboundApi.route({
  method: 'post',
  path: '/email',
  summary: 'Receive a raw mail',
  description: 'For providers’ inbound webhooks: the raw mail as `message/rfc822` (EMAIL_MAX_BYTES, not the API’s 256 KiB limit). Admins, or a token with the `inbound` scope. Once per Message-ID: a redelivery answers `ignored`, `duplicate`, with the `case` the first delivery went to.',
  access: { roles: ['admin'], scopes: ['inbound'] },
  bodyType: RFC822,
  responses: { 202: { description: 'What became of the mail', schema: inboundResult } },
  errors: [415],
});

/** The body, read until it passes `max` bytes (then reading stops: the mail is too large anyway). */
async function readBounded(body: ReadableStream<Uint8Array> | null, max: number): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size > max) {
        await reader.cancel();
        break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks);
}

export function inboundRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  on(app, inboundEmailRoute, async (c) => {
    const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== RFC822) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `Send the raw mail as ${RFC822}.`);
    const services = c.get('services');
    const raw = await readBounded(c.req.raw.body, services.email.maxBytes);
    const outcome = await receiveEmail(services, raw, { via: 'http' }).catch((error: unknown) => {
      // Answered as any failure is (a 5xx: the provider posts it again later). Which mail, for the
      // operator to follow — never who sent it or what about, as for SMTP (smtp-receiver.ts).
      services.logger.error('email: inbound HTTP mail failed; the sender tries again later', { messageId: loggedMessageId(raw), size: raw.length, error: error instanceof Error ? error.message : String(error) });
      throw error;
    });
    const caseId = outcome.case ? parseCaseRef(outcome.case) : null;
    if (caseId !== null) await services.outbox.settle(caseId);
    return c.json({ result: outcome.result, case: outcome.case ?? null, reason: outcome.reason ?? null, ...(outcome.attachments ? { attachments: outcome.attachments } : {}) }, 202);
  });

  return app;
}
