import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bareRows } from '../../test/support/bare-rows.js';
import { tempDir } from '../../test/support/harness.js';
import { openDatabase, type Db } from './client.js';
import { groupCommit, groupCommitAsync, setGroupSlice } from './group-commit.js';
import { documentsWaiting, indexWaiting, WAITING_BATCH } from './search-staging.js';
import { openServerDatabase } from './startup.js';
import { createLogger } from '../logger.js';

// The search index inside a group commit (search-staging.ts): on a real database with the real
// migrations and triggers, written through the group committer as the server writes.
let db: Db;
let file: string;
beforeEach(() => {
  file = path.join(tempDir('search-staging'), 'casebook.db');
  db = openDatabase(file);
  // Every unit of a turn in one group, however loaded the machine: a group cut short by its time
  // slice would leave its last unit to commit alone, and its documents to wait (tested below).
  setGroupSlice(db, 60_000);
  // Segments stay as written (no merging), so that a test can count them.
  db.$client.exec("INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 0); INSERT INTO search_fts(search_fts, rank) VALUES ('crisismerge', 200)");
});
afterEach(() => {
  if (db.$client.open) db.$client.close();
});

const AT = Date.UTC(2026, 11, 5, 9);

const { addCustomer, addCase } = bareRows(() => db, AT);

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

describe('new documents of a lone commit', () => {
  /** One command committed by itself (nothing else queued in its turn), as an intake at c=1. */
  const alone = <T>(fn: () => T) => groupCommit(db, fn);

  it('wait in search_pending after its COMMIT; the connection knows, and a unit moves them into the index', async () => {
    const id = await alone(() => addCase(addCustomer('gus@example.com', 'Gus Garnet'), 'Router keeps rebooting'));
    expect(waiting()).toBe(2); // the case and its customer
    expect(found('router')).toEqual([]);
    expect(documentsWaiting(db)).toBe(true);

    await alone(() => indexWaiting(db));
    expect(waiting()).toBe(0);
    expect(documentsWaiting(db)).toBe(false);
    expect(found('router')).toEqual([caseDoc(id)]);
    expect(found('garnet')).toHaveLength(1);
    integrityCheck();
  });

  it('go into the index all together, one segment, with the commit that makes WAITING_BATCH wait', async () => {
    const before = dataRows();
    const ids: number[] = [];
    const customer = addCustomer('hal@example.com', 'Hal Hematite'); // indexed at once: written outside the committer
    for (let i = 0; i < WAITING_BATCH - 1; i++) ids.push(await alone(() => addCase(customer, `Scanner number${i} offline`)));
    expect(waiting()).toBe(WAITING_BATCH - 1);
    expect(found('scanner')).toEqual([]);
    ids.push(await alone(() => addCase(customer, `Scanner number${WAITING_BATCH - 1} offline`)));
    expect(waiting()).toBe(0);
    expect(documentsWaiting(db)).toBe(false);
    expect(found('scanner')).toEqual(ids.map(caseDoc));
    expect(found('number5')).toEqual([caseDoc(ids[5]!)]);
    // One segment of 32 small documents is a leaf or two; a segment per document was 32 rows or more.
    expect(dataRows() - before).toBeLessThanOrEqual(4);
    integrityCheck();
  });

  it('go into the index with the next group commit, with the group\'s own', async () => {
    const lone = await alone(() => addCase(addCustomer('ida@example.com', 'Ida Iolite'), 'Printer tray stuck'));
    const grouped = await Promise.all([
      groupCommit(db, () => addCase(addCustomer('jo@example.com', 'Jo Jasper'), 'Printer toner empty')),
      groupCommit(db, () => db.$client.prepare('SELECT 1').get()),
    ]);
    expect(waiting()).toBe(0);
    expect(documentsWaiting(db)).toBe(false);
    expect(found('printer')).toEqual([caseDoc(lone), caseDoc(grouped[0] as number)]);
    integrityCheck();
  });

  it('changed or deleted while waiting are indexed as they are, or not at all', async () => {
    const changed = await alone(() => addCase(addCustomer('kit@example.com', 'Kit Kyanite'), 'Invoice walrus missing'));
    const deleted = await alone(() => addCase(addCustomer('lu@example.com', 'Lu Lapis'), 'Invoice narwhal missing'));
    await alone(() => {
      db.$client.prepare('UPDATE cases SET subject = ? WHERE id = ?').run('Invoice penguin missing', changed);
      db.$client.prepare("UPDATE customers SET name = 'Kit Topaz' WHERE email = 'kit@example.com'").run();
      db.$client.prepare('DELETE FROM cases WHERE id = ?').run(deleted);
      db.$client.prepare("DELETE FROM customers WHERE email = 'lu@example.com'").run();
    });
    expect(found('penguin')).toEqual([caseDoc(changed)]); // changed: indexed at once, out of search_pending
    expect(waiting()).toBe(0);
    await alone(() => indexWaiting(db));
    expect(found('walrus')).toEqual([]);
    expect(found('narwhal')).toEqual([]);
    expect(found('topaz')).toHaveLength(1);
    expect(found('kyanite')).toEqual([]);
    expect(found('lapis')).toEqual([]);
    expect(found('invoice')).toEqual([caseDoc(changed)]);
    integrityCheck();
  });

  it('of a command that fails are never left waiting; what waited before still does', async () => {
    const kept = await alone(() => addCase(addCustomer('mo@example.com', 'Mo Malachite'), 'Keyboard sticky keys'));
    await expect(
      alone(() => {
        addCase(addCustomer('ned@example.com', 'Ned Nephrite'), 'Keyboard missing keys');
        throw new Error('the command fails after writing');
      }),
    ).rejects.toThrow('the command fails');
    expect(waiting()).toBe(2);
    expect(documentsWaiting(db)).toBe(true);
    // A move rolled back with its command leaves them waiting, and the connection knows.
    await expect(
      alone(() => {
        indexWaiting(db);
        throw new Error('rolled back after the move');
      }),
    ).rejects.toThrow('rolled back');
    expect(waiting()).toBe(2);
    expect(documentsWaiting(db)).toBe(true);
    await alone(() => indexWaiting(db));
    expect(found('keyboard')).toEqual([caseDoc(kept)]);
    expect(found('nephrite')).toEqual([]);
    integrityCheck();
  });

  it('brought back by a move rolled back with its unit go into the index at the group\'s COMMIT', async () => {
    const [id] = await Promise.allSettled([
      groupCommit(db, () => addCase(addCustomer('rae@example.com', 'Rae Rhodonite'), 'Monitor flickers')),
      groupCommit(db, () => {
        indexWaiting(db); // a search inside a unit moves the group's documents so far…
        throw new Error('…and the unit fails: its savepoint puts them back');
      }),
    ]);
    expect(id.status).toBe('fulfilled');
    expect(waiting()).toBe(0);
    expect(documentsWaiting(db)).toBe(false);
    expect(found('monitor')).toEqual([caseDoc((id as PromiseFulfilledResult<number>).value)]);
    integrityCheck();
  });

  it('left waiting while another connection holds the write lock at open: that connection knows they wait', async () => {
    const id = await alone(() => addCase(addCustomer('pia@example.com', 'Pia Peridot'), 'Headset crackles'));
    db.$client.prepare('BEGIN IMMEDIATE').run(); // a busy server's transaction
    const script = openDatabase(file, { busyTimeoutMs: 20 });
    db.$client.prepare('COMMIT').run();
    try {
      expect(waiting()).toBe(2);
      expect(documentsWaiting(script)).toBe(true);
      await groupCommit(script, () => indexWaiting(script));
      expect(script.$client.prepare("SELECT rowid FROM search_fts WHERE search_fts MATCH 'headset'").pluck().all()).toEqual([caseDoc(id)]);
      expect(waiting()).toBe(0);
    } finally {
      script.$client.close();
    }
  });

  it('left when the server was killed go into the index at its next start-up (openServerDatabase)', async () => {
    const id = await alone(() => addCase(addCustomer('sol@example.com', 'Sol Sodalite'), 'Speaker rattles'));
    expect(waiting()).toBe(2);
    db.$client.close(); // what kill -9 leaves: the documents committed in search_pending
    db = (await openServerDatabase(file, { busyTimeoutMs: 1000, logger: createLogger('silent'), integrityWaitMs: 0 })).db;
    expect(waiting()).toBe(0);
    expect(found('speaker')).toEqual([caseDoc(id)]);
    expect(found('sodalite')).toHaveLength(1);
    integrityCheck();
  });

  it('left waiting when the server stopped go into the index when the database is opened again', async () => {
    const id = await alone(() => addCase(addCustomer('ola@example.com', 'Ola Olivine'), 'Webcam image frozen'));
    expect(waiting()).toBe(2);
    db.$client.close();
    db = openDatabase(file);
    expect(waiting()).toBe(0);
    expect(found('webcam')).toEqual([caseDoc(id)]);
    expect(found('olivine')).toHaveLength(1);
    integrityCheck();
  });
});

