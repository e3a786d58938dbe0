/**
 * Erasure (POST /api/v1/customers/:id/erase): afterwards no byte of the database file, its
 * WAL or the attachments folder holds the marker that was in the customer's data; every
 * dashboard number is what it was; the other customer's data is untouched; the erasure is
 * recorded and audited; the timeline stays append-only for everyone else.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { buildDashboard } from '../../src/dashboard/dashboard.js';
import { sessionByToken } from '../../src/chat/sessions.js';
import { json } from '../../src/db/store/rows.js';
import { backupDatabase } from '../../src/backup/backup.js';
import { createCase } from '../../src/cases/create-case.js';
import { ADMIN_TOKEN, createHarness, standardQueues, tempDir } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { filesUnder, MARKER, privacyWorld, refusal, type PrivacyWorld } from './support.js';

let w: PrivacyWorld;
let before: unknown;
let chatsBefore: unknown;

/** What chat metrics read: sessions' ids, states, times and counts, lines' sequence, authors and times. */
async function chatShape(): Promise<unknown> {
  return {
    sessions: await w.h.all('SELECT id, site_id, case_id, state, verified, last_seq, created_at, last_activity_at, ended_at, ended_by, transcript_requested_at FROM chat_sessions ORDER BY id'),
    lines: await w.h.all('SELECT id, session_id, seq, author, at, case_event_id FROM chat_messages ORDER BY id'),
  };
}
let erased: Response;
let erasedBody: Record<string, unknown>;

async function metrics(): Promise<unknown> {
  const { generatedAt: _g, ...rest } = await buildDashboard(w.h.services, { from: Date.parse('2026-02-01T00:00:00Z'), to: w.h.clock.now() + 86_400_000, queue: null, zone: 'Europe/Berlin' });
  return rest;
}

function bytesHold(file: string, text: string): boolean {
  if (!fs.existsSync(file)) return false;
  return fs.readFileSync(file).includes(Buffer.from(text, 'utf8'));
}

/**
 * The tables whose rows hold `text` (PostgreSQL: every row of every table as text, search
 * vectors included). Its old row versions stay in the pages until VACUUM (docs/privacy.md):
 * the bytes of the files are SQLite's test only.
 */
async function tablesHolding(text: string): Promise<string[]> {
  const tables = await w.h.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name");
  const holding: string[] = [];
  for (const { name } of tables) {
    const row = await w.h.get<{ n: number }>(`SELECT count(*) AS n FROM "${name}" t WHERE t::text LIKE ?`, `%${text}%`);
    if (row!.n > 0) holding.push(name);
  }
  return holding;
}

beforeAll(async () => {
  w = await privacyWorld();
  await w.h.services.outbox.drain();
  before = await metrics();
  chatsBefore = await chatShape();
  expect(w.inbox.messages.some((m) => m.to.includes(`chloe.${MARKER}@example.com`) && String(m.mail.text).includes(`parcel ${MARKER}`))).toBe(true); // the transcript went out
  if (ON_POSTGRES) expect(await tablesHolding(MARKER)).not.toEqual([]);
  else expect(bytesHold(w.h.dbPath, MARKER) || bytesHold(`${w.h.dbPath}-wal`, MARKER)).toBe(true);
  expect(filesUnder(w.h.services.attachments.store.dir).some((f) => bytesHold(path.join(w.h.services.attachments.store.dir, f), MARKER))).toBe(true);
  erased = await w.h.api('POST', `/api/v1/customers/${w.customerId}/erase`, { token: w.h.tokenFor(w.admin) });
  erasedBody = (await erased.json()) as Record<string, unknown>;
});
afterAll(() => w?.close());

