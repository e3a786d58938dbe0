/**
 * Casebook on PostgreSQL (DATABASE_URL), as a server: two real servers (`src/main.ts` as
 * children) started together on one fresh database migrate it once and seed it once, are
 * both ready, and share their work — an intake on A is read on B, a ruleset published on A
 * is used by B's next intake (the registry's relay signal), a live chat signal sent by A
 * reaches another instance and one sent to B wakes a visitor's stream there. Bad and
 * unreachable URLs stop start-up with one line that hides the password. SIGTERM stops both.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailboxSupervisor, type MailboxSupervisor } from '../../src/channels/email/mailbox-supervisor.js';
import type { HubSignal } from '../../src/chat/hub.js';
import { createSite, type ChatSite } from '../../src/chat/sites.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { systemClock } from '../../src/clock.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createServicesOn } from '../../src/compose.js';
import type { Services } from '../../src/services.js';
import { journalEntries } from '../../src/db/migrations-status.js';
import { PG_MIGRATIONS_DIR } from '../../src/db/pg/client.js';
import { postgresRelay, type PostgresRelay } from '../../src/db/pg/notify-relay.js';
import type { Store } from '../../src/db/store/index.js';
import { openStore } from '../../src/db/store/open.js';
import { freePort } from '../support/free-port.js';
import { ADMIN_TOKEN } from '../support/harness.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { startServer, type RunningServer } from '../support/server.js';

const DEMO_STAFF = 6;
const CHANNELS_KEY = '5a'.repeat(32);
let cluster: PostgresCluster;
let url: string;
let dir: string;
let a: RunningServer;
let b: RunningServer;
let store: Store;

function api(server: RunningServer, method: string, route: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}/api/v1${route}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function count(query: ReturnType<typeof sql>): Promise<number> {
  const row = await store.query((q) => q.get<{ n: number }>(query));
  return Number(row?.n ?? 0);
}

/** Polls `check` until it holds, at most `ms`: for an event another process causes (a signal), not for time to pass. */
async function until(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  cluster = await startPostgres();
  url = await cluster.createDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-runtime-'));
  const env = { SEED_DEMO: 'true', DEMO_PASSWORD: 'demo-password-1', LOG_LEVEL: 'warn', CHAT_SWEEP_CRON: '0 0 1 1 *', CHANNELS_KEY };
  // Both at once: they race for the migration and start-up locks.
  const started = await Promise.allSettled(
    ['a', 'b'].map((name) => startServer({ databasePath: path.join(dir, name, 'casebook.db'), databaseUrl: url, env: { ...env, ATTACHMENTS_DIR: path.join(dir, 'files') }, timeoutMs: 60_000 })),
  );
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    // One did not come up: stop the other rather than leave it running.
    for (const result of started) if (result.status === 'fulfilled') await result.value.stop();
    throw failed.reason;
  }
  [a, b] = started.map((result) => (result as PromiseFulfilledResult<RunningServer>).value) as [RunningServer, RunningServer];
  store = openStore({ postgresUrl: url, max: 2 });
}, 90_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await store?.close();
  await cluster?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('two servers started together on one PostgreSQL database', () => {
  it('migrate it once, seed it once and write no SQLite file', async () => {
    expect(await count(sql`SELECT count(*) AS n FROM drizzle.__drizzle_migrations`)).toBe(journalEntries(PG_MIGRATIONS_DIR).length);
    expect(await count(sql`SELECT count(*) AS n FROM staff`)).toBe(DEMO_STAFF);
    // One version 1 of each definition (the second server found them), every one published.
    const versions = await store.query((q) => q.all<{ kind: string; name: string; n: number }>(sql`SELECT kind, name, count(*) AS n FROM definition_versions GROUP BY kind, name ORDER BY kind, name`));
    expect(versions.map((v) => `${v.kind}:${v.name}:${v.n}`)).toEqual(['ruleset:escalation:1', 'ruleset:routing:1', 'sla:sla:1', 'workflow:support:1']);
    expect(await count(sql`SELECT count(*) AS n FROM cases`)).toBe(5); // the demo's cases, once
    const printed = [a.output(), b.output()].filter((out) => out.includes('Casebook demo data created'));
    expect(printed).toHaveLength(1);
    expect(printed[0]).toContain('admin@casebook.test');
    for (const out of [a.output(), b.output()]) expect(out).not.toContain('"level":"error"');
    expect(fs.existsSync(path.join(dir, 'a', 'casebook.db'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'b', 'casebook.db'))).toBe(false);
  });

  it('are both ready, the database and its migrations checked on PostgreSQL', async () => {
    for (const server of [a, b]) {
      const ready = await fetch(`${server.url}/readyz`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
      const body = (await ready.json()) as { status: string; checks: Record<string, { status: string; latest?: string; applied?: number }> };
      expect(ready.status).toBe(200);
      expect(body.status).toBe('ready');
      const journal = journalEntries(PG_MIGRATIONS_DIR);
      expect(body.checks.migrations).toMatchObject({ status: 'ok', latest: journal.at(-1)!.tag, applied: journal.length });
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
    }
  });

  it('share their cases: an intake on A is read on B; an Idempotency-Key retried on B replays A’s answer', async () => {
    const intake = { customer: { email: 'rita@example.com', name: 'Rita' }, subject: 'My invoice is wrong', description: 'The April invoice has the wrong amount.' };
    const created = await fetch(`${a.url}/api/v1/cases`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json', 'Idempotency-Key': '"rita-1"' }, body: JSON.stringify(intake) });
    expect(created.status).toBe(201);
    const { id, queue } = (await created.json()) as { id: string; queue: string };
    expect(queue).toBe('billing');
    const read = await api(b, 'GET', `/cases/${id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id, subject: intake.subject, queue: 'billing' });

    const retried = await fetch(`${b.url}/api/v1/cases`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json', 'Idempotency-Key': '"rita-1"' }, body: JSON.stringify(intake) });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('Idempotent-Replayed')).toBe('true');
    expect(((await retried.json()) as { id: string }).id).toBe(id);
    const reused = await fetch(`${b.url}/api/v1/cases`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json', 'Idempotency-Key': '"rita-1"' }, body: JSON.stringify({ ...intake, subject: 'Another' }) });
    expect(reused.status).toBe(422);
    expect(await count(sql`SELECT count(*) AS n FROM cases WHERE subject = 'My invoice is wrong'`)).toBe(1);
    expect(await count(sql`SELECT count(*) AS n FROM idempotency_keys WHERE key = 'rita-1' AND response IS NOT NULL`)).toBe(1);
  });

  it('follow each other’s definitions: a ruleset published on A is used by B’s next intake', async () => {
    const zebra = { customer: { email: 'zed@example.com' }, subject: 'Zebra stripes missing', description: 'Where did they go?' };
    const before = (await (await api(b, 'POST', '/cases', zebra)).json()) as { tags: string[] };
    expect(before.tags).not.toContain('zebra');

    const current = (await (await api(a, 'GET', '/rulesets/routing')).json()) as { version: number; rules: unknown[] };
    const rule = { name: 'Zebras are tagged', conditions: { any: [{ fact: 'case', path: '$.subject', operator: 'textHasAnyWord', value: ['zebra'] }] }, event: { type: 'addTags', params: { tags: ['zebra'] } } };
    const published = await api(a, 'PUT', '/rulesets/routing', { rules: [...current.rules, rule], note: 'zebras' });
    expect(published.status).toBe(200);
    const { version } = (await published.json()) as { version: number };
    expect(version).toBe(current.version + 1);

    // B's registry reloads on A's relay signal (no restart, no request to B in between).
    await until(async () => ((await (await api(b, 'GET', '/rulesets/routing')).json()) as { version: number }).version === version, 'B to see the new version');
    const after = (await (await api(b, 'POST', '/cases', zebra)).json()) as { tags: string[] };
    expect(after.tags).toContain('zebra');

    const refused = await api(a, 'PUT', '/rulesets/routing', { rules: [{ name: 'broken', conditions: { any: [] }, event: { type: 'route', params: { queue: 'nowhere' } } }] });
    expect(refused.status).toBe(422);
    expect(await count(sql`SELECT count(*) AS n FROM definition_versions WHERE kind = 'ruleset' AND name = 'routing'`)).toBe(2);
  });
});

describe('live chat signals across instances', () => {
  const HOST = 'https://shop.example';
  let relay: PostgresRelay;
  let third: Services;
  let site: ChatSite;

  beforeAll(async () => {
    // A third instance in the test process: services on the same database with a relay of their own.
    relay = await postgresRelay(url);
    third = await createServicesOn(store, systemClock, { relay, channelsKey: parseChannelsKey(CHANNELS_KEY) });
    site = await createSite(third, { name: 'Shop', origins: HOST, queue: 'general' });
  });

  afterAll(async () => {
    await relay?.close();
  });

  async function startChat(server: RunningServer): Promise<{ token: string; session: number }> {
    const started = await fetch(`${server.url}/chat/api/sites/${site.id}/sessions`, { method: 'POST', headers: { Origin: server.url, 'Content-Type': 'application/json' }, body: JSON.stringify({ host: HOST, name: 'Vera', email: 'vera@example.com' }) });
    expect(started.status).toBe(201);
    const { token } = (await started.json()) as { token: string };
    const session = (await store.query((q) => q.get<{ id: number }>(sql`SELECT max(id) AS id FROM chat_sessions`)))!.id;
    return { token, session };
  }

  it('a visitor typing on A reaches the listeners of another instance', async () => {
    const { token, session } = await startChat(a);
    const heard: HubSignal[] = [];
    const unsubscribe = third.chat.hub.subscribe(session, (signal) => heard.push(signal));
    try {
      const typed = await fetch(`${a.url}/chat/api/typing`, { method: 'POST', headers: { Origin: a.url, Authorization: `Bearer ${token}` } });
      expect(typed.status).toBe(204);
      await until(async () => heard.length > 0, 'the typing signal');
      expect(heard[0]).toEqual({ kind: 'typing', who: 'visitor', name: 'Vera' });
    } finally {
      unsubscribe();
    }
  });

  it('a new line signalled by another instance wakes the visitor’s stream on B at once', async () => {
    const { token, session } = await startChat(b);
    const controller = new AbortController();
    const stream = await fetch(`${b.url}/chat/api/stream`, { headers: { Origin: b.url, Authorization: `Bearer ${token}`, Accept: 'text/event-stream' }, signal: controller.signal });
    expect(stream.status).toBe(200);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    const read = async (want: string) => {
      while (!seen.includes(want)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before ${want}`);
        seen += value;
      }
    };
    try {
      await read('event: ready');
      const started = Date.now();
      const seq = 1 + ((await store.query((q) => q.get<{ seq: number | null }>(sql`SELECT max(seq) AS seq FROM chat_messages WHERE session_id = ${session}`)))?.seq ?? 0);
      await store.write((q) => q.db.insert(q.tables.chatMessages).values({ sessionId: session, seq, author: 'agent', authorName: 'Ada', body: 'Hello from elsewhere', at: Date.now(), caseEventId: null }));
      third.chat.hub.publish(session, null, { kind: 'messages' });
      await read('Hello from elsewhere');
      // Woken by the signal, not by the stream's own re-read at its 20 s heartbeat.
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      controller.abort();
      await reader.cancel().catch(() => undefined);
    }
  });
});

