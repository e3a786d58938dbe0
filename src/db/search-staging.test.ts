import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/harness.js';
import { openDatabase, type Db } from './client.js';
import { groupCommit, groupCommitAsync } from './group-commit.js';

// The search index inside a group commit (search-staging.ts): on a real database with the real
// migrations and triggers, written through the group committer as the server writes.
let db: Db;
beforeEach(() => {
  db = openDatabase(path.join(tempDir('search-staging'), 'casebook.db'));
  // Segments stay as written (no merging), so that a test can count them.
  db.$client.exec("INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 0); INSERT INTO search_fts(search_fts, rank) VALUES ('crisismerge', 200)");
});
afterEach(() => db.$client.close());

const AT = Date.UTC(2026, 11, 5, 9);

function addCustomer(email: string, name: string): number {
  return Number(db.$client.prepare('INSERT INTO customers (email, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run(email, name, AT, AT).lastInsertRowid);
}

function addCase(customerId: number, subject: string, description = 'Details follow.'): number {
  return Number(
    db.$client
      .prepare(
        `INSERT INTO cases (customer_id, subject, description, status, state_entered_at, queue_id, workflow, workflow_version, created_at, updated_at)
         VALUES (?, ?, ?, 'new', ?, 'general', 'support', 1, ?, ?)`,
      )
      .run(customerId, subject, description, AT, AT, AT).lastInsertRowid,
  );
}

/** Row ids the index finds for an FTS5 query. */
function found(query: string): number[] {
  return (db.$client.prepare('SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY rowid').pluck().all(query) as number[]);
}

const caseDoc = (id: number) => id * 2 ** 20;
const dataRows = () => db.$client.prepare('SELECT count(*) FROM search_fts_data').pluck().get() as number;
const waiting = () => db.$client.prepare('SELECT count(*) FROM search_pending').pluck().get() as number;
const integrityCheck = () => db.$client.exec("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')");

beforeEach(() => {
  if (!db.$client.prepare("SELECT 1 FROM queues WHERE id = 'general'").get()) {
    db.$client.prepare("INSERT INTO queues (id, name, created_at) VALUES ('general', 'General', ?)").run(AT);
  }
});

describe('new documents in a group commit', () => {
  it('go into the index together at the COMMIT: the group adds one segment, not one per case', async () => {
    const before = dataRows();
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        groupCommit(db, () => {
          const customer = addCustomer(`someone${i}@example.com`, `Customer ${i}`);
          // More statements after the insert, as an intake writes its timeline after its case.
          db.$client.prepare('SELECT count(*) FROM cases').get();
          return addCase(customer, `Refund number${i} please`);
        }),
      ),
    );
    expect(found('refund')).toEqual(ids.map(caseDoc));
    expect(found('number7')).toEqual([caseDoc(ids[7]!)]);
    expect(found('customer')).toHaveLength(20);
    expect(waiting()).toBe(0);
    // One segment of 40 small documents is a leaf or two; a segment per document was 40 rows or more.
    expect(dataRows() - before).toBeLessThanOrEqual(4);
    integrityCheck();
  });

  it('of a unit that fails are not indexed; the others are', async () => {
    const outcomes = await Promise.allSettled([
      groupCommit(db, () => addCase(addCustomer('ann@example.com', 'Ann Quartz'), 'Printer quartz jam')),
      groupCommitAsync(db, async () => {
        addCase(addCustomer('bob@example.com', 'Bob Basalt'), 'Printer basalt jam');
        await Promise.resolve();
        throw new Error('the unit fails after writing');
      }),
      groupCommit(db, () => addCase(addCustomer('cy@example.com', 'Cy Cobalt'), 'Printer cobalt jam')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(found('printer')).toHaveLength(2);
    expect(found('basalt')).toEqual([]);
    expect(found('quartz')).toHaveLength(2); // Ann's case and Ann
    expect(waiting()).toBe(0);
    integrityCheck();
  });

  it('changed or deleted in the same group are indexed as they are at the COMMIT', async () => {
    const [changed] = await Promise.all([
      groupCommit(db, () => addCase(addCustomer('dee@example.com', 'Dee Opal'), 'Invoice walrus missing')),
      groupCommit(db, () => addCase(addCustomer('eli@example.com', 'Eli Onyx'), 'Invoice narwhal missing')),
      groupCommit(db, () => {
        const last = db.$client.prepare('SELECT max(id) FROM cases').pluck().get() as number;
        db.$client.prepare('UPDATE cases SET subject = ? WHERE id = ?').run('Invoice penguin missing', last - 1);
        db.$client.prepare("UPDATE customers SET name = 'Dee Garnet' WHERE email = 'dee@example.com'").run();
        db.$client.prepare('DELETE FROM cases WHERE id = ?').run(last);
        db.$client.prepare("DELETE FROM customers WHERE email = 'eli@example.com'").run();
      }),
    ]);
    expect(found('penguin')).toEqual([caseDoc(changed!)]);
    expect(found('walrus')).toEqual([]);
    expect(found('narwhal')).toEqual([]);
    expect(found('garnet')).toHaveLength(1);
    expect(found('opal')).toEqual([]);
    expect(found('onyx')).toEqual([]);
    expect(found('invoice')).toEqual([caseDoc(changed!)]);
    expect(waiting()).toBe(0);
    integrityCheck();
    // And the index still forgets them properly after the COMMIT.
    db.$client.prepare('DELETE FROM cases WHERE id = ?').run(changed);
    expect(found('penguin')).toEqual([]);
    integrityCheck();
  });
});

describe('documents written outside a group commit', () => {
  it('are indexed at once, as before', () => {
    const id = addCase(addCustomer('fay@example.com', 'Fay Flint'), 'Modem lights blinking');
    expect(found('modem')).toEqual([caseDoc(id)]);
    expect(waiting()).toBe(0);
  });
});
