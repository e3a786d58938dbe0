import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/harness.js';
import { createLogger } from '../logger.js';
import { startCheckpointer } from './checkpointer.js';
import { openDatabase, transaction } from './client.js';

describe('startCheckpointer', () => {
  it('turns the automatic checkpoint off and checkpoints the WAL from a worker thread', async () => {
    const file = path.join(tempDir(), 'c.db');
    const db = openDatabase(file);
    const checkpointer = startCheckpointer(db, file, createLogger('silent'), { intervalMs: 60_000 });
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
});