describe('console mailboxes across instances', () => {
  let relay: PostgresRelay;
  let supervisor: MailboxSupervisor;

  beforeAll(async () => {
    // Another instance in the test process, reading the console mailboxes as main.ts does.
    relay = await postgresRelay(url);
    const services = await createServicesOn(store, systemClock, { relay, channelsKey: parseChannelsKey(CHANNELS_KEY) });
    supervisor = createMailboxSupervisor(services, { relay, poller: { retryMs: 60_000, maxRetryMs: 60_000, timeoutMs: 1_000 } });
    services.mailboxes = supervisor;
    await supervisor.start();
  });

  afterAll(async () => {
    await supervisor?.stop();
    await relay?.close();
  });

  it('a mailbox added, disabled, enabled and deleted through A or B is started and stopped on the others too', async () => {
    // Nobody listens on the port: the pollers only try to connect.
    const created = await api(a, 'POST', '/channels/mailboxes', { name: 'Sales', host: '127.0.0.1', port: await freePort(), tls: false, username: 'sales', password: 'imap-password-1', queue: 'general' });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = (await created.json()) as { id: number };
    await until(async () => supervisor.running().includes(id), 'the other instance to read the new mailbox');
    // Before, an instance kept reading a mailbox disabled (or deleted, or sent to another queue)
    // through another one, as it was, until it restarted.
    expect((await api(a, 'PATCH', `/channels/mailboxes/${id}`, { enabled: false })).status).toBe(200);
    await until(async () => !supervisor.running().includes(id), 'the other instance to stop reading the disabled mailbox');
    expect((await api(b, 'PATCH', `/channels/mailboxes/${id}`, { enabled: true })).status).toBe(200);
    await until(async () => supervisor.running().includes(id), 'the other instance to read it again');
    expect((await api(b, 'DELETE', `/channels/mailboxes/${id}`)).status).toBe(204);
    await until(async () => !supervisor.running().includes(id), 'the other instance to stop reading the deleted mailbox');
  });
});

