/**
 * The "chanadm" lane on PostgreSQL (docs/postgres.md, "Converted: channel administration and
 * chat sessions"): a harness seeded on SQLite (queues, people, a chat case made by the chat
 * commands that still run there, a few mail log lines), moved to PostgreSQL; then console
 * mailboxes (create, change, disable, delete, with the sealed password and the audit rows),
 * the supervisor's reads and status writes, IMAP checkpoints, the mail log page, chat sites,
 * a session started by the widget, its lines and stream, and the case's chat read back
 * through `services.store`. What still wrote the SQLite file would be missing there.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOtherValidity, readCheckpoint, writeCheckpoint } from '../../src/channels/email/imap-checkpoints.js';
import { mailLog } from '../../src/channels/email/mail-log-view.js';
import { createMailboxSupervisor } from '../../src/channels/email/mailbox-supervisor.js';
import { openPassword } from '../../src/channels/email/mailbox-store.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { freeChatAgents } from '../../src/chat/availability.js';
import { linesAfter } from '../../src/chat/lines.js';
import { chatPanelData } from '../../src/chat/panel.js';
import { sessionOfCase, startSession } from '../../src/chat/sessions.js';
import { createSite, siteSecret } from '../../src/chat/sites.js';
import { sendVisitorMessage } from '../../src/chat/visitor-message.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { moveToPostgres, type Moved } from '../support/on-postgres.js';
import { signedIn, type PageClient } from '../support/pages.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';

const OWN = 'http://localhost';
const HOST = 'https://shop.example';
const PASSWORD = 'pg-app-password-Vx42';

let cluster: PostgresCluster;
let h: Harness;
let moved: Moved;
let admin: PageClient;
let manager: PageClient;
let agentPage: PageClient;
let alice: TestActor;
let chatCase: number;
let chatSession: number;
const changed: number[] = [];

const store = () => h.services.store;
const sqliteCount = (table: string) => (h.db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

function chat(method: string, path: string, o: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { Origin: OWN };
  if (o.token) headers.Authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['Content-Type'] = 'application/json';
  return h.app.request(`${OWN}${path}`, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}) });
}

const mailboxRow = async (name: string) => {
  const [row] = await store().query((q) => q.db.select().from(q.tables.mailboxes).where(eq(q.tables.mailboxes.name, name)));
  return row;
};

const mailboxForm = (overrides: Record<string, string> = {}) => ({
  name: 'Sales',
  host: 'imap.example.com',
  tls: 'tls',
  username: 'sales@example.com',
  password: PASSWORD,
  path: 'INBOX',
  queue: 'general',
  processed: 'seen',
  pollSeconds: '60',
  enabled: 'on',
  ...overrides,
});

beforeAll(async () => {
  cluster = await startPostgres();
  h = createHarness({ services: { channelsKey: parseChannelsKey('66'.repeat(32)) } });
  standardQueues(h);
  h.services.mailboxes = { changed: (id) => changed.push(id), release: async (id) => void changed.push(-id) };
  // Signed in on SQLite before the move (the sessions are copied with everything else).
  admin = signedIn(h, h.agent({ name: 'Ada Admin', role: 'admin' }));
  manager = signedIn(h, h.agent({ name: 'Max Manager', role: 'manager' }));
  alice = h.agent({ name: 'Alice', queues: ['general'] });
  agentPage = signedIn(h, alice);
  // A chat case made by the chat commands that still run on SQLite (core's), copied over.
  const site = await createSite(h.services, { name: 'Seeded', origins: HOST, greeting: 'Hello from SQLite', calendar: '', queue: 'general' });
  const started = await startSession(h.services, site, HOST, { name: 'Sid Seeded', email: 'sid@example.com' });
  chatCase = (await sendVisitorMessage(h.services, site, started.session, 'Where is my parcel?')).caseId;
  chatSession = started.session.id;
  // Mail log lines (as the inbound pipeline writes them).
  const log = h.db.$client.prepare(
    "INSERT INTO inbound_mail (message_id, via, mailbox, from_address, subject, size, outcome, reason, received_at) VALUES (?, ?, ?, 'pat@example.com', ?, 100, ?, ?, ?)",
  );
  log.run('<a@example.com>', 'smtp', null, 'Printer broken', 'created', null, h.clock.now() - 3000);
  log.run('<b@example.com>', 'imap', 'imaps://old@imap.example.com/INBOX', 'Out of office', 'ignored', 'auto-reply', h.clock.now() - 2000);
  log.run('<c@example.com>', 'imap', 'imaps://old@imap.example.com/INBOX', 'Refund please', 'created', null, h.clock.now() - 1000);
  moved = await moveToPostgres(h.services, h.dbPath, cluster);
}, 60_000);

afterAll(async () => {
  await moved?.close();
  h?.close();
  await cluster?.stop();
});

describe('console mailboxes on PostgreSQL', () => {
  it('adds a mailbox through the console: the password sealed under its id, an audit row, nothing in the SQLite file', async () => {
    const res = await admin.post('/manage/channels/mailboxes', mailboxForm());
    expect(res.status).toBe(303);
    const row = (await mailboxRow('Sales'))!;
    expect(res.headers.get('Location')).toBe(`/manage/channels/mailboxes/${row.id}?done=mailbox-created`);
    expect(row).toMatchObject({ host: 'imap.example.com', port: 993, tls: true, queueId: 'general', enabled: true, status: 'stopped', statusText: 'Starting' });
    expect(row.passwordSealed).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(row.passwordSealed).not.toContain(PASSWORD);
    expect(openPassword(h.services, row)).toBe(PASSWORD);
    expect(changed).toContain(row.id);
    const audit = await store().query((q) => q.db.select().from(q.tables.auditLog).where(and(eq(q.tables.auditLog.entityType, 'mailbox'), eq(q.tables.auditLog.entityId, String(row.id)))));
    expect(audit.map((a) => a.action)).toEqual(['created']);
    expect(JSON.stringify(audit[0]!.after)).not.toContain(PASSWORD);
    expect(audit[0]!.after).toMatchObject({ name: 'Sales', passwordSealed: '[redacted]' });
    expect(sqliteCount('mailboxes')).toBe(0);

    const page = await (await manager.get(`/manage/channels/mailboxes/${row.id}`)).text();
    expect(page).toContain('imap.example.com');
    expect(page).not.toContain(PASSWORD);
    const listed = (await (await h.api('GET', '/api/v1/channels/mailboxes', { token: ADMIN_TOKEN })).json()) as { name: string; passwordSet: boolean }[];
    expect(listed).toEqual([expect.objectContaining({ name: 'Sales', passwordSet: true })]);
  });

  it('refuses what the stored mailboxes and queues forbid (422 with the field), and 404 for a mailbox that is not there', async () => {
    const taken = await admin.post('/manage/channels/mailboxes', mailboxForm({ username: 'other@example.com' }));
    expect(taken.status).toBe(422);
    expect(await taken.text()).toContain('another mailbox has this name');
    const twin = await h.api('POST', '/api/v1/channels/mailboxes', { token: ADMIN_TOKEN, body: { name: 'Twin', host: 'imap.example.com', username: 'sales@example.com', password: 'x', queue: 'nowhere' } });
    expect(twin.status).toBe(422);
    expect(JSON.stringify(await twin.json())).toMatch(/no queue \\"nowhere\\".*already reads this folder|already reads this folder.*no queue/s);
    expect((await admin.get('/manage/channels/mailboxes/9999')).status).toBe(404);
    expect((await h.api('PATCH', '/api/v1/channels/mailboxes/9999', { token: ADMIN_TOKEN, body: { name: 'Nobody' } })).status).toBe(404);
  });

  it('changes and disables a mailbox (the password kept), read back from PostgreSQL', async () => {
    const before = (await mailboxRow('Sales'))!;
    const saved = await admin.post(`/manage/channels/mailboxes/${before.id}`, mailboxForm({ name: 'Sales EU', password: '', pollSeconds: '120' }));
    expect(saved.status).toBe(303);
    const renamed = (await mailboxRow('Sales EU'))!;
    expect(renamed).toMatchObject({ id: before.id, pollSeconds: 120, passwordSealed: before.passwordSealed });
    expect((await admin.post(`/manage/channels/mailboxes/${before.id}/disable`)).status).toBe(303);
    expect((await mailboxRow('Sales EU'))!.enabled).toBe(false);
    const actions = await store().query((q) => q.db.select({ action: q.tables.auditLog.action }).from(q.tables.auditLog).where(eq(q.tables.auditLog.entityId, String(before.id))).orderBy(q.tables.auditLog.id));
    expect(actions.map((a) => a.action)).toEqual(['created', 'updated', 'updated']);
  });

  it('the supervisor reads the stored mailboxes and writes their status there', async () => {
    const supervisor = createMailboxSupervisor(h.services);
    await supervisor.start();
    await supervisor.settled();
    expect(supervisor.running()).toEqual([]);
    expect(await mailboxRow('Sales EU')).toMatchObject({ status: 'stopped', statusText: 'Disabled' });
    await supervisor.stop();
  });

  it('deletes a mailbox: its log lines stay without the link', async () => {
    const row = (await mailboxRow('Sales EU'))!;
    await store().write((q) => q.db.update(q.tables.inboundMail).set({ mailboxId: row.id }).where(eq(q.tables.inboundMail.messageId, '<c@example.com>')));
    expect((await admin.post(`/manage/channels/mailboxes/${row.id}/delete`)).status).toBe(303);
    expect(await mailboxRow('Sales EU')).toBeUndefined();
    const [line] = await store().query((q) => q.db.select().from(q.tables.inboundMail).where(eq(q.tables.inboundMail.messageId, '<c@example.com>')));
    expect(line).toMatchObject({ mailboxId: null, subject: 'Refund please' });
    expect(changed).toEqual(expect.arrayContaining([-row.id, row.id]));
  });
});

describe('channel bookkeeping on PostgreSQL', () => {
  it('IMAP checkpoints only move forward, per UIDVALIDITY', async () => {
    const label = 'imaps://sales@imap.example.com/INBOX';
    expect(await store().query((q) => readCheckpoint(q, label, '7'))).toBeNull();
    await store().write((q) => writeCheckpoint(q, label, '7', 5, 1000));
    await store().write((q) => writeCheckpoint(q, label, '7', 3, 2000));
    expect(await store().query((q) => readCheckpoint(q, label, '7'))).toBe(5);
    await store().write((q) => writeCheckpoint(q, label, '7', 9, 3000));
    const [row] = await store().query((q) => q.db.select().from(q.tables.imapCheckpoints));
    expect(row).toEqual({ mailbox: label, uidValidity: '7', lastUid: 9, updatedAt: 3000 });
    expect(await store().query((q) => hasOtherValidity(q, label, '8'))).toBe(true);
    expect(await store().query((q) => hasOtherValidity(q, label, '7'))).toBe(false);
    expect(sqliteCount('imap_checkpoints')).toBe(0);
  });

  it('the mail log page filters and pages the lines stored there', async () => {
    await store().write((q) => q.db.insert(q.tables.inboundMail).values({ messageId: '<d@example.com>', via: 'imap', mailbox: 'imaps://old@imap.example.com/INBOX', fromAddress: 'only-in-pg@example.com', subject: 'Only on PostgreSQL', size: 10, outcome: 'appended', receivedAt: h.clock.now() }));
    const page = await (await manager.get('/manage/channels?via=imap')).text();
    expect(page).toContain('Only on PostgreSQL');
    expect(page).toContain('Refund please');
    expect(page).not.toContain('Printer broken');
    const first = await store().query((q) => mailLog(q, { outcome: null, via: 'imap', mailboxId: null, before: null }, 2));
    expect(first.lines.map((l) => l.subject)).toEqual(['Only on PostgreSQL', 'Refund please']);
    const next = await store().query((q) => mailLog(q, { outcome: null, via: 'imap', mailboxId: null, before: first.older }, 2));
    expect(next).toEqual({ lines: [expect.objectContaining({ subject: 'Out of office', reason: 'auto-reply', outcome: 'ignored' })], older: null });
  });
});

describe('chat on PostgreSQL', () => {
  let siteId: string;
  let token: string;

  it('adds, changes and re-keys a chat site through the console; an inactive queue is refused', async () => {
    const res = await admin.post('/manage/channels/chat-sites', { name: 'Shop', origins: `${HOST}\nhttps://www.shop.example`, greeting: 'Hi! How can we help?', calendar: '', queue: 'general', active: 'on' });
    expect(res.status).toBe(303);
    siteId = res.headers.get('Location')!.split('/').pop()!;
    const [site] = await store().query((q) => q.db.select().from(q.tables.chatSites).where(eq(q.tables.chatSites.id, siteId)));
    expect(site).toMatchObject({ name: 'Shop', allowedOrigins: [HOST, 'https://www.shop.example'], queueId: 'general', active: true });
    const secret = siteSecret(h.services, site!);
    expect(await (await admin.get(`/manage/channels/chat-sites/${siteId}`)).text()).toContain(`<code id="chat-secret">${secret}</code>`);
    expect((await admin.post(`/manage/channels/chat-sites/${siteId}`, { name: 'Shop EU', origins: HOST, greeting: 'Hi! How can we help?', calendar: '', queue: 'general', active: 'on' })).status).toBe(303);
    expect((await admin.post(`/manage/channels/chat-sites/${siteId}/secret`)).status).toBe(303);
    const [changedSite] = await store().query((q) => q.db.select().from(q.tables.chatSites).where(eq(q.tables.chatSites.id, siteId)));
    expect(changedSite).toMatchObject({ name: 'Shop EU', allowedOrigins: [HOST] });
    expect(siteSecret(h.services, changedSite!)).not.toBe(secret);
    expect(await (await manager.get('/manage/channels')).text()).toContain('Shop EU');

    await store().write((q) => q.db.update(q.tables.queues).set({ active: false }).where(eq(q.tables.queues.id, 'billing')));
    const refused = await admin.post(`/manage/channels/chat-sites/${siteId}`, { name: 'Shop EU', origins: HOST, queue: 'billing', active: 'on' });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('unknown or inactive queue');
    expect(sqliteCount('chat_sites')).toBe(1);
  });

  it('the widget: the status counts free agents, a session starts with the greeting as line 1, its lines and stream read back', async () => {
    // Alice has the workspace open (a request now): she counts.
    expect((await agentPage.get('/inbox')).status).toBe(200);
    const status = (await (await chat('GET', `/chat/api/sites/${siteId}/status?host=${encodeURIComponent(HOST)}`)).json()) as { availability: { open: boolean } };
    expect(status.availability).toEqual({ open: true });
    const live = [alice.id!];
    expect(await store().query((q) => freeChatAgents(q, 'general', live, h.clock.now()))).toBe(1);
    expect(await store().query((q) => freeChatAgents(q, 'general', [], h.clock.now()))).toBe(0);
    await store().write((q) => q.db.update(q.tables.staff).set({ available: false }).where(eq(q.tables.staff.name, 'Alice')));
    expect(await store().query((q) => freeChatAgents(q, 'general', live, h.clock.now()))).toBe(0);
    await store().write((q) => q.db.update(q.tables.staff).set({ available: true }).where(eq(q.tables.staff.name, 'Alice')));

    const started = await chat('POST', `/chat/api/sites/${siteId}/sessions`, { body: { host: HOST, name: 'Vera Visitor', email: 'Vera@Example.com' } });
    expect(started.status).toBe(201);
    const body = (await started.json()) as { token: string; session: { lastSeq: number; email: string }; availability: { open: boolean } };
    token = body.token;
    expect(body.session).toMatchObject({ lastSeq: 1, email: 'vera@example.com' });
    const [row] = await store().query((q) => q.db.select().from(q.tables.chatSessions).where(eq(q.tables.chatSessions.siteId, siteId)));
    expect(row).toMatchObject({ name: 'Vera Visitor', verified: false, state: 'open', lastSeq: 1 });

    const session = (await (await chat('GET', '/chat/api/session', { token })).json()) as { lines: { seq: number; author: string; name: string; body: string }[] };
    expect(session.lines).toEqual([expect.objectContaining({ seq: 1, author: 'system', name: 'Shop EU', body: 'Hi! How can we help?' })]);
    expect(((await (await chat('GET', '/chat/api/messages?after=1', { token })).json()) as { lines: unknown[] }).lines).toEqual([]);

    const stream = await chat('GET', '/chat/api/stream', { token });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let text = '';
    while (!/\nid: \d+\n/.test(text)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    await reader.cancel();
    expect(text).toMatch(/event: message\ndata: .*Hi! How can we help\?.*\nid: 1\n/);

    expect((await chat('GET', '/chat/api/session', { token: 'x'.repeat(43) })).status).toBe(403);
    expect(sqliteCount('chat_sessions')).toBe(1);
  });

  it("the case's chat: the session (open first), its panel and the agent's typing signal read from PostgreSQL", async () => {
    // Ended in the SQLite file only: what the route reads must be PostgreSQL's open session.
    h.db.$client.prepare("UPDATE chat_sessions SET state = 'ended'").run();
    await store().write((q) => q.db.insert(q.tables.chatMessages).values({ sessionId: chatSession, seq: 3, author: 'system', authorName: 'Casebook', body: 'Only on PostgreSQL', at: h.clock.now() }));
    expect(await store().query((q) => sessionOfCase(q, chatCase))).toMatchObject({ id: chatSession, state: 'open' });
    const panel = await store().query((q) => chatPanelData(q, h.services, chatCase));
    expect(panel).toMatchObject({ state: 'open', visitor: 'Sid Seeded', site: 'Seeded' });
    expect(panel!.lines.map((l) => l.body)).toEqual(['Hello from SQLite', 'Where is my parcel?', 'Only on PostgreSQL']);
    expect((await store().query((q) => linesAfter(q, chatSession, 2))).map((l) => l.seq)).toEqual([3]);

    const signals: unknown[] = [];
    const unsubscribe = h.services.chat.hub.subscribe(chatSession, (s) => signals.push(s));
    try {
      expect((await agentPage.post(`/cases/C-${chatCase}/chat/typing`)).status).toBe(204);
    } finally {
      unsubscribe();
    }
    expect(signals).toEqual([{ kind: 'typing', who: 'agent', name: 'Alice' }]);
  });
});
