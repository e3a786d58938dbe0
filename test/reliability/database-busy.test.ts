import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { ADMIN_TOKEN, ROOT, createHarness, standardQueues, type Harness } from '../support/harness.js';

let h: Harness;
let holder: ChildProcessWithoutNullStreams | null = null;
afterEach(() => {
  holder?.kill('SIGKILL');
  h.close();
});

async function holdLock(dbPath: string): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/hold-lock.ts', dbPath], { cwd: ROOT });
  let out = '';
  child.stdout.setEncoding('utf8');
  while (!out.includes('locked')) out += String((await once(child.stdout, 'data'))[0]);
  return child;
}

describe('a database held locked by another process', () => {
  it('answers 503 with the request id, writes nothing, and serves normally once the lock is released', async () => {
    const lines: string[] = [];
    h = createHarness({ busyTimeoutMs: 150, services: { logger: createLogger('info', (line) => lines.push(line)) } });
    standardQueues(h);
    const body = { customer: { email: 'x@example.com' }, subject: 'Hello', description: 'Is anyone there?' };
    holder = await holdLock(h.dbPath);

    const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body });
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBe('1');
    const problem = (await res.json()) as { code: string; requestId: string };
    expect(problem.code).toBe('DATABASE_BUSY');
    expect(problem.requestId).toBe(res.headers.get('X-Request-Id'));
    // One line says so, not one per request.
    expect((await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body })).status).toBe(503);
    expect(lines.filter((line) => line.includes('locked by another process beyond DATABASE_BUSY_TIMEOUT_MS'))).toHaveLength(1);
    // Reads still work while another process writes (WAL).
    expect((await h.api('GET', '/api/v1/cases', { token: ADMIN_TOKEN })).status).toBe(200);

    holder.stdin.write('release\n');
    await once(holder, 'exit');
    holder = null;
    const count = () => h.db.$client.prepare('SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM case_events) AS events').get();
    expect(count()).toEqual({ cases: 0, customers: 0, events: 0 });
    const retry = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body });
    expect(retry.status).toBe(201);
    expect(count()).toMatchObject({ cases: 1, customers: 1 });
  });
});
