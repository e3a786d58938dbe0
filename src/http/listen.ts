/**
 * Binds the HTTP port first, before start-up touches the database: a port already in use
 * stops start-up with one line (`PortInUseError`) and the database file is never opened,
 * migrated or seeded by a process that could not serve it. Until the app is attached,
 * requests get `503` (`/health`: `{ status: "starting" }`) with `Retry-After: 1`, so a
 * load balancer sees the process is alive while it opens and migrates the database.
 */
import { randomUUID } from 'node:crypto';
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
  /** Stops accepting connections; resolves when open ones are closed (at most `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

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
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      if (error.code === 'EADDRINUSE') {
        reject(new PortInUseError(options.host, options.port, `port ${where} is already in use (EADDRINUSE). Fix: stop the process listening there (is Casebook already running?) or set PORT to a free port`));
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
        close(graceMs = 2000) {
          return new Promise<void>((done) => {
            const timer = setTimeout(() => {
              (server as { closeAllConnections?: () => void }).closeAllConnections?.();
              done();
            }, graceMs);
            timer.unref();
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          });
        },
      });
    });
  });
}
