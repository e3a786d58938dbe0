/**
 * The real server with IMAP_URL set: it reads the mailbox from start-up, files its mail, and
 * stops cleanly (exit code 0, the IMAP session logged out) on SIGTERM while waiting in IDLE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type Dovecot } from '../support/dovecot.js';
import { ADMIN_TOKEN } from '../support/harness.js';
import { startServer } from '../support/server.js';
import { serverDatabase, type ServerDatabase } from './support.js';

let dovecot: Dovecot;
let database: ServerDatabase | undefined;
beforeAll(async () => {
  dovecot = await startDovecot();
}, 30_000);
afterAll(async () => {
  await dovecot?.stop();
  await database?.drop();
});

const raw = [
  'From: Chloe Martin <chloe@example.com>',
  'To: Casebook Support <support@example.com>',
  'Subject: Printer on fire',
  'Message-ID: <server-imap-1@mail.example.com>',
  'Content-Type: text/plain; charset="UTF-8"',
  '',
  'Hello, the printer is on fire.',
  '',
].join('\r\n');

describe('the server reading IMAP_URL', () => {
  it('files mail from the mailbox and stops cleanly on SIGTERM', async () => {
    database = await serverDatabase();
    const server = await startServer({
      databasePath: database.databasePath,
      ...(database.databaseUrl ? { databaseUrl: database.databaseUrl } : {}),
      env: { IMAP_URL: dovecot.url(), IMAP_POLL_SECONDS: '60', SUPPORT_ADDRESS: 'support@example.com', LOG_LEVEL: 'info' },
    });
    try {
      await dovecot.deliver(raw);
      const deadline = Date.now() + 15_000;
      let body = '';
      while (!body.includes('Printer on fire') && Date.now() < deadline) {
        const res = await fetch(`${server.url}/api/v1/cases`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
        body = await res.text();
        if (!body.includes('Printer on fire')) await new Promise((r) => setTimeout(r, 100));
      }
      expect(body).toContain('Printer on fire');
      expect(server.output()).toContain('reading IMAP mailbox');
      expect(server.output()).not.toContain(dovecot.password);
    } finally {
      const code = await server.stop();
      expect(code, server.output()).toBe(0);
    }
    expect(dovecot.log()).toMatch(/Disconnected: Logged out/);
  }, 60_000);
});
