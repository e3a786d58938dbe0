import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/harness.js';
import { beginImmediate, whileBusy } from './begin.js';
import { openDatabase, type Db } from './client.js';

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

let open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.$client.close();
});

function database(busyTimeoutMs: number): { db: Db; file: string } {
  const file = path.join(tempDir(), 'begin.db');
  const db = openDatabase(file, { migrate: false, busyTimeoutMs });
  db.$client.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
  open.push(db);
  return { db, file };
}

describe('whileBusy', () => {
  it('tries a refused BEGIN again until the busy timeout has passed by the clock, then gives the refusal', () => {
    const { db } = database(1000);
    let clock = 0;
    let tries = 0;
    // Refused three times, 300 ms of the clock apart: the fourth try, at 900 ms, is still within 1 s.
    expect(whileBusy(db.$client, () => (++tries < 4 ? ((clock += 300), thrower()) : 'began'), () => true, () => clock)).toBe('began');
    expect(tries).toBe(4);
    clock = 0;
    tries = 0;
    expect(() => whileBusy(db.$client, () => ((tries++, (clock += 400)), thrower()), () => true, () => clock)).toThrow('database is locked');
    expect(tries).toBe(3); // 400, 800, then 1,200 ms ≥ 1 s
  });

  it('gives any other failure, and a refusal that came after the work began, at once', () => {
    const { db } = database(1000);
    let tries = 0;
    expect(() => whileBusy(db.$client, () => (tries++, thrower(new Error('other'))))).toThrow('other');
    expect(tries).toBe(1);
    tries = 0;
    expect(() => whileBusy(db.$client, () => (tries++, thrower()), () => false)).toThrow('database is locked');
    expect(tries).toBe(1);
  });

  it('waits out a lock held elsewhere under a CPU profiler, whose signals cut SQLite\'s own busy sleeps short', async () => {
    const { db, file } = database(5000);
    db.$client.exec('CREATE TABLE w (id INTEGER PRIMARY KEY, who TEXT NOT NULL)');
    // The profiler first: it signals this thread every 100 µs from here on.
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    // Another connection writes and holds the write lock for 300 ms (a checkpoint's or another writer's hold).
    const holder = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const Database = require(workerData.driver);
       const db = new Database(workerData.file);
       db.exec("BEGIN IMMEDIATE; INSERT INTO w (who) VALUES ('holder')");
       parentPort.postMessage('held');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
       db.exec('COMMIT');
       db.close();`,
      { eval: true, workerData: { file, driver: createRequire(import.meta.url).resolve('better-sqlite3') } },
    );
    try {
      await new Promise((resolve) => holder.once('message', resolve));
      beginImmediate(db);
      db.$client.exec("INSERT INTO w (who) VALUES ('waiter'); COMMIT");
    } finally {
      await session.post('Profiler.stop');
      session.disconnect();
      await holder.terminate();
    }
    // Begun only once the holder had committed: its row comes first.
    expect(db.$client.prepare('SELECT who FROM w ORDER BY id').pluck().all()).toEqual(['holder', 'waiter']);
  });
});

function thrower(error: Error = busy()): never {
  throw error;
}