describe('erasing a customer', () => {
  it('answers with what was erased', async () => {
    expect(erased.status).toBe(200);
    expect(erasedBody).toMatchObject({ erased: true, customer: w.customerId, cases: 3 });
    // Chats: the case's (greeting, two visitor lines, the agent's, "… ended the chat.") and the one without a line (greeting).
    expect(erasedBody.summary).toMatchObject({ cases: 3, attachments: 2, files: 2, sessions: 1, chatSessions: 2, chatLines: 6, crmRecords: 1 });
    // Webhook deliveries about the customer's cases: payloads emptied, the log kept.
    expect((erasedBody.summary as Record<string, number>).webhookDeliveries).toBeGreaterThan(0);
    const payloads = (await w.h.all<{ payload: string }>('SELECT payload FROM webhook_deliveries')).map((row) => row.payload);
    expect(payloads.filter((p) => p.includes(MARKER))).toEqual([]);
    expect(payloads.some((p) => p.includes('Scanner offline'))).toBe(true); // the other customer's stay
    // A kept dry-run result: the erased case's subject goes, the other case's stays.
    expect((erasedBody.summary as Record<string, number>).dryRunResults).toBe(1);
    const kept = JSON.parse((await w.h.get<{ result: string }>("SELECT result FROM dry_run_jobs WHERE id = 'privacy-dry-run'"))!.result) as { changes: { caseId: string; subject: string }[] };
    expect(kept.changes.map((c) => c.subject)).toEqual(['[erased]', 'Scanner offline']);
  });

  it('leaves every dashboard number as it was', async () => {
    await w.h.services.outbox.drain();
    expect(await metrics()).toEqual(before);
  });

  it.skipIf(ON_POSTGRES)('leaves no trace of the marker in a backup made afterwards', async () => {
    // A backup is vacuumed (a database written before secure_delete was on for good may hold old
    // bytes of rows in its free space): only what the database holds now goes into it.
    const target = path.join(tempDir(), 'after-erasure.db');
    const result = await backupDatabase(w.h.dbPath, target);
    expect(result.cases).toBeGreaterThan(0);
    expect(bytesHold(target, MARKER), 'backup').toBe(false);
    expect(bytesHold(target, 'Scanner offline'), 'the other customer stays').toBe(true);
  });

  it('leaves no trace of the marker in the database (on SQLite: no byte of its file or WAL) or the attachments folder', async () => {
    if (ON_POSTGRES) {
      expect(await tablesHolding(MARKER)).toEqual([]);
    } else {
      // Not vacuumed: the live file itself. With secure_delete on only while erasing, the pages
      // kept copies of the timeline's bodies, the case's input, a sign-in mail's address and two
      // webhook payloads in their free space (left by page splits and moved rows before the erasure).
      const sql = w.h.db.$client;
      sql.pragma('wal_checkpoint(TRUNCATE)');
      expect(bytesHold(w.h.dbPath, MARKER), 'database file').toBe(false);
      expect(bytesHold(`${w.h.dbPath}-wal`, MARKER), 'WAL').toBe(false);
    }
    const dir = w.h.services.attachments.store.dir;
    expect(filesUnder(dir).filter((f) => f.includes(MARKER) || bytesHold(path.join(dir, f), MARKER))).toEqual([]);
  });

  it('keeps the cases, their timelines (types and times) and the anonymous profile', async () => {
    const customer = await w.h.get('SELECT email, name, organization, phone, time_zone, password_hash FROM customers WHERE id = ?', w.customerId);
    expect(customer).toEqual({ email: `erased-${w.customerId}@erased.invalid`, name: 'Erased customer', organization: null, phone: null, time_zone: null, password_hash: null });
    const id = parseCaseRef(w.mailedRef)!;
    expect(await w.h.get('SELECT subject, description, escalation_count AS escalations FROM cases WHERE id = ?', id)).toEqual({ subject: '[erased]', description: '[erased]', escalations: 1 });
    const types = (await w.h.all<{ type: string }>('SELECT type FROM case_events WHERE case_id = ? ORDER BY id', id)).map((r) => r.type);
    expect(types).toEqual(expect.arrayContaining(['case.created', 'staff.replied', 'staff.noted', 'case.escalated', 'call.logged']));
    const call = await w.h.get<{ data: unknown }>("SELECT data FROM case_events WHERE case_id = ? AND type = 'call.logged'", id);
    expect(json(call!.data)).toMatchObject({ durationSeconds: 240, from: '[erased]', notes: '[erased]', erased: true });
    const res = await w.h.api('GET', `/api/v1/cases/${w.mailedRef}/events`, { token: ADMIN_TOKEN });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).not.toContain(MARKER);
  });

  it('erases their chats but keeps ids, times, sequence and authors; their token opens nothing; the other chat is untouched', async () => {
    // The same, but that their chat still open (started without a line) ended with the erasure.
    const before = chatsBefore as { sessions: { id: number; state: string }[]; lines: unknown[] };
    const ended = { state: 'ended', ended_at: w.h.clock.now(), ended_by: 'erased' };
    expect(before.sessions.filter((s) => s.state === 'open' && s.id !== w.otherChatId)).toHaveLength(1);
    expect(await chatShape()).toEqual({ ...before, sessions: before.sessions.map((s) => (s.state === 'open' && s.id !== w.otherChatId ? { ...s, ...ended } : s)) });
    const chatCase = parseCaseRef(w.chatRef)!;
    const sessions = await w.h.all<{ name: string; email: string; hash: string }>("SELECT name, email, token_hash AS hash FROM chat_sessions WHERE case_id = ? OR (case_id IS NULL AND email <> 'sam@example.org')", chatCase);
    expect(sessions).toHaveLength(2);
    for (const s of sessions) expect(s).toEqual({ name: '[erased]', email: 'erased@erased.invalid', hash: expect.stringMatching(/^erased:\d+$/) });
    const lines = await w.h.all('SELECT m.author, m.author_name AS name, m.body FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id WHERE s.case_id = ? ORDER BY m.seq', chatCase);
    expect(lines).toEqual([
      { author: 'system', name: 'Shop', body: '[erased]' },
      { author: 'visitor', name: '[erased]', body: '[erased]' },
      { author: 'visitor', name: '[erased]', body: '[erased]' },
      { author: 'agent', name: 'Alice', body: '[erased]' },
      { author: 'system', name: 'Casebook', body: '[erased]' },
    ]);
    await expect(sessionByToken(w.h.services, w.chatToken)).rejects.toThrow(/not known/);
    expect(await w.h.get('SELECT name, email FROM chat_sessions WHERE id = ?', w.otherChatId)).toEqual({ name: 'Sam Stone', email: 'sam@example.org' });
    expect((await w.h.all<{ body: string }>('SELECT body FROM chat_messages WHERE session_id = ? ORDER BY seq', w.otherChatId)).map((l) => l.body)).toEqual(['Hi! How can we help?', 'Where is my order?']);
  });

  it('finds nothing of theirs in search, and still finds the other customer', async () => {
    const token = w.h.tokenFor(w.admin);
    const gone = (await (await w.h.api('GET', `/api/v1/search?q=${MARKER}`, { token })).json()) as { cases: { items: unknown[] }; customers: unknown[] };
    expect(gone.cases.items).toEqual([]);
    expect(gone.customers).toEqual([]);
    const kept = (await (await w.h.api('GET', '/api/v1/search?q=scanner', { token })).json()) as { cases: { items: { id: string }[] } };
    expect(kept.cases.items.map((c) => c.id)).toEqual([w.otherRef]);
  });

  it('leaves the other customer untouched', async () => {
    expect(await w.h.get('SELECT email, name FROM customers WHERE id = ?', w.otherId)).toEqual({ email: 'sam@example.org', name: 'Sam Stone' });
    expect(await w.h.get('SELECT subject FROM cases WHERE id = ?', parseCaseRef(w.otherRef))).toEqual({ subject: 'Scanner offline' });
  });

  it('records the erasure and audits it, without personal data', async () => {
    const erasure = (await w.h.get('SELECT * FROM erasures WHERE customer_id = ?', w.customerId))!;
    expect(erasure).toMatchObject({ reason: 'request', actor_type: 'staff', actor_id: w.admin.id, case_id: null });
    expect(erasure.completed_at).not.toBeNull();
    const res = await w.h.api('GET', `/api/v1/audit?entity=customer&entityId=${w.customerId}`, { token: w.h.tokenFor(w.admin) });
    const { items } = (await res.json()) as { items: { action: string; actor: { name: string } }[] };
    expect(items).toMatchObject([{ action: 'erased', actor: { name: 'Adam' } }]);
  });

  it('keeps the timeline append-only outside an erasure, and an erasure only ever closes', async () => {
    const otherEvent = (await w.h.get<{ id: number }>('SELECT id FROM case_events WHERE case_id = ? LIMIT 1', parseCaseRef(w.otherRef)))!;
    expect(await refusal(w.h.run("UPDATE case_events SET data = '{}' WHERE id = ?", otherEvent.id))).toMatch(/append-only/);
    const erasedEvent = (await w.h.get<{ id: number }>('SELECT id FROM case_events WHERE case_id = ? LIMIT 1', parseCaseRef(w.mailedRef)))!;
    expect(await refusal(w.h.run("UPDATE case_events SET data = '{}' WHERE id = ?", erasedEvent.id))).toMatch(/append-only/);
    expect(await refusal(w.h.run('DELETE FROM case_events WHERE id = ?', erasedEvent.id))).toMatch(/append-only/);
    expect(await refusal(w.h.run('UPDATE erasures SET completed_at = NULL'))).toMatch(/only ever closed/);
    expect(await refusal(w.h.run('DELETE FROM erasures'))).toMatch(/append-only/);
  });

  it('is for admins only, and answers 404 for an unknown customer', async () => {
    expect((await w.h.api('POST', `/api/v1/customers/${w.otherId}/erase`, { token: w.h.tokenFor(w.manager) })).status).toBe(403);
    expect((await w.h.api('POST', '/api/v1/customers/999999/erase', { token: ADMIN_TOKEN })).status).toBe(404);
  });
});

