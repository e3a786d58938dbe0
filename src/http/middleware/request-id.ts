/**
 * Request ids. Every request gets an id we generate (a random UUID), answered in
 * `X-Request-Id`, carried by every problem+json body and error page, and logged
 * (middleware/observe-requests.ts). A client's
 * own `X-Request-Id` never becomes ours (a client could otherwise pick ids that collide with
 * or impersonate other requests in the logs): it is kept as `clientRequestId`, a separate log
 * field, when it is printable ASCII of at most 128 characters.
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../types.js';

const CLIENT_ID_SHAPE = /^[\x21-\x7e]{1,128}$/;

export function requestIds(): MiddlewareHandler<AppEnv> {
  return async function requestIdMiddleware(c, next) {
    const id = randomUUID();
    const theirs = c.req.header('X-Request-Id');
    c.set('requestId', id);
    c.set('clientRequestId', theirs !== undefined && CLIENT_ID_SHAPE.test(theirs) ? theirs : null);
    c.header('X-Request-Id', id);
    await next();
  };
}
