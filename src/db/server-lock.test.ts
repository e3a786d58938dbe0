import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DatabaseAccessError } from './access.js';
import { DatabaseInUseError, lockFileOf, lockServerDatabase, type ServerLock } from './server-lock.js';

const held: ServerLock[] = [];
afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
});
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-lock-'));
  dirs.push(dir);
  return dir;
}

function tempDb(): string {
  return path.join(tempFolder(), 'data', 'casebook.db');
}

describe('lockServerDatabase', () => {
  it('lets one server hold a database: a second is refused with the holder, and gets it once it is released', () => {
    const file = tempDb();
    const first = lockServerDatabase(file, { now: new Date('2026-03-02T08:00:00Z'), waitMs: 50 });
    held.push(first);
    expect(first.file).toBe(lockFileOf(file));
    expect(fs.existsSync(path.dirname(file))).toBe(true); // the folder is created, as for the database
    let refused: unknown;
    try {
      held.push(lockServerDatabase(file, { waitMs: 50 }));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(DatabaseInUseError);
    expect((refused as Error).message).toBe(
      `the database ${file} is in use by another Casebook server (pid ${process.pid} on ${os.hostname()}, running since 2026-03-02T08:00:00.000Z). Fix: stop that server first, or set DATABASE_PATH to another database file`,
    );
    first.release();
    first.release(); // twice is harmless
    held.push(lockServerDatabase(file, { waitMs: 50 }));
  });

  it('locks each database file on its own', () => {
    const file = tempDb();
    held.push(lockServerDatabase(file, { waitMs: 50 }));
    held.push(lockServerDatabase(path.join(path.dirname(file), 'other.db'), { waitMs: 50 }));
  });

  it('a folder path that runs through a file is the same one line as for the database', () => {
    const dir = tempFolder();
    fs.writeFileSync(path.join(dir, 'plain'), 'x');
    const file = path.join(dir, 'plain', 'casebook.db');
    expect(() => lockServerDatabase(file, { waitMs: 50 })).toThrow(DatabaseAccessError);
    expect(() => lockServerDatabase(file, { waitMs: 50 })).toThrow(/part of its folder path .* is a file, not a folder/);
  });
});
