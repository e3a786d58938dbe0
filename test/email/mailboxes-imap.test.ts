/**
 * Console mailboxes against a real Dovecot: a mailbox added on `/manage/channels` is read at
 * once (no restart) and its mail becomes cases in its default queue; disabling it stops
 * reading; a wrong password shows as the mailbox's error on the console, and fixing it
 * recovers; "Test connection" reports what it found; the password is stored encrypted (the
 * database file's bytes never contain it) and never comes back in a page or an API answer.
 */
import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMailboxSupervisor, type MailboxSupervisor } from '../../src/channels/email/mailbox-supervisor.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createLogger } from '../../src/logger.js';
import { startDovecot, type Dovecot } from '../support/dovecot.js';
import type { Harness, TestActor } from '../support/harness.js';
import type { PageClient } from '../support/pages.js';
import { emailHarness, signedIn } from './support.js';

const PASSWORD = 'imap-Pa55word-7c1e9b';
const KEY = parseChannelsKey('9f'.repeat(32))!;

let dovecot: Dovecot;
beforeAll(async () => {
  dovecot = await startDovecot({ password: PASSWORD });
  for (const folder of ['Sales', 'Partners', 'Wrong']) {
    const client = await dovecot.connect();
    await client.mailboxCreate(folder).catch(() => undefined);
    await client.logout();
  }
}, 30_000);
afterAll(async () => {
  await dovecot?.stop();
});

let h: Harness;
let supervisor: MailboxSupervisor;
let admin: PageClient;
let logs: { level: string; msg: string; [key: string]: unknown }[];

/** `retry`: the pollers' waits after a failure (short, so a test sees retries soon). */
async function setUp(retry = { retryMs: 50, maxRetryMs: 200 }): Promise<void> {
  logs = [];
  h = emailHarness({}, { channelsKey: KEY, logger: createLogger('debug', (line) => logs.push(JSON.parse(line) as (typeof logs)[number])) });
  h.queue('sales');
  h.queue('partners');
  supervisor = createMailboxSupervisor(h.services, { poller: { ...retry, timeoutMs: 5000 } });
  h.services.mailboxes = supervisor;
  await supervisor.start();
  const actor: TestActor = h.agent({ role: 'admin', name: 'Adam Admin' });
  admin = signedIn(h, actor);
}

afterEach(async () => {
  await supervisor?.stop();
  h?.close();
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${dovecot.log().slice(-1500)}\n${JSON.stringify(logs.slice(-8))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let serial = 0;
function mail(subject: string, from = 'pat@example.com'): string {
  serial += 1;
  return [`From: Pat Doe <${from}>`, 'To: sales@example.com', `Subject: ${subject}`, `Message-ID: <console-${Date.now()}-${serial}@mail.example.com>`, 'Content-Type: text/plain; charset=UTF-8', '', `About: ${subject}.`, ''].join('\r\n');
}

function form(overrides: Record<string, string> = {}): Record<string, string> {
  return { name: 'Sales', host: '127.0.0.1', port: String(dovecot.port), tls: 'starttls', username: dovecot.user, password: PASSWORD, path: 'Sales', queue: 'sales', processed: 'seen', moveFolder: '', pollSeconds: '60', enabled: 'on', ...overrides };
}

/** Adds a mailbox through the console form, as an admin would; returns its id. */
async function addThroughConsole(overrides: Record<string, string> = {}): Promise<number> {
  const res = await admin.post('/manage/channels/mailboxes', form(overrides));
  expect(res.status, await res.clone().text()).toBe(303);
  const id = Number(/\/manage\/channels\/mailboxes\/(\d+)\?done=mailbox-created/.exec(res.headers.get('Location') ?? '')?.[1]);
  expect(id).toBeGreaterThan(0);
  return id;
}

const row = async (id: number) => (await h.query((q) => q.db.select().from(q.tables.mailboxes).where(eq(q.tables.mailboxes.id, id))))[0]!;
const casesIn = (queue: string) => h.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.queueId, queue)).orderBy(q.tables.cases.id));

/**
 * What the database holds, by where: SQLite's file and WAL, byte for byte (after a checkpoint);
 * on PostgreSQL, whose files are the cluster's, every row of every table as text.
 */
async function storedBytes(): Promise<[string, Buffer][]> {
  if (h.dialect === 'sqlite') {
    h.db.$client.pragma('wal_checkpoint(TRUNCATE)');
    return [h.dbPath, `${h.dbPath}-wal`].filter((file) => fs.existsSync(file)).map((file) => [file, fs.readFileSync(file)]);
  }
  const tables = await h.all<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'");
  expect(tables.map((t) => t.name)).toContain('mailboxes');
  const out: [string, Buffer][] = [];
  for (const { name } of tables) out.push([name, Buffer.from((await h.all<{ line: string }>(`SELECT t::text AS line FROM "${name}" t`)).map((r) => r.line).join('\n'), 'utf8')]);
  return out;
}

