/**
 * Console mailboxes without a mail server: the API (admins), validation against what is
 * stored, the password write-only and sealed, no CHANNELS_KEY → nothing stored, the
 * supervisor told of every change, managers reading the console without changing it, and a
 * password that cannot be opened at start-up (no key, another key, altered) reported clearly.
 */
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { startImapPoller } from '../../src/channels/email/imap.js';
import { createMailboxSupervisor } from '../../src/channels/email/mailbox-supervisor.js';
import { parseChannelsKey, type ChannelsKey } from '../../src/channels/secrets.js';
import { createLogger } from '../../src/logger.js';
import { createServicesOn } from '../../src/compose.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN_TOKEN, type Harness } from '../support/harness.js';
import { emailHarness, signedIn } from './support.js';

const KEY = parseChannelsKey('11'.repeat(32))!;
const OTHER_KEY = parseChannelsKey('22'.repeat(32))!;
const PASSWORD = 'app-password-Zq81-unique';

let h: Harness;
let changed: number[];
afterEach(() => h?.close());

function setUp(key: ChannelsKey | null = KEY, imapUrl?: string): void {
  h = emailHarness(imapUrl ? { imap: { url: imapUrl, processed: { kind: 'seen' }, pollSeconds: 60 } } : {}, { channelsKey: key });
  h.queue('sales');
  changed = [];
  h.services.mailboxes = { changed: (id) => changed.push(id), release: async (id) => void changed.push(-id) };
}

const body = (overrides: Record<string, unknown> = {}) => ({ name: 'Sales', host: 'imap.example.com', username: 'sales@example.com', password: PASSWORD, queue: 'sales', ...overrides });
const post = (b: unknown, token = ADMIN_TOKEN) => h.api('POST', '/api/v1/channels/mailboxes', { token, body: b });
const patch = (id: number, b: unknown) => h.api('PATCH', `/api/v1/channels/mailboxes/${id}`, { token: ADMIN_TOKEN, body: b });
const row = async (id: number) => (await h.query((q) => q.db.select().from(q.tables.mailboxes).where(eq(q.tables.mailboxes.id, id))))[0]!;
const allMailboxes = () => h.query((q) => q.db.select().from(q.tables.mailboxes).orderBy(q.tables.mailboxes.id));

