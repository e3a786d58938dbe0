import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { bindServer, PortInUseError, type BoundServer } from './listen.js';

/** One request on `agent` (keep-alive): its status, `Connection` header and body. */
function get(port: number, agent: http.Agent, path: string): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
  });
}

describe('bindServer', () => {
  it('answers 503 starting until the app is attached, then the app', async () => {
    const bound = await bindServer({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${bound.port}`;
    try {
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(503);
      expect(health.headers.get('Retry-After')).toBe('1');
      expect(health.headers.get('Cache-Control')).toBe('no-store');
      expect(await health.json()).toEqual({ status: 'starting', checks: { database: 'starting' } });

      const api = await fetch(`${url}/api/v1/cases`);
      expect(api.status).toBe(503);
      expect(api.headers.get('Content-Type')).toBe('application/problem+json');
      const body = (await api.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 503, code: 'STARTING', instance: '/api/v1/cases' });
      expect(body.requestId).toBe(api.headers.get('X-Request-Id'));

      bound.attach(() => new Response('ready'));
      expect(await (await fetch(`${url}/health`)).text()).toBe('ready');
    } finally {
      await bound.close();
    }
  });

  it('refuses a port in use with PORT_IN_USE and one line naming the fix', async () => {
    const first = await bindServer({ port: 0, host: '127.0.0.1' });
    try {
      const error = await bindServer({ port: first.port, host: '127.0.0.1' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as PortInUseError).code).toBe('PORT_IN_USE');
      expect((error as Error).message).toBe(
        `port 127.0.0.1:${first.port} is already in use (EADDRINUSE). Fix: stop the process listening there (is Casebook already running?) or set PORT to a free port`,
      );
    } finally {
      await first.close();
    }
  });
});

/** A promise and the function that resolves it. */
function signal(): { done: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return { done, resolve };
}

describe('bindServer: the graceful stop', () => {
  let bound: BoundServer | null = null;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  afterEach(async () => {
    await bound?.close(1000);
    bound = null;
  });

  it('answers the requests in progress and those on open connections with Connection: close, keep-alive before', async () => {
    const server = (bound = await bindServer({ port: 0, host: '127.0.0.1' }));
    const [held, arrived] = [signal(), signal()];
    server.attach(async (request) => {
      const path = new URL(request.url).pathname;
      if (path === '/slow') {
        arrived.resolve();
        await held.done;
      }
      return new Response(path);
    });

    // Before the drain: keep-alive, two connections open.
    const [first, second] = await Promise.all([get(server.port, agent, '/a'), get(server.port, agent, '/b')]);
    expect([first.status, first.connection, second.connection]).toEqual([200, 'keep-alive', 'keep-alive']);

    // A request in progress when the drain begins, then one arriving on the other open connection.
    const slow = get(server.port, agent, '/slow');
    await arrived.done;
    const closed = server.close(5000);
    const during = await get(server.port, agent, '/during');
    expect(during).toEqual({ status: 200, connection: 'close', body: '/during' });
    held.resolve();
    expect(await slow).toEqual({ status: 200, connection: 'close', body: '/slow' });
    // Every response answered, none cut: the stop resolves once the connections are closed.
    expect((await closed).cut).toBe(0);
    bound = null;
  });

  it('counts the requests still running when the grace runs out as cut', async () => {
    const server = (bound = await bindServer({ port: 0, host: '127.0.0.1' }));
    const arrived = signal();
    server.attach(async () => {
      arrived.resolve();
      return new Promise<Response>(() => undefined); // never answers
    });
    const hanging = get(server.port, agent, '/hang').catch((error: Error) => error);
    await arrived.done;
    expect((await server.close(100)).cut).toBe(1);
    expect(await hanging).toBeInstanceOf(Error);
    bound = null;
  });
});
