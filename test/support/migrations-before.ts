/** For the upgrade tests of SQLite migrations (test/db/*-upgrade.test.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/db/client.js';

/** A copy of the migrations up to (not including) the one whose tag ends with `tag`. */
export function migrationsBefore(dir: string, tag: string): string {
  const before = path.join(dir, 'migrations-before');
  fs.cpSync(MIGRATIONS_DIR, before, { recursive: true });
  const journalFile = path.join(before, 'meta', '_journal.json');
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as { entries: { tag: string }[] };
  const index = journal.entries.findIndex((e) => e.tag.endsWith(tag));
  expect(index).toBeGreaterThan(0);
  for (const entry of journal.entries.slice(index)) fs.rmSync(path.join(before, `${entry.tag}.sql`));
  journal.entries = journal.entries.slice(0, index);
  fs.writeFileSync(journalFile, JSON.stringify(journal));
  return before;
}