// Concurrent writes to one case exist only on PostgreSQL (SQLite has one writer, in order).
describe.runIf(ON_POSTGRES)('erasing a customer whose messages were written beside other writes to the case', () => {
  it('forgets every message in search, though an entry with a lower id committed after the message', async () => {
    const h = createHarness();
    try {
      standardQueues(h);
      const customer = h.customer({ email: 'pat@example.com', name: 'Pat' });
      const c = await createCase(h.services, { subject: 'Printer', description: 'It jams.' }, customer, { customerId: customer.id });
      // An entry of another write, its id taken before the reply's, committed after it.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let taken!: () => void;
      const idTaken = new Promise<void>((resolve) => (taken = resolve));
      const other = h.services.store.write(async (q) => {
        await q.db.insert(q.tables.caseEvents).values({ caseId: c.id, type: 'case.viewed', at: h.clock.now(), actorType: 'system', data: {} });
        taken();
        await held;
      });
      await idTaken;
      expect((await h.api('POST', `/api/v1/cases/C-${c.id}/messages`, { token: ADMIN_TOKEN, body: { body: `About ${MARKER} again`, public: true } })).status).toBe(201);
      release();
      await other;
      const search = async () => ((await (await h.api('GET', `/api/v1/search?q=${MARKER}`, { token: ADMIN_TOKEN })).json()) as { cases: { items: unknown[] } }).cases.items;
      expect(await search()).toHaveLength(1);
      expect((await h.api('POST', `/api/v1/customers/${customer.id}/erase`, { token: ADMIN_TOKEN })).status).toBe(200);
      expect(await search()).toEqual([]);
    } finally {
      h.close();
    }
  });
});
