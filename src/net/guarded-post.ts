/**
 * One outbound POST for an integration (webhooks, Slack/Teams), guarded against server-side
 * request forgery: only http(s) URLs without credentials; an IP literal host must be public
 * (src/net/address-guard.ts); a host name is resolved by our own `lookup`, and refused when
 * any of its addresses is not public — the connection then goes to the address that was
 * checked, so a second resolution (DNS rebinding) cannot swap it. Redirects are never
 * followed (a 3xx answer is a failure: it could point anywhere). `allowPrivate` lifts the
 * address check (WEBHOOKS_ALLOW_PRIVATE=true: tests, a receiver on the same network). Each
 * attempt has its own connection, closed after it, and one deadline for all of it.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { blockedAddressReason } from './address-guard.js';

export interface PostOptions {
  allowPrivate: boolean;
  /** The whole attempt's deadline: connecting, sending and the answer (a receiver that trickles bytes included). */
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Aborts the attempt (shutdown): it fails with the signal's reason. */
  signal?: AbortSignal;
}

export interface PostResult {
  /** The HTTP status, null when there was no answer. */
  status: number | null;
  ok: boolean;
  durationMs: number;
  /** Why it failed (network error, refused target, non-2xx answer), null on success. */
  error: string | null;
  /** The answer's `Retry-After` header as received (at most 100 characters), null without one. */
  retryAfter: string | null;
}

/** A URL an integration may be configured with: http(s), a host, no credentials. Returns the problem or null. */
export function targetUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not carry a user name or password';
  if (!url.hostname) return 'needs a host';
  if (raw.length > 2000) return 'at most 2000 characters';
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (/^[\d.]+$/.test(host) || host.includes(':')) {
      const reason = blockedAddressReason(host);
      if (reason) return `refused: ${reason}`;
    } else if (/(^|\.)localhost\.?$/i.test(host)) {
      return 'refused: localhost is a loopback address';
    }
  }
  return null;
}

export class TargetRefusedError extends Error {
  readonly code = 'TARGET_REFUSED';
}

/** A `lookup` that resolves every address of the host and refuses the lot if one is not public. */
function guardedLookup(): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { all: true, family: options.family ?? 0 }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      for (const a of addresses) {
        const reason = blockedAddressReason(a.address);
        if (reason) return callback(new TargetRefusedError(`refused: ${hostname} resolves to ${reason}`), '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}

const MAX_ERROR_BODY = 300;

export async function guardedPost(rawUrl: string, body: string, options: PostOptions): Promise<PostResult> {
  const started = performance.now();
  const done = (status: number | null, error: string | null, retryAfter: string | null = null): PostResult => ({
    status,
    ok: error === null,
    durationMs: Math.round(performance.now() - started),
    error,
    retryAfter,
  });
  const problem = targetUrlProblem(rawUrl, options.allowPrivate);
  if (problem) return done(null, problem);
  if (options.signal?.aborted) return done(null, `aborted: ${abortReason(options.signal)}`);
  const url = new URL(rawUrl);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((settle) => {
    let deadline: NodeJS.Timeout | undefined;
    const onAbort = () => req.destroy(new Error(`aborted: ${abortReason(options.signal!)}`));
    const resolve = (result: PostResult) => {
      clearTimeout(deadline);
      options.signal?.removeEventListener('abort', onAbort);
      settle(result);
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'User-Agent': 'Casebook-Webhooks/1', ...options.headers },
        ...(options.allowPrivate ? {} : { lookup: guardedLookup() }),
        // A connection of its own: Node's global agent keeps sockets alive, and one the receiver
        // closed as idle just as an attempt reused it failed that attempt before it was sent
        // (ECONNRESET; the webhook tests lost an attempt so, 1 run in 5 under load).
        agent: false,
        timeout: options.timeoutMs,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const header = res.headers['retry-after'];
        const retryAfter = typeof header === 'string' && header.trim() !== '' ? header.trim().slice(0, 100) : null;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_ERROR_BODY) text += chunk;
        });
        res.on('end', () => {
          if (status >= 200 && status < 300) return resolve(done(status, null));
          const snippet = text.trim().slice(0, MAX_ERROR_BODY);
          if (status >= 300 && status < 400) return resolve(done(status, `answered a redirect (${status}${res.headers.location ? ` to ${res.headers.location}` : ''}); redirects are not followed`));
          resolve(done(status, `answered ${status}${snippet ? `: ${snippet}` : ''}`, retryAfter));
        });
        res.on('error', (error) => resolve(done(status, error.message, retryAfter)));
      },
    );
    const late = () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
    req.on('timeout', late);
    deadline = setTimeout(late, options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => resolve(done(null, error.message)));
    req.end(body);
  });
}

function abortReason(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
}
