/**
 * The search index is kept in step inside the transaction of every change: what a command
 * wrote is found inside its own transaction and after commit, and what a failed command
 * rolled back is never found. An existing database becomes searchable on upgrade.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { addMessage } from '../../src/cases/add-message.js';
import { createCase } from '../../src/cases/create-case.js';
import { editCustomer } from '../../src/cases/edit-customer.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { MIGRATIONS_DIR, registerSqlFunctions } from '../../src/db/client.js';
import { sqliteOf, type Handle } from '../../src/db/store/index.js';
import { all, run } from '../../src/db/store/rows.js';
import { documentOf } from '../../src/search/documents.js';
import { rebuildSearchDocuments } from '../../src/search/pg/rebuild-documents.js';
import { queryableOf } from '../../src/search/pg/queryable.js';
import { rebuildSearchIndex } from '../../src/search/rebuild-index.js';
import { search } from '../../src/search/search.js';
import { tempDir } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';
import { createDesk, type Desk } from './support.js';

let desk: Desk;
afterEach(() => desk?.h.close());

/** The search documents as stored (PostgreSQL: each with its words). */
function documents(q: Handle): Promise<{ doc: number; words: string }[]> {
  return all(q, 'SELECT doc, words::text AS words FROM search_documents ORDER BY doc');
}

/** Rebuilds the index from the base tables in `q`'s transaction (rebuild-index.ts, rebuild-documents.ts). */
async function rebuild(q: Handle): Promise<void> {
  if (q.dialect === 'sqlite') rebuildSearchIndex(sqliteOf(q));
  else await rebuildSearchDocuments(queryableOf(q));
}

/**
 * The index holds exactly what the base tables say: FTS5's integrity check on SQLite; on
 * PostgreSQL the documents equal what a rebuild from the base tables gives (rolled back).
 */
async function integrityOk(d: Desk): Promise<void> {
  if (d.h.dialect === 'sqlite') {
    await d.h.run("INSERT INTO search_fts(search_fts, rank) VALUES ('integrity-check', 0)");
    return;
  }
  const stored = await d.h.query(documents);
  const rebuilt = await d.h.services.store
    .write(async (q) => {
      await rebuild(q);
      throw Object.assign(new Error('roll back'), { rebuilt: await documents(q) });
    })
    .catch((error: { rebuilt?: unknown }) => error.rebuilt);
  expect(stored.length).toBeGreaterThan(0);
  expect(stored).toEqual(rebuilt);
}

