/**
 * Hono's `bodyLimit`, judging a request that declares its length (Content-Length, no
 * Transfer-Encoding) by that header alone, and a GET or HEAD not at all. Hono's reads
 * `c.req.raw.body` first, which makes @hono/node-server build a full web `Request` for every
 * request — a ReadableStream and an AbortController, then a streamed read of the body —
 * where it would read the body straight from the socket. A chunked body (no length) still
 * goes through Hono's, which counts it as it arrives.
 */
import type { Context, MiddlewareHandler, Next } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';

export interface BodyLimitOptions {
  maxSize: number;
  onError: (c: Context) => Response | Promise<Response>;
}

export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler {
  const streamed = honoBodyLimit(options);
  return async function bodyLimitByLength(c: Context, next: Next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number.parseInt(length || '0', 10) > options.maxSize ? options.onError(c) : next();
    }
    return streamed(c, next);
  };
}