async function unseenSubjects(folder: string): Promise<string[]> {
  const client = await dovecot.connect();
  try {
    const lock = await client.getMailboxLock(folder);
    try {
      const out: string[] = [];
      if (client.mailbox && client.mailbox.exists > 0) {
        for await (const m of client.fetch('1:*', { flags: true, envelope: true })) if (!m.flags?.has('\\Seen')) out.push(m.envelope?.subject ?? '');
      }
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

describe('console mailboxes, read from a real IMAP server', () => {
  it('a mailbox added on the console is read at once: its mail becomes cases in its default queue, unless a rule routes elsewhere', async () => {
    await setUp();
    const id = await addThroughConsole();
    await until(async () => (await row(id)).status === 'idle', 'the new mailbox waiting for mail');
    expect((await row(id)).statusText).toMatch(/Waiting for new mail in Sales \(IDLE/);

    await dovecot.deliver(mail('Question about our contract'), 'Sales');
    await dovecot.deliver(mail('Refund for a double charge on the invoice'), 'Sales');
    await until(async () => (await h.query((q) => q.db.select().from(q.tables.cases).orderBy(q.tables.cases.id))).length === 2, 'two cases');
    const [neutral, billing] = await h.query((q) => q.db.select().from(q.tables.cases).orderBy(q.tables.cases.id));
    expect(neutral).toMatchObject({ channel: 'email', queueId: 'sales', subject: 'Question about our contract' });
    expect(neutral!.routing?.input.defaultQueue).toBe('sales');
    expect(neutral!.routing?.input.event).toEqual({ mailbox: 'Sales', type: 'case.created' });
    // The routing rules still route: billing words go to billing whichever mailbox they came to.
    expect(billing).toMatchObject({ queueId: 'billing' });
    expect(await h.query((q) => q.db.select().from(q.tables.inboundMail).orderBy(q.tables.inboundMail.id))).toEqual([
      expect.objectContaining({ via: 'imap', mailboxId: id, outcome: 'created', mailbox: `imap://${dovecot.user}@127.0.0.1:${dovecot.port}/Sales` }),
      expect.objectContaining({ via: 'imap', mailboxId: id, outcome: 'created' }),
    ]);
    await until(async () => (await row(id)).lastMailAt !== null, 'the last mail recorded');

    // The console shows the mailbox, its status and its mail in the log, named.
    const html = await (await admin.get('/manage/channels')).text();
    expect(html).toContain('href="/manage/channels/mailboxes/' + id + '"');
    expect(html).toMatch(/badge-ok">(idle|connected)</);
    expect(html).toContain('imap · Sales');
    expect(html).toContain('Question about our contract');
    expect(html).not.toContain(PASSWORD);
    const filtered = await (await admin.get(`/manage/channels?mailbox=${id}&outcome=created`, { htmx: true })).text();
    expect(filtered.match(/badge-ok">created</g)?.length).toBe(2);
    expect(filtered).not.toContain('badge-muted">ignored<');
    expect(await casesIn('sales')).toHaveLength(1);

    // Deleted: its poller stops first, the row goes, its log lines stay (with its URL, without the link).
    const deleted = await admin.post(`/manage/channels/mailboxes/${id}/delete`);
    expect(deleted.headers.get('Location')).toBe('/manage/channels?done=mailbox-deleted');
    await supervisor.settled();
    expect(supervisor.running()).toEqual([]);
    expect(await h.query((q) => q.db.select().from(q.tables.mailboxes).orderBy(q.tables.mailboxes.id))).toEqual([]);
    expect((await h.query((q) => q.db.select().from(q.tables.inboundMail).orderBy(q.tables.inboundMail.id))).map((l) => [l.mailboxId, l.mailbox])).toEqual([
      [null, `imap://${dovecot.user}@127.0.0.1:${dovecot.port}/Sales`],
      [null, `imap://${dovecot.user}@127.0.0.1:${dovecot.port}/Sales`],
    ]);
    expect(await (await admin.get('/manage/channels?done=mailbox-deleted')).text()).toContain('Mailbox deleted.');
  });

  it('disabling a mailbox stops reading it (another mailbox goes on); enabling it reads what arrived meanwhile', async () => {
    await setUp();
    const sales = await addThroughConsole();
    const partners = await addThroughConsole({ name: 'Partners', path: 'Partners', queue: 'partners' });
    await until(async () => (await row(sales)).status === 'idle' && (await row(partners)).status === 'idle', 'both mailboxes reading');

    expect((await admin.post(`/manage/channels/mailboxes/${sales}/disable`)).status).toBe(303);
    await supervisor.settled();
    expect(supervisor.running()).toEqual([partners]);
    expect(await row(sales)).toMatchObject({ enabled: false, status: 'stopped', statusText: 'Disabled' });

    await dovecot.deliver(mail('Sent while Sales is disabled'), 'Sales');
    await dovecot.deliver(mail('Sent to partners meanwhile'), 'Partners');
    // The partners mailbox files its mail; in that time a running Sales poller (IDLE) would have filed its own.
    await until(async () => (await casesIn('partners')).length === 1, 'the partners case');
    expect(await casesIn('sales')).toEqual([]);
    expect(await unseenSubjects('Sales')).toContain('Sent while Sales is disabled');

    expect((await admin.post(`/manage/channels/mailboxes/${sales}/enable`)).status).toBe(303);
    await until(async () => (await casesIn('sales')).length === 1, 'the sales case after enabling');
    expect((await casesIn('sales'))[0]!.subject).toBe('Sent while Sales is disabled');
  });

  it('a wrong password shows as the mailbox error on the console and is retried; entering the right one recovers', async () => {
    // Waits long enough that the console, read after the first failure, sees the error (not the next attempt's "connecting").
    await setUp({ retryMs: 3000, maxRetryMs: 3000 });
    const id = await addThroughConsole({ name: 'Wrong', path: 'Wrong', password: 'not-the-password' });
    await until(async () => (await row(id)).status === 'error', 'the error status');
    expect((await row(id)).statusText).toMatch(/^Login refused: wrong user name or password.*Retrying in/);
    const html = await (await admin.get('/manage/channels')).text();
    expect(html).toContain('badge-danger">error<');
    expect(html).toContain('Login refused: wrong user name or password');
    expect(logs.some((l) => l.level === 'error' && l.msg.includes('IMAP mailbox failed') && String(l.mailbox).endsWith('/Wrong'))).toBe(true);

    const test = await (await admin.post(`/manage/channels/mailboxes/${id}/test`, {}, { htmx: true })).text();
    expect(test).toContain('Connection failed: Login refused');

    const fixed = await admin.post(`/manage/channels/mailboxes/${id}`, form({ name: 'Wrong', path: 'Wrong', password: PASSWORD }));
    expect(fixed.status).toBe(303);
    await until(async () => (await row(id)).status === 'idle', 'the mailbox reading after the fix');
    await dovecot.deliver(mail('After the credentials were corrected'), 'Wrong');
    await until(async () => (await casesIn('sales')).some((c) => c.subject === 'After the credentials were corrected'), 'the case');
  });

  it('"Test connection" logs in and reports the folder, for a saved mailbox and for the form before saving', async () => {
    await setUp();
    await dovecot.deliver(mail('Already there'), 'Partners');
    const id = await addThroughConsole({ name: 'Partners', path: 'Partners', queue: 'partners', enabled: '' });
    const saved = await (await admin.post(`/manage/channels/mailboxes/${id}/test`, {}, { htmx: true })).text();
    expect(saved).toContain('Connection works.');
    expect(saved).toMatch(/Partners: \d+ messages, \d+ unread\. The server has IDLE/);

    // The form's button (htmx): only the result comes back, the typed password stays in the browser.
    const typed = await admin.post('/manage/channels/mailboxes', { ...form({ path: 'Nope' }), intent: 'test' }, { htmx: true });
    const typedHtml = await typed.text();
    expect(typed.status).toBe(200);
    expect(typedHtml).toContain('no folder &quot;Nope&quot;');
    expect(typedHtml).toContain('Partners');
    expect(typedHtml).not.toContain(PASSWORD);
    expect(await h.query((q) => q.db.select().from(q.tables.mailboxes).orderBy(q.tables.mailboxes.id))).toHaveLength(1);

    // Without JavaScript: the whole form again, without the password.
    const plain = await (await admin.post('/manage/channels/mailboxes', { ...form(), intent: 'test' })).text();
    expect(plain).toContain('Connection works.');
    expect(plain).toContain('id="mailbox-password"');
    expect(plain).not.toContain(PASSWORD);
  });

  it('stores the password encrypted: the database bytes never contain it, nor do pages and API answers', async () => {
    await setUp();
    const id = await addThroughConsole();
    await until(async () => (await row(id)).status === 'idle', 'the mailbox reading (so the password was decrypted and works)');
    expect((await row(id)).passwordSealed).toMatch(/^v1\.[0-9a-f]{8}\./);
    for (const [where, bytes] of await storedBytes()) {
      expect(bytes.includes(Buffer.from(PASSWORD, 'utf8')), where).toBe(false);
      expect(bytes.includes(Buffer.from(PASSWORD, 'utf16le')), where).toBe(false);
    }
    const page = await (await admin.get(`/manage/channels/mailboxes/${id}`)).text();
    expect(page).toContain('••• set');
    expect(page).not.toContain(PASSWORD);
    expect(page).toMatch(/<input type="password" value="" id="mailbox-password"/);
    const api = await h.api('GET', '/api/v1/channels/mailboxes', { token: h.tokenFor({ type: 'system', id: null }) });
    const text = await api.text();
    expect(text).not.toContain(PASSWORD);
    expect(JSON.parse(text)).toEqual([expect.objectContaining({ id, passwordSet: true, status: expect.objectContaining({ state: 'idle' }) })]);
  });
});
