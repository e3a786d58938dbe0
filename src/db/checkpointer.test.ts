import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../test/support/harness.js';
import { createLogger } from '../logger.js';
import { startCheckpointer } from './checkpointer.js';
import { openDatabase, transaction } from './client.js';

describe('startCheckpointer', () => {
  it('turns the automatic checkpoint off and checkpoints the WAL from a worker thread', async () => {
    const file = path.join(tempDir(), 'c.db');
    const db = openDatabase(file);
    // The worker looks at the WAL only once a minute: 2000 writes make an 18 MB WAL, past the
    // size at which it would truncate it on its own, concurrently with this test's reads of it
    // (under load the WAL was sometimes empty when measured, or the checkpoint found nothing).
    const checkpointer = startCheckpointer(db, file, createLogger('silent'), { intervalMs: 60_000, pollMs: 60_000 });
    expect(db.$client.pragma('wal_autocheckpoint', { simple: true })).toBe(0);

    const insert = db.$client.prepare("INSERT INTO queues (id, name, tier, created_at) VALUES (?, 'q', 1, 0)");
    for (let i = 0; i < 2000; i++) insert.run(`q${i}`);
    const walBytes = fs.statSync(`${file}-wal`).size;
    expect(walBytes).toBeGreaterThan(0);

    const result = await checkpointer.checkpointNow();
    expect(result.log).toBeGreaterThan(0);
    expect(result.checkpointed).toBe(result.log);

    // Once fully checkpointed, the next write starts the WAL over instead of growing it.
    insert.run('after');
    expect(fs.statSync(`${file}-wal`).size).toBeLessThanOrEqual(walBytes);
    await checkpointer.stop();
    expect(fs.statSync(`${file}-wal`).size).toBe(0);
    db.$client.close();
  });

  it('truncates a WAL that reached the limit before the next transaction, even when the worker is idle', async () => {
    const file = path.join(tempDir(), 'c.db');
    const db = openDatabase(file);
    const limit = 256 * 1024;
    // The worker looks only once a minute: the backstop alone has to keep the bound.
    const checkpointer = startCheckpointer(db, file, createLogger('silent'), { intervalMs: 60_000, pollMs: 60_000, walSizeLimit: limit });
    const insert = db.$client.prepare("INSERT INTO queues (id, name, tier, created_at) VALUES (?, ?, 1, 0)");
    let largest = 0;
    for (let i = 0; i < 400; i++) {
      transaction(db, () => insert.run(`q${i}`, 'x'.repeat(2000)));
      largest = Math.max(largest, fs.statSync(`${file}-wal`).size);
    }
    // Unbounded, 400 transactions of a 2 kB row would leave a WAL of ~2.5 MiB.
    expect(largest).toBeLessThan(limit + 64 * 1024);
    expect(checkpointer.stats().backstops).toBeGreaterThan(0);
    await checkpointer.stop();
    db.$client.close();
  });

  it('starts the WAL over once its log passes the mark, keeping the file (no truncation and regrowth): the file never shrinks below the mark, nor grows past the limit', async () => {
    const file = path.join(tempDir(), 'c.db');
    const db = openDatabase(file);
    const limit = 512 * 1024;
    const mark = limit / 2;
    const checkpointer = startCheckpointer(db, file, createLogger('silent'), { intervalMs: 60_000, pollMs: 1, walSizeLimit: limit });
    const insert = db.$client.prepare('INSERT INTO queues (id, name, tier, created_at) VALUES (?, ?, 1, 0)');
    // The migrations' WAL, past the limit: the first write's backstop truncates it.
    transaction(db, () => insert.run('first', 'x'));
    const backstops = checkpointer.stats().backstops;
    const sizes: number[] = [];
    const logBytes = walLog(file);
    // Transactions of one 2 kB row. Once the log is past the mark, the next waits for the worker's
    // reset: on a loaded machine the worker may run late, and writing on would reach the limit,
    // where the backstop truncates (another test's subject).
    for (let i = 0; i < 1200 && checkpointer.stats().resets < 3; i++) {
      const resets = checkpointer.stats().resets;
      transaction(db, () => insert.run(`q${i}`, 'x'.repeat(2000)));
      sizes.push(fs.statSync(`${file}-wal`).size);
      if (logBytes() >= mark) await vi.waitFor(() => expect(checkpointer.stats().resets).toBeGreaterThan(resets), { timeout: 10_000, interval: 1 });
      else await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(checkpointer.stats().resets).toBeGreaterThanOrEqual(3);
    const reached = sizes.findIndex((size) => size >= mark);
    expect(reached).toBeGreaterThan(0);
    // Emptied (TRUNCATE), the file would fall to a few pages after each reset.
    expect(Math.min(...sizes.slice(reached))).toBeGreaterThanOrEqual(mark);
    expect(Math.max(...sizes)).toBeLessThan(limit + 64 * 1024);
    expect(checkpointer.stats().backstops).toBe(backstops);
    // Started over, not grown: the log holds what was written since the last reset.
    const frames = (db.$client.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
    expect(frames * 4120).toBeLessThan(limit);
    await checkpointer.stop();
    expect(fs.statSync(`${file}-wal`).size).toBe(0);
    db.$client.close();
  });

  it('takes its turns at the write lock between the connection\'s transactions: with SQLite\'s busy handler off, no transaction meets a reset', async () => {
    const file = path.join(tempDir(), 'c.db');
    const db = openDatabase(file);
    const checkpointer = startCheckpointer(db, file, createLogger('silent'), { intervalMs: 60_000, pollMs: 1, walSizeLimit: 512 * 1024 });
    const insert = db.$client.prepare('INSERT INTO queues (id, name, tier, created_at) VALUES (?, ?, 1, 0)');
    transaction(db, () => insert.run('first', 'x'));
    // A transaction that met the worker's hold inside SQLite now fails at once (SQLITE_BUSY)
    // instead of sleeping on SQLite's schedule. Before the writer gate, most resets failed one.
    db.$client.pragma('busy_timeout = 0');
    const failed: unknown[] = [];
    for (let i = 0; checkpointer.stats().resets < 5; i++) {
      if (i > 50_000) throw new Error(`the worker started the WAL over ${checkpointer.stats().resets} times in ${i} transactions`);
      try {
        transaction(db, () => insert.run(`q${i}`, 'x'.repeat(2000)));
      } catch (error) {
        failed.push(error);
      }
      // Between two transactions the server answers requests: 0.3 ms on the same thread.
      const answered = performance.now() + 0.3;
      while (performance.now() < answered);
      // The worker's messages (its resets) arrive between two turns of the event loop.
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(failed).toEqual([]);
    await checkpointer.stop();
    db.$client.close();
  });

  it('holds no writer off while a reader elsewhere keeps the WAL from starting over, and starts it over once the reader is done', async () => {
    const file = path.join(tempDir(), 'c.db');
    const db = openDatabase(file);
    const limit = 8 * 1024 * 1024;
    const mark = limit / 2;
    const checkpointer = startCheckpointer(db, file, createLogger('silent'), { intervalMs: 60_000, pollMs: 1, walSizeLimit: limit });
    const insert = db.$client.prepare('INSERT INTO queues (id, name, tier, created_at) VALUES (?, ?, 1, 0)');
    transaction(db, () => insert.run('first', 'x'));
    const logBytes = walLog(file);
    // A report, a copy, the sqlite3 shell: a snapshot from before the writes below.
    const reader = new Database(file, { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM queues').get();
    let i = 0;
    while (logBytes() < mark) {
      transaction(db, () => insert.run(`q${i++}`, 'x'.repeat(2000)));
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // Past the mark the worker tries to start the WAL over, and cannot: a second of writes, 5 ms
    // apart (short of the limit, the backstop's subject).
    let longest = 0;
    for (const until = Date.now() + 1000; Date.now() < until; ) {
      const started = performance.now();
      transaction(db, () => insert.run(`q${i++}`, 'x'));
      longest = Math.max(longest, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(logBytes()).toBeGreaterThan(mark);
    // Before, the worker's RESTART waited for the reader (its busy timeout, 2 s) while holding every writer off.
    expect(longest).toBeLessThan(500);
    reader.exec('COMMIT');
    reader.close();
    // The reader done, the WAL is started over (the worker backs off after a busy try: at most a second).
    await waitFor(() => {
      transaction(db, () => insert.run(`q${i++}`, 'x'));
      return logBytes() < mark;
    });
    await checkpointer.stop();
    db.$client.close();
  });

  it('lets writes go on while a reader elsewhere keeps the WAL at its limit from being emptied, says so once a minute, and empties it once the reader is done', async () => {
    const file = path.join(tempDir(), 'c.db');
    const db = openDatabase(file);
    const limit = 256 * 1024;
    const lines: string[] = [];
    // The worker looks only once a minute: the backstop alone meets the reader.
    const checkpointer = startCheckpointer(db, file, createLogger('debug', (l) => lines.push(l)), { intervalMs: 60_000, pollMs: 60_000, walSizeLimit: limit });
    const truncations = () => lines.filter((l) => l.includes('truncated before the next write')).length;
    const insert = db.$client.prepare('INSERT INTO queues (id, name, tier, created_at) VALUES (?, ?, 1, 0)');
    transaction(db, () => insert.run('first', 'x'));
    // A backup, a report, the sqlite3 shell: a snapshot the WAL cannot be emptied under.
    const reader = new Database(file, { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM queues').get();
    let i = 0;
    while (fs.statSync(`${file}-wal`).size < limit) insert.run(`q${i++}`, 'x'.repeat(2000));
    const truncatedBefore = truncations();
    // Before, every write while the reader read waited 1 s on the event loop (5 s before that),
    // and the WAL grew all the same.
    const started = performance.now();
    for (let n = 0; n < 20; n++) transaction(db, () => insert.run(`q${i++}`, 'x'.repeat(2000)));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(limit);
    expect(lines.filter((l) => l.includes('WAL over its size limit'))).toEqual([expect.stringContaining('a reader elsewhere keeps it from being emptied')]);
    // Not told as truncated (the debug line said so at every pinned write).
    expect(truncations()).toBe(truncatedBefore);
    reader.exec('COMMIT');
    reader.close();
    // The reader done, a write empties the WAL again (within a second: the backstop waits that long before it tries again).
    await waitFor(() => {
      transaction(db, () => insert.run(`q${i++}`, 'x'));
      return fs.statSync(`${file}-wal`).size < limit;
    });
    expect(truncations()).toBeGreaterThan(truncatedBefore);
    await checkpointer.stop();
    db.$client.close();
  });

  it('restarts a worker that dies, and logs its death', async () => {
    const file = path.join(tempDir(), 'c.db');
    const db = openDatabase(file);
    const lines: string[] = [];
    const checkpointer = startCheckpointer(db, file, createLogger('info', (l) => lines.push(l)), { intervalMs: 60_000, pollMs: 60_000 });
    const insert = db.$client.prepare("INSERT INTO queues (id, name, tier, created_at) VALUES (?, 'q', 1, 0)");

    // Two ways to die: an uncaught error in the worker (it throws on a message it does not know), and being terminated.
    for (const [i, crash] of [(w: Worker) => w.postMessage('no such message'), (w: Worker) => void w.terminate()].entries()) {
      const dying = checkpointer.thread()!;
      const exited = new Promise((resolve) => dying.once('exit', resolve));
      crash(dying);
      await exited;
      await waitFor(() => checkpointer.thread() !== null && checkpointer.thread() !== dying);
      expect(checkpointer.stats().restarts).toBe(i + 1);
      // The new worker checkpoints.
      for (let n = 0; n < 100; n++) insert.run(`q${i}-${n}`);
      const result = await checkpointer.checkpointNow();
      expect(result.checkpointed).toBe(result.log);
    }
    const deaths = lines.filter((l) => l.includes('checkpoint worker died; restarting it'));
    expect(deaths).toHaveLength(2);
    expect(JSON.parse(deaths[0]!)).toMatchObject({ level: 'error', exitCode: 1, database: file });
    expect(lines.some((l) => l.includes('checkpoint worker failed') && l.includes('unknown message'))).toBe(true);
    await checkpointer.stop();
    db.$client.close();
  });

  it('never lets a restarted worker checkpoint into a file that replaced the database', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'c.db');
    const db = openDatabase(file);
    const lines: string[] = [];
    const checkpointer = startCheckpointer(db, file, createLogger('info', (l) => lines.push(l)), { intervalMs: 60_000 });
    db.$client.prepare("INSERT INTO queues (id, name, tier, created_at) VALUES ('before', 'q', 1, 0)").run();
    // Another database takes the path (a restore copied over it, say), then the worker dies.
    const other = path.join(dir, 'other.db');
    const otherDb = new Database(other);
    otherDb.exec('CREATE TABLE t (x)');
    otherDb.close();
    fs.renameSync(other, file);
    const before = fs.readFileSync(file);
    const dying = checkpointer.thread()!;
    void dying.terminate();
    // Two workers refused the file; between two attempts (100 ms, 200 ms, 400 ms … apart) none
    // runs. Both are waited for: a fixed look could fall between a worker's error and its exit,
    // or after the next start on a loaded machine.
    await waitFor(() => lines.filter((l) => l.includes('is no longer the database the server opened')).length >= 2 && checkpointer.thread() === null);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    await checkpointer.stop().catch(() => undefined);
    db.$client.close();
  });
});

/**
 * The WAL's log in bytes, as the worker reads it: the wal-index header's frame count (offset 16
 * of the -shm file). The descriptor stays open: closing one drops every POSIX lock this process
 * holds on the file, SQLite's (a reader's included) among them.
 */
function walLog(file: string): () => number {
  const shm = fs.openSync(`${file}-shm`, 'r');
  const header = Buffer.alloc(20);
  return () => {
    fs.readSync(shm, header, 0, header.length, 0);
    return header.readUInt32LE(16) * (4096 + 24);
  };
}

/** Worker threads start slowly on a loaded machine: the bound is generous, the wait ends as soon as the condition holds. */
async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