describe('kept in step inside the transaction', () => {
  it('a new case, a reply, a note and an edited subject are found, inside the transaction and after', async () => {
    desk = createDesk();
    const { h, chloe, alice, maria } = desk;
    let insideIntake: string[] = [];
    const row = await createCase(h.services, { subject: 'Quokka invoice', description: 'The wombat total is wrong' }, chloe, {
      customerId: chloe.id,
      within: async (ctx) => {
        insideIntake = await desk.indexed('wombat', ctx.q);
      },
    });
    const ref = `C-${row.id}`;
    expect(insideIntake).toEqual([ref]);
    expect(await desk.find(maria, 'quokka')).toEqual([ref]);

    let insideReply: string[] = [];
    await addMessage(h.services, row.id, { body: 'We refunded the platypus fee', public: true }, alice, {
      within: async (ctx) => {
        insideReply = await desk.indexed('platypus', ctx.q);
      },
    });
    expect(insideReply).toEqual([ref]);
    await addMessage(h.services, row.id, { body: 'Internal: echidna escalation path', public: false }, alice);
    expect(await desk.find(maria, 'echidna')).toEqual([ref]);
    expect(await desk.find(chloe, 'echidna')).toEqual([]);

    await h.services.store.write((q) => run(q, 'UPDATE cases SET subject = ?, description = ? WHERE id = ?', ['Numbat invoice', 'The bilby total is wrong', row.id]));
    expect(await desk.find(maria, 'numbat')).toEqual([ref]);
    expect(await desk.find(maria, 'bilby')).toEqual([ref]);
    expect(await desk.find(maria, 'quokka')).toEqual([]);
    expect(await desk.find(maria, 'wombat')).toEqual([]);
    // The messages keep their places.
    expect(await desk.find(maria, 'platypus')).toEqual([ref]);
    await integrityOk(desk);
  });

  it('what a failed command rolled back is never found', async () => {
    desk = createDesk();
    const { h, chloe, alice, maria } = desk;
    await expect(
      createCase(h.services, { subject: 'Axolotl', description: 'never stored' }, chloe, {
        customerId: chloe.id,
        within: async (ctx) => {
          expect(await desk.indexed('axolotl', ctx.q)).toHaveLength(1);
          throw new Error('channel failed');
        },
      }),
    ).rejects.toThrow('channel failed');
    expect(await desk.find(maria, 'axolotl')).toEqual([]);

    const row = await createCase(h.services, { subject: 'Kept', description: 'stored' }, chloe, { customerId: chloe.id });
    await expect(
      addMessage(h.services, row.id, { body: 'pangolin reply', public: true }, alice, {
        within: () => {
          throw new Error('mail failed');
        },
      }),
    ).rejects.toThrow('mail failed');
    expect(await desk.find(maria, 'pangolin')).toEqual([]);
    await expect(
      h.services.store.write(async (q) => {
        await run(q, 'UPDATE cases SET subject = ? WHERE id = ?', ['Capybara', row.id]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await desk.find(maria, 'capybara')).toEqual([]);
    expect(await desk.find(maria, 'kept')).toEqual([`C-${row.id}`]);
    await integrityOk(desk);
  });

  it('changes of state leave the index alone; customers follow profile edits', async () => {
    desk = createDesk();
    const { h, chloe, alice, maria } = desk;
    const row = await createCase(h.services, { subject: 'Tapir', description: 'x' }, chloe, { customerId: chloe.id });
    // Untouched: no new FTS5 segment on SQLite; on PostgreSQL the case's document row is the same row version (xmin).
    const untouched = () =>
      h.dialect === 'sqlite' ? h.get('SELECT count(*) AS n FROM search_fts_idx') : h.get('SELECT xmin::text AS version FROM search_documents WHERE doc = ?', row.id * 2 ** 20);
    const before = await untouched();
    expect(before).toBeDefined();
    await h.run("UPDATE cases SET status = 'open' WHERE id = ?", row.id);
    await transitionCase(h.services, row.id, { transition: 'waitOnCustomer' }, alice);
    expect(await untouched()).toEqual(before);

    expect((await search(h.services, await desk.principal(maria), { q: 'chloe' })).customers.map((c) => c.id)).toEqual([chloe.id]);
    await editCustomer(h.services, chloe.id, { name: 'Clementine Carter', organization: 'Orbital Ltd' }, maria);
    expect((await search(h.services, await desk.principal(maria), { q: 'clementine orbital' })).customers.map((c) => c.id)).toEqual([chloe.id]);
    expect((await search(h.services, await desk.principal(maria), { q: 'acme' })).customers).toEqual([]);
    await integrityOk(desk);
  });

  it('a rebuild from the base tables finds exactly what the triggers indexed', async () => {
    desk = createDesk();
    const { h, chloe, sam, alice, maria } = desk;
    for (let i = 0; i < 6; i++) {
      const row = await createCase(h.services, { subject: `Refund ${i}`, description: `charged twice ${i % 2 ? 'march' : 'april'}` }, i % 2 ? chloe : sam, { customerId: (i % 2 ? chloe : sam).id });
      await addMessage(h.services, row.id, { body: `reply ${i} refund issued`, public: i % 3 !== 0 }, alice);
    }
    const queries = ['refund', 'march', 'april issued', '"charged twice"', 'chloe', 'sam'];
    const snapshot = async () => {
      const out: unknown[] = [];
      for (const q of queries) out.push([await desk.find(maria, q), (await search(h.services, await desk.principal(maria), { q })).customers.map((c) => c.id)]);
      return out;
    };
    const before = await snapshot();
    await h.services.store.write(rebuild);
    expect(await snapshot()).toEqual(before);
    await integrityOk(desk);
  });
});

// SQLite's migrations on a SQLite file (PostgreSQL's 0001_search fills its documents likewise: test/postgres/search-documents.test.ts).
// Two writers on one case at once exist only on PostgreSQL (SQLite has one writer, in order).
describe.runIf(ON_POSTGRES)('two messages on one case at once', () => {
  it('are both found: the second waits for the first, so their places in the case differ', async () => {
    desk = createDesk();
    const { h, chloe, alice, maria } = desk;
    const row = await createCase(h.services, { subject: 'Printer', description: 'It jams' }, chloe, { customerId: chloe.id });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const inserted = new Promise<void>((resolve) => (written = resolve));
    const first = addMessage(h.services, row.id, { body: 'The axolotl tray is empty', public: true }, alice, {
      within: async () => {
        written();
        await held;
      },
    });
    await inserted;
    const second = addMessage(h.services, row.id, { body: 'Internal: the narwhal roller is worn', public: false }, alice);
    await h.query((q) => q.all(sql`SELECT 1`)); // a round trip: the second is at the case's lock by now
    release();
    await Promise.all([first, second]);
    expect(await desk.find(maria, 'axolotl')).toEqual([`C-${row.id}`]);
    expect(await desk.find(maria, 'narwhal')).toEqual([`C-${row.id}`]);
    await integrityOk(desk);
  });
});

describe.skipIf(ON_POSTGRES)('upgrading an existing database', () => {
  it('makes its cases, messages, notes and customers searchable', () => {
    const dir = tempDir();
    const before = path.join(dir, 'migrations-before');
    fs.cpSync(MIGRATIONS_DIR, before, { recursive: true });
    const journalFile = path.join(before, 'meta', '_journal.json');
    const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
    const index = journal.entries.findIndex((e) => e.tag.endsWith('_search'));
    for (const entry of journal.entries.slice(index)) fs.rmSync(path.join(before, `${entry.tag}.sql`));
    journal.entries = journal.entries.slice(0, index);
    fs.writeFileSync(journalFile, JSON.stringify(journal));

    const sqlite = new Database(path.join(dir, 'old.db'));
    registerSqlFunctions(sqlite);
    const db = drizzle(sqlite);
    migrate(db, { migrationsFolder: before });
    const now = Date.now();
    sqlite.prepare("INSERT INTO queues (id, name, created_at) VALUES ('general', 'General', ?)").run(now);
    const customer = sqlite.prepare("INSERT INTO customers (email, name, organization, created_at, updated_at) VALUES ('old@example.com', 'Olga Oldtimer', 'Heritage Mills', ?, ?)").run(now, now).lastInsertRowid as number;
    const caseId = sqlite
      .prepare("INSERT INTO cases (customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at) VALUES (?, 'Legacy refund', 'Charged twice', 'new', ?, 'general', 'support', 1, ?, ?)")
      .run(customer, now, now, now).lastInsertRowid as number;
    const event = sqlite.prepare("INSERT INTO case_events (case_id, type, at, actor_type, data) VALUES (?, ?, ?, 'staff', ?)");
    event.run(caseId, 'case.created', now, '{}');
    event.run(caseId, 'staff.replied', now, JSON.stringify({ body: 'Refund sent by cheque' }));
    event.run(caseId, 'case.assigned', now, '{}');
    event.run(caseId, 'staff.noted', now, JSON.stringify({ body: 'Cheque refund is unusual' }));

    migrate(db, { migrationsFolder: MIGRATIONS_DIR });
    const docs = (q: string) => (sqlite.prepare('SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid').all(q) as { rowid: number }[]).map((r) => documentOf(r.rowid));
    expect(docs('"refund"')).toEqual([
      { kind: 'case', caseId },
      { kind: 'message', caseId, position: 2, note: false },
      { kind: 'message', caseId, position: 4, note: true },
    ]);
    expect(docs('"heritage"')).toEqual([{ kind: 'customer', customerId: customer }]);
    // The triggers number later messages on from there.
    event.run(caseId, 'customer.replied', now, JSON.stringify({ body: 'Cheque arrived' }));
    expect(docs('"arrived"')).toEqual([{ kind: 'message', caseId, position: 5, note: false }]);
    sqlite.close();
  });
});
