/**
 * Compression of the answers (gzip or deflate, as the client accepts), in place of Hono's
 * `compress`, which pipes every answer through a web CompressionStream: @hono/node-server then
 * builds a web Response, its ReadableStream and Headers and streams the body out. For the
 * intake's JSON answer (~3 KB) that cost ~700 µs of the main thread and 80 KiB of allocations
 * a request — intake at c=50 went from ~2,100 to ~850 cases/s for a client that sends
 * `Accept-Encoding: gzip`, as browsers, curl --compressed and most HTTP libraries do
 * (docs/performance.md, "Compressed answers"). Here an answer of known size up to
 * `AT_ONCE_MAX` (pages, fragments, API JSON: every one the app builds from a string) is
 * compressed at once with zlib (~20 µs for 3 KB) and written with its length; a larger one (a
 * download) still goes through the stream, so that it is never held in memory whole.
 *
 * For a client that accepts neither gzip nor deflate (load generators, curl, many API clients)
 * the answer only gains `Vary: Accept-Encoding`, on its own headers: Hono's sets it with
 * `c.header()` once the handler has answered, which rebuilds the finished answer.
 */
import { deflateSync, gzipSync } from 'node:zlib';
import type { Context, MiddlewareHandler } from 'hono';
import { COMPRESSIBLE_CONTENT_TYPE_REGEX } from 'hono/compress';

/** Hono's default: smaller answers go out as they are. */
const THRESHOLD = 1024;
/** Larger answers (by their Content-Length) are compressed as a stream. */
const AT_ONCE_MAX = 1024 * 1024;
const NO_TRANSFORM = /(?:^|,)\s*?no-transform\s*?(?:,|$)/i;
const VARIES_BY_ENCODING = /(?:^|,)\s*accept-encoding\s*(?:,|$)/i;
const ENCODINGS = ['gzip', 'deflate'] as const;
type Encoding = (typeof ENCODINGS)[number];

/**
 * The encoding to answer with for this Accept-Encoding, as Hono's `compress` chooses: the
 * first of gzip and deflate accepted with q=1, else the one with the highest q above 0
 * (`*` stands for those not named); none without the header.
 */
export function chosenEncoding(header: string | undefined): Encoding | undefined {
  if (!header) return undefined;
  const accepted = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    accepted.set(name.trim(), q === undefined ? 1 : Number(q.slice(2)) || 0);
  }
  let best: { encoding: Encoding; q: number } | undefined;
  for (const encoding of ENCODINGS) {
    const q = accepted.get(encoding) ?? accepted.get('*') ?? 0;
    if (q === 1) return encoding;
    if (q > 0 && (!best || q > best.q)) best = { encoding, q };
  }
  return best?.encoding;
}

/** Whether the client takes gzip or deflate. */
export function acceptsCompression(header: string | undefined): boolean {
  return chosenEncoding(header) !== undefined;
}

/** Whether this answer is one to compress for a client that accepts it (Hono's rules). */
function compressible(c: Context): boolean {
  const { status, headers } = c.res;
  const length = headers.get('Content-Length');
  if (status === 204 || status === 206 || status === 304 || headers.has('Content-Encoding') || headers.has('Transfer-Encoding') || c.req.method === 'HEAD') return false;
  if (length && Number(length) < THRESHOLD) return false;
  const type = headers.get('Content-Type');
  return !!type && COMPRESSIBLE_CONTENT_TYPE_REGEX.test(type) && !NO_TRANSFORM.test(headers.get('Cache-Control') ?? '');
}

/**
 * Replaces the finished answer. Hono's `c.res` setter would copy the old answer's headers into
 * a rebuilt copy of the new one (its body read through a stream); set to undefined first, it
 * takes the new answer as it is (honojs/hono#960).
 */
function replaceAnswer(c: Context, res: Response): void {
  (c as { res: Response | undefined }).res = undefined;
  c.res = res;
}

export function compressAnswers(): MiddlewareHandler {
  return async function compressAnswersMiddleware(c, next) {
    const encoding = chosenEncoding(c.req.header('Accept-Encoding'));
    await next();
    if (!compressible(c)) return;
    const headers = c.res.headers;
    const vary = headers.get('Vary');
    if (vary !== '*' && !(vary && VARIES_BY_ENCODING.test(vary))) headers.set('Vary', vary ? `${vary}, Accept-Encoding` : 'Accept-Encoding');
    if (!encoding) return;
    const length = headers.get('Content-Length');
    if (length !== null && Number(length) > AT_ONCE_MAX) {
      if (!c.res.body) return;
      replaceAnswer(c, new Response(c.res.body.pipeThrough(new CompressionStream(encoding)), encodedAs(c.res, encoding, null)));
      return;
    }
    const body = new Uint8Array(await c.res.arrayBuffer());
    if (body.byteLength < THRESHOLD) {
      replaceAnswer(c, new Response(body, { status: c.res.status, headers }));
      return;
    }
    const compressed = encoding === 'gzip' ? gzipSync(body) : deflateSync(body);
    replaceAnswer(c, new Response(compressed, encodedAs(c.res, encoding, compressed.byteLength)));
  };
}

/** The answer's status and headers, now in `encoding` (a strong ETag weakened, as Hono's does). */
function encodedAs(res: Response, encoding: Encoding, length: number | null): ResponseInit {
  const headers = new Headers(res.headers);
  headers.set('Content-Encoding', encoding);
  if (length === null) headers.delete('Content-Length');
  else headers.set('Content-Length', String(length));
  const etag = headers.get('ETag');
  if (etag && !etag.startsWith('W/')) headers.set('ETag', `W/${etag}`);
  return { status: res.status, headers };
}
