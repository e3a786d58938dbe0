import { describe, expect, it } from 'vitest';
import { bindServer, PortInUseError } from './listen.js';

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
