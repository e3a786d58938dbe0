/**
 * The real server with CHANNELS_KEY: a mailbox added through the API while it runs is read at
 * once (no restart) into its default queue; SIGTERM stops its poller cleanly (exit code 0,
 * status "stopped"); started again with another key, the server runs, says at start-up that
 * the mailbox's password cannot be opened, and shows it as the mailbox's error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../support/dovecot.js';
import { get as getRow } from '../../src/db/store/rows.js';
import { ADMIN_TOKEN } from '../support/harness.js';
import { startServer, type RunningServer } from '../support/server.js';
import { serverDatabase, type ServerDatabase } from './support.js';

const PASSWORD = 'server-imap-Pw-4410';
const KEY = 'ab'.repeat(32);
const OTHER_KEY = 'a passphrase that is not the key';

let dovecot: Dovecot;
let database: ServerDatabase | undefined;
beforeAll(async () => {
  dovecot = await startDovecot({ password: PASSWORD });
  const client = await dovecot.connect();
  await client.mailboxCreate('Sales').catch(() => undefined);
  await client.logout();
}, 30_000);
afterAll(async () => {
  await dovecot?.stop();
  await database?.drop();
});

function api(server: RunningServer, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, server: RunningServer, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}\n${server.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type MailboxJson = { id: number; status: { state: string; text: string | null; lastMailAt: string | null } };

describe('the server reading console mailboxes', () => {
  it('reads a mailbox added while it runs, stops it on SIGTERM, and after a key change says why it cannot read it', async () => {
    // The demo's queues (standardQueues) and sales.
    database = await serverDatabase({ general: 1, billing: 1, technical: 1, advanced: 2, sales: 1 });
    const { databasePath, databaseUrl } = database;
    const env = { SUPPORT_ADDRESS: 'support@example.com', LOG_LEVEL: 'info', CHANNELS_KEY: KEY };

    const server = await startServer({ databasePath, ...(databaseUrl ? { databaseUrl } : {}), env });
    let id: number;
    try {
      const created = await api(server, 'POST', '/api/v1/channels/mailboxes', { name: 'Sales', host: '127.0.0.1', port: dovecot.port, tls: false, username: dovecot.user, password: PASSWORD, path: 'Sales', queue: 'sales' });
      expect(created.status, await created.clone().text()).toBe(201);
      id = ((await created.json()) as { id: number }).id;
      await dovecot.deliver(['From: Pat <pat@example.com>', 'To: sales@example.com', 'Subject: Volume pricing', 'Message-ID: <server-console-1@mail.example.com>', '', 'What does a bigger plan cost?', ''].join('\r\n'), 'Sales');
      const list = await until(
        async () => (await (await api(server, 'GET', '/api/v1/cases?queue=sales')).json()) as { items: { subject: string }[] },
        (v) => v.items.length === 1,
        'the case in the sales queue',
        server,
      );
      expect(list.items[0]!.subject).toBe('Volume pricing');
      const [mailbox] = await until(
        async () => (await (await api(server, 'GET', '/api/v1/channels/mailboxes')).json()) as MailboxJson[],
        (v) => v[0]?.status.lastMailAt !== null && v[0]?.status.state === 'idle',
        'the status after the mail',
        server,
      );
      expect(mailbox!.status.text).toMatch(/Waiting for new mail in Sales/);
    } finally {
      const code = await server.stop();
      expect(code, server.output()).toBe(0);
    }
    expect(server.output()).not.toContain(PASSWORD);
    expect(await database.query((q) => getRow(q, 'SELECT status, status_text FROM mailboxes WHERE id = ?', [id]))).toEqual({ status: 'stopped', status_text: 'Not running: Casebook stopped' });

    const again = await startServer({ databasePath, ...(databaseUrl ? { databaseUrl } : {}), env: { ...env, CHANNELS_KEY: OTHER_KEY } });
    try {
      expect(again.output()).toContain('channels: the mailbox \\"Sales\\" is not read: its password cannot be opened');
      expect(again.output()).toMatch(/another CHANNELS_KEY \(key id [0-9a-f]{8}; the current key's id is [0-9a-f]{8}\)/);
      // The supervisor logs, then writes the status (not awaited): on PostgreSQL the read may come first.
      const [mailbox] = await until(
        async () => (await (await api(again, 'GET', '/api/v1/channels/mailboxes')).json()) as MailboxJson[],
        (v) => v[0]?.status.state === 'error',
        'the status after the key change',
        again,
      );
      expect(mailbox!.status).toMatchObject({ state: 'error', text: expect.stringContaining('another CHANNELS_KEY') });
      expect((await fetch(`${again.url}/health`)).status).toBe(200);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  }, 90_000);
});
