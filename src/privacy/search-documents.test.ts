import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { bareRows } from '../../test/support/bare-rows.js';
import { tempDir } from '../../test/support/harness.js';
import { openDatabase, type Db } from '../db/client.js';
import { groupCommit, setGroupSlice } from '../db/group-commit.js';
import { indexWaiting } from '../db/search-staging.js';
import { sqliteStore } from '../db/store/sqlite.js';
import { forgetEntryDocuments, forgetMessageDocuments } from './sqlite.js';

// The erasure's and redaction's statements on the search index (sqlite.ts) with messages'
// documents waiting in search_pending (src/db/search-staging.ts, drizzle/0047) and indexed.
let db: Db;
beforeEach(() => {
  db = openDatabase(path.join(tempDir('privacy-search-documents'), 'casebook.db'));
  setGroupSlice(db, 60_000);
  db.$client.prepare("INSERT INTO queues (id, name, created_at) VALUES ('general', 'General', ?)").run(AT);
});
afterEach(() => {
  if (db.$client.open) db.$client.close();
});

const AT = Date.UTC(2026, 11, 6, 9);
const { addCustomer, addCase, addEntry } = bareRows(() => db, AT);
const found = (word: string) => db.$client.prepare('SELECT rowid FROM search_fts WHERE search_fts MATCH ?').pluck().all(word) as number[];
const waiting = () => db.$client.prepare('SELECT count(*) FROM search_pending').pluck().get() as number;
const integrityCheck = () => db.$client.exec("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')");

it("takes a message's document that still waits out of search_pending, and makes the index forget one it holds", async () => {
  const id = addCase(addCustomer('vi@example.com', 'Vi Variscite'), 'Refund question');
  const redacted = await groupCommit(db, () => addEntry(id, 'customer.replied', 'My card ends zircon4242'));
  const other = addCase(addCustomer('wes@example.com', 'Wes Wavellite'), 'Login question');
  await groupCommit(db, () => addEntry(other, 'customer.replied', 'Password tourmaline reset'));
  expect(waiting()).toBe(2); // lone commits: their documents wait
  const store = sqliteStore(db);
  await store.write((q) => forgetEntryDocuments(q, [redacted]));
  await store.write((q) => forgetMessageDocuments(q, String(other)));
  expect(waiting()).toBe(0);
  await groupCommit(db, () => indexWaiting(db));
  expect(found('zircon4242')).toEqual([]);
  expect(found('tourmaline')).toEqual([]);
  integrityCheck(); // the index was never told to forget what it never held
  // Once in the index, the same statements make it forget them.
  const indexed = await groupCommit(db, () => addEntry(id, 'staff.replied', 'Refund spinel sent'));
  await groupCommit(db, () => indexWaiting(db));
  expect(found('spinel')).toHaveLength(1);
  await store.write((q) => forgetEntryDocuments(q, [indexed]));
  expect(found('spinel')).toEqual([]);
  integrityCheck();
});