describe('signals after commit on PostgreSQL (the chat hub’s afterCommit)', () => {
  it('runs once the outermost write has committed, never after a rollback', async () => {
    const ran: string[] = [];
    await store.write(async (q) => {
      await q.run(sql`INSERT INTO job_runs (job, scheduled_at, claimed_at, claimed_by) VALUES ('after-commit', 1, 1, 'test')`);
      store.afterCommit(() => ran.push('outer'));
      await store.write(async () => store.afterCommit(() => ran.push('nested')));
      await new Promise((resolve) => setImmediate(resolve)); // SQLite's old setImmediate would have fired here, before COMMIT
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(['outer', 'nested']);
    expect(await count(sql`SELECT count(*) AS n FROM job_runs WHERE job = 'after-commit'`)).toBe(1);
    await expect(
      store.write(async () => {
        store.afterCommit(() => ran.push('rolled back'));
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual(['outer', 'nested']);
  });
});

describe('start-up refusals on DATABASE_URL', () => {
  async function refused(databaseUrl: string): Promise<string> {
    const error = await startServer({ databasePath: path.join(dir, 'refused', 'casebook.db'), databaseUrl, timeoutMs: 30_000 }).then(
      async (server) => {
        await server.stop();
        throw new Error('the server started');
      },
      (e: Error) => e.message,
    );
    return error;
  }

  it('refuses a malformed URL with one line naming DATABASE_URL, the password hidden (main.ts prints a ConfigError as that one line)', () => {
    const refusal = (value: string) => {
      try {
        loadConfig({ DATABASE_URL: value });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error(`${value} was taken`);
    };
    expect(refusal('postgres://casebook:s3cret-pw@db.example.com:5432')).toMatch(/^DATABASE_URL names no database .*got "postgres:\/\/casebook:\*\*\*@db\.example\.com:5432"$/);
    expect(refusal('mysql://casebook:s3cret-pw@db.example.com/casebook')).toMatch(/^DATABASE_URL must start with postgres:\/\/ or postgresql:\/\/.*casebook:\*\*\*@/);
    expect(refusal('postgres://casebook:s3cret-pw@[::1/casebook')).toMatch(/^DATABASE_URL must be a PostgreSQL URL .*casebook:\*\*\*@/);
    for (const value of ['postgres://casebook:s3cret-pw@db.example.com:5432', 'mysql://casebook:s3cret-pw@db.example.com/casebook', 'postgres://casebook:s3cret-pw@[::1/casebook']) {
      expect(refusal(value)).not.toContain('s3cret-pw');
      expect(refusal(value)).not.toContain('\n');
    }
    expect(loadConfig({ DATABASE_URL: 'postgresql://casebook@db.example.com/casebook' }).databaseUrl).toBe('postgresql://casebook@db.example.com/casebook');
    expect(loadConfig({ DATABASE_URL: '' }).databaseUrl).toBeNull();
  });

  it('stops on an unreachable server with one line, the password hidden', async () => {
    const closed = new URL(url);
    closed.port = String(Number(closed.port) + 1); // nothing listens there
    closed.username = 'casebook';
    closed.password = 's3cret-pw';
    const message = await refused(closed.toString());
    const lines = message.split('\n').filter((line) => line.startsWith('Casebook cannot start'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DATABASE_URL.*cannot be reached.*ECONNREFUSED/);
    expect(message).not.toContain('s3cret-pw');
    expect(message).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('shutdown', () => {
  it('SIGTERM stops each server cleanly; the other keeps serving', async () => {
    expect(await a.stop()).toBe(0);
    const stillB = await api(b, 'GET', '/cases?limit=1');
    expect(stillB.status).toBe(200);
    expect(await b.stop()).toBe(0);
  });
});
