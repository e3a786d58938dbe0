/**
 * Chinese, Japanese and Korean: a word is found inside a run written without spaces (the run is
 * indexed as its overlapping pairs, src/text/search-text.ts), and the hit is marked on the right
 * characters; letters unaccent folds (ß, æ, ø, ł…) find their spelled-out forms on both
 * databases; customers by a CJK name. The upgrade indexes what a database already held.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCustomers } from '../../src/cases/find-customers.js';
import { MIGRATIONS_DIR, registerSqlFunctions } from '../../src/db/client.js';
import type { Marked } from '../../src/search/highlight.js';
import { search, type SearchResult } from '../../src/search/search.js';
import { tempDir } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { addMessage, createDesk, type Desk } from './support.js';

let desk: Desk;
let zh: number;
let ja: number;
let ko: number;
let mixed: number;
let street: number;
let lone: number;

beforeAll(async () => {
  desk = createDesk();
  const { chloe, sam, alice } = desk;
  zh = await desk.open(chloe, '我想申请退款', '订单已经取消了，请尽快处理。', { queue: 'general' });
  ja = await desk.open(sam, '返金をお願いします', 'サーバーが落ちたので、返金をお願いします。', { queue: 'general' });
  ko = await desk.open(chloe, '환불을 요청합니다', '주문을 취소했습니다', { queue: 'general' });
  mixed = await desk.open(sam, 'Order 1234', 'Customer wrote: 退款 for order 1234 please', { queue: 'general' });
  street = await desk.open(chloe, 'Delivery to Hauptstraße 5', 'Ærø island, Łódź office and the Œuvre team', { queue: 'general' });
  lone = await desk.open(sam, 'One character', '款 alone', { queue: 'general' });
  await addMessage(desk.h.services, zh, { body: '我们已经收到您的退款申请，会在三个工作日内处理。', public: true }, alice);
});
afterAll(() => desk.h.close());

const ref = (id: number) => `C-${id}`;
const run = async (q: string): Promise<SearchResult> => search(desk.h.services, await desk.principal(desk.maria), { q });
const marks = (m: Marked) => m.highlights.map(([s, e]) => m.text.slice(s, e));

describe('CJK words inside runs written without spaces', () => {
  it('finds a Chinese word inside a sentence, and a phrase of several words', async () => {
    expect(await desk.find(desk.maria, '退款')).toEqual([ref(mixed), ref(zh)]);
    expect(await desk.find(desk.maria, '申请退款')).toEqual([ref(zh)]);
    expect(await desk.find(desk.maria, '取消')).toEqual([ref(zh)]);
    // The pairs must follow each other: 申请 and 退款 apart are not the word 申退.
    expect(await desk.find(desk.maria, '申退')).toEqual([]);
  });

  it('finds a Japanese word inside kana and kanji, and a katakana word with ー', async () => {
    expect(await desk.find(desk.maria, '返金')).toEqual([ref(ja)]);
    expect(await desk.find(desk.maria, 'サーバー')).toEqual([ref(ja)]);
    expect(await desk.find(desk.maria, 'サーバ')).toEqual([ref(ja)]);
  });

  it('finds a Korean word with a particle written onto it', async () => {
    expect(await desk.find(desk.maria, '환불')).toEqual([ref(ko)]);
    expect(await desk.find(desk.maria, '취소')).toEqual([ref(ko)]);
  });

  it('mixes with Latin words and numbers; a lone character is a word of its own', async () => {
    expect(await desk.find(desk.maria, '退款 1234')).toEqual([ref(mixed)]);
    expect(await desk.find(desk.maria, '"退款 for order"')).toEqual([ref(mixed)]);
    expect(await desk.find(desk.maria, '退款 -order')).toEqual([ref(zh)]);
    expect(await desk.find(desk.maria, '款')).toEqual([ref(lone)]);
  });

  it('finds them in a customer’s own cases too (their own documents, searched apart)', async () => {
    expect(await desk.find(desk.chloe, '退款')).toEqual([ref(zh)]);
    expect(await desk.find(desk.chloe, '환불')).toEqual([ref(ko)]);
    expect(await desk.find(desk.sam, '返金')).toEqual([ref(ja)]);
  });

  it('cuts a long text without spaces to a snippet around the hit', async () => {
    const long = await desk.open(desk.sam, 'Long', `${'这是一个很长的说明'.repeat(12)}我们需要退货和换货${'后面还有很多其他的文字'.repeat(12)}`, { queue: 'general' });
    const hit = (await run('换货')).cases.items.find((i) => i.row.id === long)!;
    expect(marks(hit.match.snippet)).toEqual(['换货']);
    expect(hit.match.snippet.text.length).toBeLessThan(40);
    expect(hit.match.snippet.text).toMatch(/^….*退货和换货.*…$/);
  });

  it('marks the word on the characters of the original text, in the subject and the snippet', async () => {
    const hit = (await run('退款')).cases.items.find((i) => i.row.id === zh)!;
    expect(hit.subject).toEqual({ text: '我想申请退款', highlights: [[4, 6]] });
    expect(marks(hit.match.snippet)).toEqual(['退款']);
    const phrase = (await run('申请退款')).cases.items[0]!;
    expect(phrase.subject).toEqual({ text: '我想申请退款', highlights: [[2, 6]] });
    const ja1 = (await run('返金')).cases.items[0]!;
    expect(marks(ja1.subject)).toEqual(['返金']);
    expect(marks(ja1.match.snippet)).toEqual(['返金']);
    const latin = (await run('退款 order')).cases.items[0]!;
    expect(latin.match.snippet).toEqual({ text: 'Customer wrote: 退款 for order 1234 please', highlights: [[16, 18], [23, 28]] });
  });
});

describe('letters folded alike on both databases', () => {
  it('finds ß, æ, ø, ł and œ by their spelled-out forms and the other way round', async () => {
    for (const q of ['hauptstrasse', 'Hauptstraße', 'aero', 'lodz', 'oeuvre', 'Œuvre']) expect(await desk.find(desk.maria, q), q).toEqual([ref(street)]);
    const hit = (await run('hauptstrasse')).cases.items[0]!;
    expect(marks(hit.subject)).toEqual(['Hauptstraße']);
    const snippet = (await run('lodz aero')).cases.items[0]!.match.snippet;
    expect(marks(snippet)).toEqual(['Ærø', 'Łódź']);
  });
});

describe('customers by name', () => {
  it('finds a customer by a CJK name or its beginning', async () => {
    const wang = desk.h.customer({ email: 'wang@example.cn', name: '王小明' });
    const find = (q: string) => desk.h.query(async (handle) => (await findCustomers(handle, q)).map((c) => c.id));
    expect(await find('王小明')).toEqual([wang.id]);
    expect(await find('王小')).toEqual([wang.id]);
    expect(await find('王')).toEqual([wang.id]);
    expect(await find('小明')).toEqual([wang.id]); // the given name: a pair inside the name
  });
});

describe.skipIf(ON_POSTGRES)('upgrading an existing SQLite database', () => {
  it('indexes again the texts with CJK characters or folded letters it held', () => {
    const dir = tempDir();
    const before = path.join(dir, 'migrations-before');
    fs.cpSync(MIGRATIONS_DIR, before, { recursive: true });
    const journalFile = path.join(before, 'meta', '_journal.json');
    const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
    const index = journal.entries.findIndex((e) => e.tag.endsWith('_search_cjk'));
    for (const entry of journal.entries.slice(index)) fs.rmSync(path.join(before, `${entry.tag}.sql`));
    journal.entries = journal.entries.slice(0, index);
    fs.writeFileSync(journalFile, JSON.stringify(journal));

    const sqlite = new Database(path.join(dir, 'old.db'));
    const db = drizzle(sqlite);
    migrate(db, { migrationsFolder: before });
    const now = Date.now();
    sqlite.prepare("INSERT INTO queues (id, name, created_at) VALUES ('general', 'General', ?)").run(now);
    const customer = sqlite.prepare("INSERT INTO customers (email, name, created_at, updated_at) VALUES ('wang@example.cn', '王小明', ?, ?)").run(now, now).lastInsertRowid as number;
    const caseId = sqlite
      .prepare("INSERT INTO cases (customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at) VALUES (?, '我想申请退款', 'Hauptstraße 5', 'new', ?, 'general', 'support', 1, ?, ?)")
      .run(customer, now, now, now).lastInsertRowid as number;
    const event = sqlite.prepare("INSERT INTO case_events (case_id, type, at, actor_type, data) VALUES (?, ?, ?, 'staff', ?)");
    event.run(caseId, 'case.created', now, '{}');
    event.run(caseId, 'staff.replied', now, JSON.stringify({ body: '返金をお願いします' }));
    event.run(caseId, 'staff.noted', now, JSON.stringify({ body: 'plain English note' }));

    registerSqlFunctions(sqlite);
    migrate(db, { migrationsFolder: MIGRATIONS_DIR });
    const docs = (q: string) => (sqlite.prepare('SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid').all(q) as { rowid: number }[]).map((r) => r.rowid);
    expect(docs('"退款"')).toEqual([caseId << 20]);
    expect(docs('"我想申请退款"')).toEqual([]); // the run's old single token was forgotten
    expect(docs('"hauptstrasse"')).toEqual([caseId << 20]);
    expect(docs('"返金"')).toEqual([(caseId << 20) + (2 << 1)]);
    expect(docs('"english"')).toEqual([(caseId << 20) + (3 << 1) + 1]);
    expect(docs('"王小 小明"')).toEqual([-customer]);
    // The old documents were forgotten exactly: editing and deleting leave nothing behind.
    sqlite.prepare("UPDATE cases SET subject = 'Refund' WHERE id = ?").run(caseId);
    expect(docs('"退款"')).toEqual([]);
    sqlite.prepare("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 0)").run();
    sqlite.close();
  });
});
