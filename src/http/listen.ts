/**
 * Binds the HTTP port first, before start-up touches the database: a port already in use
 * stops start-up with one line (`PortInUseError`) and the database file is never opened,
 * migrated or seeded by a process that could not serve it. Until the app is attached,
 * requests get `503` (`/health`: `{ status: "starting" }`) with `Retry-After: 1`, so a
 * load balancer sees the process is alive while it opens and migrates the database.
 */
import { randomUUID } from 'node:crypto';
import { ServerResponse, type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';
import net from 'node:net';
import { createAdaptorServer, type ServerType } from '@hono/node-server';

type Fetch = (request: Request, env: unknown) => Response | Promise<Response>;

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  readonly code = 'PORT_IN_USE';
  constructor(
    readonly host: string,
    readonly port: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface BoundServer {
  server: ServerType;
  /** The address actually bound (port 0 picks a free one). */
  port: number;
  /** Starts serving the app (until then: 503 starting). */
  attach(fetch: Fetch): void;
  /**
   * Graceful stop: no new connections; every request already received is answered (its
   * response says `Connection: close`); idle keep-alive connections are closed after a short
   * linger. Resolves when every connection is closed, or after `graceMs` (then the requests
   * still running are cut, and counted).
   */
  close(graceMs?: number): Promise<DrainResult>;
}

export interface DrainResult {
  /** Requests still running when the grace ran out (their connections were cut). */
  cut: number;
  ms: number;
}

/** How long an idle keep-alive connection may still bring a request once the drain began. */
const IDLE_LINGER_MS = 500;

function starting(request: Request): Response {
  const requestId = randomUUID();
  const headers = { 'Retry-After': '1', 'Cache-Control': 'no-store', 'X-Request-Id': requestId };
  const path = new URL(request.url).pathname;
  if (path === '/health') {
    return Response.json({ status: 'starting', checks: { database: 'starting' } }, { status: 503, headers });
  }
  const body = { type: 'urn:casebook:problem:starting', title: 'Casebook is starting', status: 503, detail: 'Casebook is starting up; try again in a moment.', code: 'STARTING', requestId, instance: path };
  return new Response(JSON.stringify(body), {
    status: 503,
    headers: { ...headers, 'Content-Type': 'application/problem+json' },
  });
}

export function bindServer(options: { port: number; host: string }): Promise<BoundServer> {
  let handler: Fetch = starting;
  const inFlight: InFlight = { count: 0, draining: false, onIdle: null };
  const server = createAdaptorServer({
    fetch: (request: Request, env: unknown) => handler(request, env),
    serverOptions: { ServerResponse: drainAwareResponse(inFlight) },
  });
  trackRequests(server, inFlight);
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      if (error.code === 'EADDRINUSE') {
        reject(new PortInUseError(options.host, options.port, `port ${where} is already in use (EADDRINUSE). Fix: stop the process listening there (is Casebook already running?) or set PORT to a free port`));
      } else if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') {
        reject(new PortInUseError(options.host, options.port, `cannot listen on ${where}: HOST "${options.host}" is not a name or address of this machine (${error.code}). Fix: set HOST to an address of this machine, such as 127.0.0.1 or 0.0.0.0`));
      } else if (error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL') {
        reject(new PortInUseError(options.host, options.port, `cannot listen on ${where} (${error.code}). Fix: set HOST to an address of this machine and PORT to a port above 1023 this user may bind`));
      } else {
        reject(error);
      }
    });
    server.listen(options.port, options.host, () => {
      const address = server.address();
      resolve({
        server,
        port: typeof address === 'object' && address ? address.port : options.port,
        attach(fetch) {
          handler = fetch;
        },
        close(graceMs = 8000) {
          return drain(server, inFlight, graceMs);
        },
      });
    });
  });
}

/**
 * Responses not yet finished, counted; once draining, each one whose headers are still to be
 * written closes its connection when done (`drainAwareResponse`).
 *
 * Counted, not kept in a Set: a Set that grows and shrinks with the responses in flight
 * rehashes into a new table as it does, and the table it leaves behind still points at the
 * responses it held. Once that table is in the old generation, the scavenges keep every
 * response it names alive — with its request, headers and body — until the next full
 * collection: at c=50 that promoted ~4 KiB an intake, most of the old generation's growth and
 * the server's peak RSS (docs/performance.md, "Issue 11: what the old generation kept").
 */
interface InFlight {
  count: number;
  draining: boolean;
  /** While draining: the last response in progress finished. */
  onIdle: (() => void) | null;
}

function trackRequests(server: ServerType, state: InFlight): void {
  // Before the app's listener, so that a response is counted before anything of it is written.
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    state.count++;
    response.once('close', () => {
      if (--state.count === 0) state.onIdle?.();
    });
  });
}

/**
 * The server's responses: once the server drains, a response whose headers are still to be
 * written says `Connection: close` (the client will not send another request on it), whether
 * it began before the drain or after. Node writes every response's headers through `writeHead`.
 */
function drainAwareResponse(state: InFlight): typeof ServerResponse {
  return class DrainAwareResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
    override writeHead(statusCode: number, reasonOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[], headers?: OutgoingHttpHeaders | OutgoingHttpHeader[]): this {
      if (state.draining && !this.headersSent) this.setHeader('Connection', 'close');
      // Node takes the headers from the second argument when it is not a reason phrase.
      return super.writeHead(statusCode, reasonOrHeaders as string | undefined, headers);
    }
  };
}

/**
 * Stops accepting, answers what was received, then closes. Node's own `server.close()` closes
 * idle keep-alive connections at once: a client that had just sent its next request on one
 * gets a reset for a request nobody read — and `closeAllConnections()` after the grace cut
 * requests in the middle (a case stored, its client told nothing). Here the listening socket
 * is closed alone (new connections are refused by the system), responses in progress and
 * requests arriving on open connections are answered with `Connection: close`, and only
 * connections idle for `IDLE_LINGER_MS` since the drain began are closed.
 */
function drain(server: ServerType, state: InFlight, graceMs: number): Promise<DrainResult> {
  const started = performance.now();
  state.draining = true;
  const http = server as unknown as { closeIdleConnections(): void; closeAllConnections(): void };
  return new Promise<DrainResult>((resolve) => {
    let done = false;
    const finish = (cut: number) => {
      if (done) return;
      done = true;
      clearTimeout(linger);
      clearTimeout(grace);
      resolve({ cut, ms: performance.now() - started });
    };
    // net.Server's close: stop listening without http.Server's immediate closeIdleConnections().
    net.Server.prototype.close.call(server, () => finish(0));
    let lingered = false;
    const linger = setTimeout(() => {
      lingered = true;
      http.closeIdleConnections();
    }, Math.min(IDLE_LINGER_MS, graceMs / 2));
    // A response whose headers went out before the drain keeps its connection open when done: close it then.
    state.onIdle = () => {
      if (lingered) http.closeIdleConnections();
    };
    const grace = setTimeout(() => {
      const cut = state.count;
      http.closeAllConnections();
      finish(cut);
    }, graceMs);
    linger.unref();
    grace.unref();
  });
}
