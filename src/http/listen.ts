/**
 * Binds the HTTP port first, before start-up touches the database: a port already in use
 * stops start-up with one line (`PortInUseError`) and the database file is never opened,
 * migrated or seeded by a process that could not serve it. Until the app is attached,
 * requests get `503` (`/health`: `{ status: "starting" }`) with `Retry-After: 1`, so a
 * load balancer sees the process is alive while it opens and migrates the database.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
  const server = createAdaptorServer({ fetch: (request: Request, env: unknown) => handler(request, env) });
  const inFlight = trackRequests(server);
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

/** Responses not yet finished; once draining, each one closes its connection when done. */
interface InFlight {
  responses: Set<ServerResponse>;
  draining: boolean;
  /** While draining: the last response in progress finished. */
  onIdle: (() => void) | null;
}

function trackRequests(server: ServerType): InFlight {
  const state: InFlight = { responses: new Set(), draining: false, onIdle: null };
  // Before the app's listener: the header must be set before anything is written.
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
    state.responses.add(response);
    response.once('close', () => {
      state.responses.delete(response);
      if (state.responses.size === 0) state.onIdle?.();
    });
    if (state.draining) closeAfter(response);
  });
  return state;
}

/** The connection closes after this response, and the client is told so (it will not send another request on it). */
function closeAfter(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('Connection', 'close');
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
  for (const response of state.responses) closeAfter(response);
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
      const cut = state.responses.size;
      http.closeAllConnections();
      finish(cut);
    }, graceMs);
    linger.unref();
    grace.unref();
  });
}