describe('the mailboxes API', () => {
  it('adds a mailbox with defaults, answers without the password, seals it, and tells the supervisor', async () => {
    setUp();
    const res = await post(body());
    const text = await res.text();
    expect(res.status, text).toBe(201);
    expect(text).not.toContain(PASSWORD);
    const created = JSON.parse(text) as Record<string, unknown>;
    expect(created).toMatchObject({ name: 'Sales', host: 'imap.example.com', port: 993, tls: true, path: 'INBOX', queue: 'sales', processed: 'seen', pollSeconds: 60, enabled: true, passwordSet: true, url: 'imaps://sales%40example.com@imap.example.com:993/INBOX' });
    expect(created).not.toHaveProperty('password');
    const id = created.id as number;
    expect((await row(id)).passwordSealed).toMatch(new RegExp(`^v1\\.${KEY.id}\\.`));
    expect((await row(id)).passwordSealed).not.toContain(PASSWORD);
    expect(changed).toEqual([id]);

    const list = await h.api('GET', '/api/v1/channels/mailboxes', { token: ADMIN_TOKEN });
    expect(await list.json()).toEqual([expect.objectContaining({ id, passwordSet: true })]);
  });

  it('refuses, with every field path: an unknown or inactive queue, a taken name, a folder another mailbox or IMAP_URL reads, bad values', async () => {
    setUp(KEY, 'imaps://support%40example.com:pw@imap.example.com/INBOX');
    await h.services.store.write((q) => q.db.insert(q.tables.mailboxes).values({ name: 'Existing', host: 'mail.example.com', port: 993, tls: true, username: 'x', path: 'INBOX', queueId: 'sales', createdAt: 0, updatedAt: 0 }));
    const problems = async (b: unknown) => {
      const res = await post(b);
      expect(res.status).toBe(422);
      return ((await res.json()) as { errors: { path: string; message: string }[] }).errors.map((i) => `${i.path}: ${i.message}`);
    };
    expect(await problems(body({ queue: 'nope' }))).toEqual(['queue: no queue "nope"']);
    expect(await problems(body({ name: 'existing' }))).toEqual(['name: another mailbox has this name']);
    expect(await problems(body({ host: 'MAIL.example.com', username: 'x' }))).toEqual(['path: the mailbox "Existing" already reads this folder of this account']);
    expect(await problems(body({ username: 'support@example.com', port: 993 }))).toEqual(['path: IMAP_URL already reads this folder of this account']);
    expect(await problems(body({ host: 'bad host!', port: 70000, processed: 'delete', pollSeconds: 0, password: '' }))).toEqual([
      'host: a host name such as imap.example.com, or an IP address',
      'port: a port number (1–65535)',
      'password: required',
      'processed: seen, or move:Folder (e.g. move:Casebook/Done)',
      'pollSeconds: 1 to 86400 seconds',
    ]);
    expect(await problems({ ...body(), password: undefined })).toEqual(['password: required']);
    expect(await allMailboxes()).toHaveLength(1);
    expect(changed).toEqual([]);
  });

  it('without CHANNELS_KEY stores nothing: 409 CHANNELS_KEY_MISSING, and the console says why', async () => {
    setUp(null);
    const res = await post(body());
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'CHANNELS_KEY_MISSING', detail: expect.stringContaining('never stores them in plain text') });
    expect(await allMailboxes()).toEqual([]);

    const admin = signedIn(h, h.agent({ role: 'admin' }));
    const page = await (await admin.get('/manage/channels')).text();
    expect(page).toContain('CHANNELS_KEY is not set on the server');
    expect(page).not.toContain('id="new-mailbox"');
    const form = await admin.post('/manage/channels/mailboxes', { name: 'Sales', host: 'imap.example.com', tls: 'tls', username: 'u', password: PASSWORD, path: 'INBOX', queue: 'sales', processed: 'seen', pollSeconds: '60', enabled: 'on' });
    expect(form.status).toBe(422);
    const html = await form.text();
    expect(html).toMatch(/id="mailbox-password-error">CHANNELS_KEY is not set on the server/);
    expect(html).not.toContain(PASSWORD);
    expect(await allMailboxes()).toEqual([]);
  });

  it('changes only what is given; a new password replaces the old; another server or user name needs the password again', async () => {
    setUp();
    const id = ((await (await post(body())).json()) as { id: number }).id;
    const sealed = (await row(id)).passwordSealed;

    const renamed = await patch(id, { name: 'Sales EU', pollSeconds: 30, processed: 'move:Casebook/Done' });
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toMatchObject({ name: 'Sales EU', pollSeconds: 30, processed: 'move:Casebook/Done', host: 'imap.example.com', passwordSet: true });
    expect((await row(id)).passwordSealed).toBe(sealed);

    const moved = await patch(id, { host: 'evil.example.net' });
    expect(moved.status).toBe(422);
    expect(await moved.json()).toMatchObject({ errors: [{ path: 'password', message: expect.stringContaining('enter the password again') }] });
    expect((await patch(id, { tls: false })).status).toBe(422);
    expect((await row(id)).host).toBe('imap.example.com');

    const replaced = await patch(id, { host: 'imap2.example.com', password: 'the-new-one-123' });
    expect(replaced.status).toBe(200);
    expect((await row(id)).passwordSealed).not.toBe(sealed);
    expect(await row(id)).toMatchObject({ host: 'imap2.example.com', port: 993 });

    expect((await patch(id, { tls: false, password: 'x' })).status).toBe(200);
    expect(await row(id)).toMatchObject({ tls: false, port: 143 });
    expect((await patch(999, { name: 'x' })).status).toBe(404);
    expect((await patch(id, { bogus: 1 })).status).toBe(422);
    expect(changed).toEqual([id, id, id, id]);
  });

  it('deletes a mailbox; its log lines stay, without the link', async () => {
    setUp();
    const id = ((await (await post(body())).json()) as { id: number }).id;
    await h.services.store.write((q) => q.db.insert(q.tables.inboundMail).values({ messageId: 'm1@x', via: 'imap', mailbox: 'imaps://x@y:993/INBOX', mailboxId: id, size: 10, outcome: 'ignored', reason: 'malformed', receivedAt: 1 }));
    expect((await h.api('DELETE', `/api/v1/channels/mailboxes/${id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    expect(await allMailboxes()).toEqual([]);
    expect(await h.query((q) => q.db.select().from(q.tables.inboundMail))).toEqual([expect.objectContaining({ messageId: 'm1@x', mailboxId: null, mailbox: 'imaps://x@y:993/INBOX' })]);
    expect((await h.api('DELETE', `/api/v1/channels/mailboxes/${id}`, { token: ADMIN_TOKEN })).status).toBe(404);
    // Created; its poller released before the row went; told it is gone.
    expect(changed).toEqual([id, -id, id]);
  });
});

describe('the console for managers', () => {
  it('shows mailboxes, settings and the log read-only; the forms are for admins', async () => {
    setUp();
    const id = ((await (await post(body())).json()) as { id: number }).id;
    await h.services.store.write((q) => q.db.insert(q.tables.inboundMail).values({ messageId: 'bad@x', via: 'smtp', size: 10, fromAddress: 'x@example.com', subject: 'Broken MIME', outcome: 'ignored', reason: 'malformed', receivedAt: h.clock.now() }));
    const manager = signedIn(h, h.agent({ role: 'manager' }));
    const page = await (await manager.get('/manage/channels')).text();
    expect(page).toContain('Sales');
    expect(page).not.toContain('id="new-mailbox"');
    expect(page).toContain('SMTP receiver');
    expect(page).toContain('/api/v1/inbound/email');
    expect(page).toContain(`set (key id ${KEY.id}`);
    expect(page).toContain('Broken MIME');
    expect(page).toContain('badge-warning">malformed<');
    // A mail the IMAP poller set aside after repeated failures stands out with its reason (src/channels/email/imap.ts).
    await h.services.store.write((q) => q.db.insert(q.tables.inboundMail).values({ messageId: 'poison@x', via: 'imap', size: 10, fromAddress: 'y@example.com', subject: 'Set aside', outcome: 'ignored', reason: 'failed after 5 attempts: value too long', receivedAt: h.clock.now() }));
    expect(await (await manager.get('/manage/channels')).text()).toContain('badge-warning">failed after 5 attempts: value too long<');
    const detail = await (await manager.get(`/manage/channels/mailboxes/${id}`)).text();
    expect(detail).toContain('••• set');
    expect(detail).not.toContain('id="mailbox-form"');
    expect((await manager.get('/manage/channels/mailboxes/new')).status).toBe(403);
    expect((await manager.post(`/manage/channels/mailboxes/${id}/disable`)).status).toBe(403);
    expect((await row(id)).enabled).toBe(true);

    // The log filter: ignored mail only (htmx: the results alone).
    const ignored = await (await manager.get('/manage/channels?outcome=ignored', { htmx: true })).text();
    expect(ignored).toContain('Broken MIME');
    expect(ignored).not.toContain('<html');
    expect(await (await manager.get('/manage/channels?outcome=created', { htmx: true })).text()).toContain('No mail matches.');
    // The status section refreshes itself.
    const status = await (await manager.get('/manage/channels', { htmx: true, headers: { 'HX-Target': 'mailboxes' } })).text();
    expect(status).toMatch(/^<section[^>]*id="mailboxes"/);
  });
});

describe('a server that cannot be reached', () => {
  it('shows the reason as the mailbox error and retries with growing waits, the reason kept while it reconnects', async () => {
    setUp();
    const net = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const id = ((await (await post(body({ host: '127.0.0.1', port, tls: false }))).json()) as { id: number }).id;
    // The row is read every few ms and each error stays until its retry: the waits are long
    // enough (200 ms and more) that a read on a loaded machine does not miss one (50 ms once did, on PostgreSQL).
    const supervisor = createMailboxSupervisor(h.services, { poller: { retryMs: 200, maxRetryMs: 800 } });
    const seen: string[] = [];
    h.services.mailboxes = supervisor;
    await supervisor.start();
    try {
      const deadline = Date.now() + 10_000;
      while (!seen.some((t) => t.includes('Retrying in 800 ms')) && Date.now() < deadline) {
        const r = await row(id);
        const text = `${r.status}: ${r.statusText}`;
        if (seen.at(-1) !== text) seen.push(text);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(seen).toContainEqual(expect.stringMatching(/^error: Connection refused: nothing listens on that host and port .*Retrying in 200 ms\.$/));
      expect(seen).toContainEqual(expect.stringMatching(/^error: Connection refused.*Retrying in 400 ms\.$/));
      expect(seen).toContainEqual(expect.stringMatching(/^error: Connection refused.*Retrying in 800 ms\.$/));
    } finally {
      await supervisor.stop();
    }
    expect(await row(id)).toMatchObject({ status: 'stopped', statusText: 'Not running: Casebook stopped' });

    // Every status the poller reports: reconnecting keeps the last failure in view.
    const reports: string[] = [];
    const poller = startImapPoller(h.services, { url: `imap://u:p@127.0.0.1:${port}/INBOX`, processed: { kind: 'seen' }, pollSeconds: 60 }, { retryMs: 20, maxRetryMs: 40, onStatus: (st) => reports.push(`${st.state}: ${st.text}`) });
    const until = Date.now() + 10_000;
    while (reports.filter((r) => r.startsWith('connecting:')).length < 3 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    await poller.stop();
    expect(reports[0]).toBe(`connecting: Connecting to 127.0.0.1:${port}`);
    expect(reports[1]).toMatch(/^error: Connection refused/);
    expect(reports[2]).toMatch(new RegExp(`^connecting: Connecting to 127\\.0\\.0\\.1:${port} again; the last attempt failed: Connection refused`));
  });
});

describe('passwords that cannot be opened at start-up', () => {
  /** Casebook started again on the same database (new services), with `key`. */
  async function restartWith(key: ChannelsKey | null) {
    const lines: { level: string; msg: string; [k: string]: unknown }[] = [];
    const services = await createServicesOn(h.services.store, new ManualClock(h.clock.now()), { channelsKey: key, logger: createLogger('info', (l) => lines.push(JSON.parse(l) as (typeof lines)[number])) });
    const supervisor = createMailboxSupervisor(services);
    await supervisor.start();
    return { services, supervisor, lines };
  }

  it.each([
    ['another CHANNELS_KEY', OTHER_KEY, /another CHANNELS_KEY \(key id [0-9a-f]{8}; the current key's id is [0-9a-f]{8}\)/],
    ['no CHANNELS_KEY', null, /CHANNELS_KEY is not set on the server/],
  ])('%s: the mailbox is not read, the log says why at start-up and the console shows it', async (_name, key, message) => {
    setUp();
    const id = ((await (await post(body())).json()) as { id: number }).id;
    const { services, supervisor, lines } = await restartWith(key);
    try {
      await supervisor.settled();
      expect(supervisor.running()).toEqual([]);
      expect(lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'channels: the mailbox "Sales" is not read: its password cannot be opened', at: 'start-up', error: expect.stringMatching(message) }));
      expect(await row(id)).toMatchObject({ status: 'error', statusText: expect.stringMatching(message) });
    } finally {
      await supervisor.stop();
      services.outbox.stop();
    }
  });

  it('an altered password is refused, never used', async () => {
    setUp();
    const id = ((await (await post(body())).json()) as { id: number }).id;
    const sealed = (await row(id)).passwordSealed!;
    const parts = sealed.split('.');
    parts[4] = Buffer.from('x'.repeat(Buffer.from(parts[4]!, 'base64url').length)).toString('base64url');
    await h.services.store.write((q) => q.db.update(q.tables.mailboxes).set({ passwordSealed: parts.join('.') }).where(eq(q.tables.mailboxes.id, id)));
    const { services, supervisor, lines } = await restartWith(KEY);
    try {
      await supervisor.settled();
      expect(supervisor.running()).toEqual([]);
      expect(await row(id)).toMatchObject({ status: 'error', statusText: expect.stringContaining('failed its integrity check') });
      expect(lines.some((l) => l.level === 'error' && l.reason === 'tampered')).toBe(true);
    } finally {
      await supervisor.stop();
      services.outbox.stop();
    }
  });
});