describe('message documents', () => {
  // What the erasure does with a message's document that still waits: src/privacy/search-documents.test.ts.
  const { addEntry } = bareRows(() => db, AT);
  /** The document of a case's n-th timeline entry (the trigger's rowid: its place in the timeline, notes odd). */
  const messageDoc = (caseId: number, position: number, note = false) => caseDoc(caseId) + position * 2 + (note ? 1 : 0);

  it('in a group commit go into the index together at the COMMIT, one segment; other timeline entries are not indexed', async () => {
    const id = addCase(addCustomer('una@example.com', 'Una Ulexite'), 'Chat about the shipment'); // indexed at once
    const before = dataRows();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        groupCommit(db, () => {
          addEntry(id, 'case.tagged', 'not a message');
          return addEntry(id, i % 2 === 0 ? 'customer.replied' : 'staff.noted', `Parcel number${i} arrived`);
        }),
      ),
    );
    expect(waiting()).toBe(0);
    expect(found('parcel')).toEqual(Array.from({ length: 20 }, (_, i) => messageDoc(id, 2 * (i + 1), i % 2 === 1)));
    expect(found('number7')).toEqual([messageDoc(id, 16, true)]);
    expect(found('message')).toEqual([]);
    expect(dataRows() - before).toBeLessThanOrEqual(4);
    integrityCheck();
  });

  it('written outside a group commit are indexed at once, nothing left waiting', () => {
    const id = addCase(addCustomer('xia@example.com', 'Xia Xenotime'), 'Chat about the invoice');
    addEntry(id, 'case.tagged', 'not a message');
    const first = addEntry(id, 'staff.noted', 'Customer called about dolomite');
    expect(first).toBeGreaterThan(0);
    expect(found('dolomite')).toEqual([messageDoc(id, 2, true)]);
    expect(waiting()).toBe(0);
    integrityCheck();
  });
});
