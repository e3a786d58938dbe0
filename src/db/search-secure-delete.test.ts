import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bareRows } from '../../test/support/bare-rows.js';
import { tempDir } from '../../test/support/harness.js';
import { openDatabase, type Db } from './client.js';
import { groupCommit, setGroupSlice } from './group-commit.js';
import { indexWaiting } from './search-staging.js';

// FTS5's secure-delete on only in the transactions that delete from the search index
// (search-secure-delete.ts, migration 0046): on a real database with the real migrations and
// triggers, written through the group committer as the server writes.
let db: Db;
let file: string;
beforeEach(() => {
  file = path.join(tempDir('search-secure-delete'), 'casebook.db');
  db = openDatabase(file);
  setGroupSlice(db, 60_000);
  // Segments stay as written: a word deleted without secure-delete stays in its old segment's
  // pages (a merge would drop it and hide the difference).
  db.$client.exec("INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 0); INSERT INTO search_fts(search_fts, rank) VALUES ('crisismerge', 200)");
  db.$client.prepare("INSERT INTO queues (id, name, created_at) VALUES ('general', 'General', ?)").run(AT);
});
afterEach(() => {
  if (db.$client.open) db.$client.close();
});

const AT = Date.UTC(2026, 11, 6, 9);

const { addCustomer, addCase } = bareRows(() => db, AT);

const setSubject = (id: number, subject: string) => db.$client.prepare('UPDATE cases SET subject = ? WHERE id = ?').run(subject, id);
const found = (word: string) => db.$client.prepare('SELECT rowid FROM search_fts WHERE search_fts MATCH ?').pluck().all(word) as number[];
/** The setting as stored (FTS5 reads it from here). */
const secureDelete = (of: Db = db) => of.$client.prepare("SELECT v FROM search_fts_config WHERE k = 'secure-delete'").pluck().get() ?? 0;
/** Whether any page of the index holds the word's bytes (a word deleted without secure-delete stays in its old segment). */
const inPages = (word: string) => db.$client.prepare('SELECT count(*) FROM search_fts_data WHERE instr(block, CAST(? AS BLOB)) > 0').pluck().get(word) !== 0;
const integrityCheck = () => db.$client.exec("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')");

let customers = 0;

/** A case committed, its document moved into the index (a lone commit leaves it waiting in search_pending). */
async function indexedCase(subject: string, description?: string): Promise<number> {
  const id = await groupCommit(db, () => addCase(addCustomer(`someone${++customers}@example.com`, 'Some One'), subject, description));
  await groupCommit(db, () => indexWaiting(db));
  expect(found(subject.split(' ')[0]!)).toHaveLength(1);
  return id;
}

describe("the search index's secure-delete", () => {
  it('is off after the migrations, and documents that only add leave it off, long ones with frequent words too', async () => {
    expect(secureDelete()).toBe(0);
    // "gravel" 80 times in one column: its position list's size takes two bytes (FTS5's misread delete flag).
    await indexedCase('Quarry report', Array.from({ length: 80 }, () => 'gravel').join(' '));
    expect(secureDelete()).toBe(0);
    expect(found('gravel')).toHaveLength(1);
    integrityCheck();
  });

  it('is on for the COMMIT of an edit: the old words leave the index pages at once, and it is off again afterwards', async () => {
    const id = await indexedCase('Qxjuncture noise', 'The fan hums.');
    expect(inPages('qxjunctur')).toBe(true);
    await groupCommit(db, () => setSubject(id, 'Fan noise'));
    expect(found('qxjuncture')).toEqual([]);
    expect(inPages('qxjunctur')).toBe(false);
    expect(found('fan')).toHaveLength(1);
    expect(secureDelete()).toBe(0);
    integrityCheck();
  });

  it("is turned on again by a later unit of the group when the unit that turned it on was rolled back", async () => {
    const first = await indexedCase('Qxbrindle sound');
    const second = await indexedCase('Qxtamarack smell');
    const outcomes = await Promise.allSettled([
      groupCommit(db, () => {
        setSubject(first, 'Changed then undone');
        throw new Error('the unit fails after its edit');
      }),
      groupCommit(db, () => setSubject(second, 'Burnt smell')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
    expect(found('qxbrindle')).toHaveLength(1); // rolled back: still indexed
    expect(inPages('qxtamarack')).toBe(false); // the second unit's delete went out securely
    expect(secureDelete()).toBe(0);
    integrityCheck();
  });

  it('left on by a transaction outside the group committer (a script): turned off when the database is next opened', async () => {
    const customer = addCustomer('someone@example.com', 'Qxmarlin Person');
    await groupCommit(db, () => addCase(customer, 'Printer jam'));
    expect(inPages('qxmarlin')).toBe(true);
    db.$client.transaction(() => db.$client.prepare('UPDATE customers SET name = ? WHERE id = ?').run('Other Person', customer))();
    expect(inPages('qxmarlin')).toBe(false); // secure all the same
    expect(secureDelete()).toBe(1);
    const again = openDatabase(file);
    try {
      expect(secureDelete(again)).toBe(0);
    } finally {
      again.$client.close();
    }
  });
});
