/**
 * Hono's `compress`, without rebuilding an answer it leaves uncompressed. For a client that
 * accepts neither gzip nor deflate (most API clients, load generators, curl) it only adds
 * `Vary: Accept-Encoding` to an answer Hono's would have compressed, on the answer's own
 * headers. Hono's sets that header with `c.header()` once the handler has answered, which
 * makes Hono rebuild the finished answer as `new Response(res.body, res)`: @hono/node-server
 * then builds a web Response, its ReadableStream and Headers, and streams the body out
 * instead of writing the string — for every JSON answer of the API.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { compress, COMPRESSIBLE_CONTENT_TYPE_REGEX } from 'hono/compress';

/** Hono's default: smaller answers (by their Content-Length) go out as they are. */
const THRESHOLD = 1024;
const NO_TRANSFORM = /(?:^|,)\s*?no-transform\s*?(?:,|$)/i;
const VARIES_BY_ENCODING = /(?:^|,)\s*accept-encoding\s*(?:,|$)/i;

/** Whether the client takes gzip or deflate (what Hono's compress produces). */
export function acceptsCompression(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return ['gzip', 'deflate', '*'].includes(name.trim()) && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/** Whether Hono's compress would compress this answer for a client that accepts it. */
function compressible(c: Context): boolean {
  const headers = c.res.headers;
  const length = headers.get('Content-Length');
  if (c.res.status === 206 || headers.has('Content-Encoding') || headers.has('Transfer-Encoding') || c.req.method === 'HEAD') return false;
  if (length && Number(length) < THRESHOLD) return false;
  const type = headers.get('Content-Type');
  return !!type && COMPRESSIBLE_CONTENT_TYPE_REGEX.test(type) && !NO_TRANSFORM.test(headers.get('Cache-Control') ?? '');
}

export function compressAnswers(): MiddlewareHandler {
  const honoCompress = compress();
  return async function compressAnswersMiddleware(c, next) {
    if (acceptsCompression(c.req.header('Accept-Encoding'))) return honoCompress(c, next);
    await next();
    if (!compressible(c)) return;
    const vary = c.res.headers.get('Vary');
    if (vary !== '*' && !(vary && VARIES_BY_ENCODING.test(vary))) c.res.headers.set('Vary', vary ? `${vary}, Accept-Encoding` : 'Accept-Encoding');
  };
}
