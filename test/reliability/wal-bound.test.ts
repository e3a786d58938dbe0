/**
 * The WAL stays bounded under sustained writes: the real server (default `worker`
 * checkpoints) with a small WAL_SIZE_LIMIT_MB takes a stream of intake requests as fast as it
 * can while the test samples the size of the `-wal` file. PASSIVE checkpoints alone never
 * start the WAL over under a steady stream of commits; past the mark the checkpointer does
 * (RESTART), and at the limit the backstop truncates it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, tempDir } from '../support/harness.js';
import { startServer } from '../support/server.js';

const LIMIT_MB = 1;
const MiB = 1024 * 1024;
/** A WAL frame: a 24-byte header and a 4 KiB page. */
const FRAME_BYTES = 24 + 4096;
/** Enough writing that an unbounded WAL would pass several times the allowed size. */
const CASES = Number(process.env.WAL_TEST_CASES ?? 600);
const IN_FLIGHT = 16;

describe('WAL size under sustained intake', () => {
  it(`stays near WAL_SIZE_LIMIT_MB=${LIMIT_MB} however much is written`, async () => {
    const dbPath = path.join(tempDir(), 'casebook.db');
    const server = await startServer({
      databasePath: dbPath,
      env: { LOG_LEVEL: process.env.WAL_TEST_LOG ?? 'warn', WAL_SIZE_LIMIT_MB: String(LIMIT_MB), RATE_LIMIT_CASES_PER_TOKEN: 'off', RATE_LIMIT_CASES_PER_CUSTOMER: 'off' },
    });
    let largest = 0;
    let previous = 0;
    /**
     * WAL bytes appended, as seen between samples (a lower bound of what was written): the frames
     * the wal-index header counts (`mxFrame` at offset 16 of the -shm file), since a WAL started
     * over keeps its file's length.
     */
    let appended = 0;
    const header = Buffer.alloc(20);
    const sampler = setInterval(() => {
      const size = fs.statSync(`${dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0;
      largest = Math.max(largest, size);
      let frames = 0;
      try {
        const fd = fs.openSync(`${dbPath}-shm`, 'r');
        fs.readSync(fd, header, 0, header.length, 0);
        fs.closeSync(fd);
        frames = header.readUInt32LE(16);
      } catch {
        // Not there yet.
      }
      appended += Math.max(0, frames - previous) * FRAME_BYTES;
      previous = frames;
    }, 5);

    let sent = 0;
    let created = 0;
    const worker = async () => {
      while (sent < CASES) {
        const n = sent++;
        const res = await fetch(`${server.url}/api/v1/cases`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({
            customer: { email: `wal-${n % 50}@example.com` },
            subject: `Invoice question #${n}`,
            description: `I was charged twice for invoice ${n}, please refund the second charge. `.repeat(8),
          }),
        });
        await res.arrayBuffer();
        if (res.status === 201) created++;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    clearInterval(sampler);
    expect(await server.stop()).toBe(0);
    if (process.env.WAL_TEST_LOG) process.stderr.write(server.output().split("\n").filter((l) => l.includes("WAL")).join("\n") + "\n");

    process.stderr.write(`WAL bound: ${created} cases, ${(appended / MiB).toFixed(1)} MiB appended to the WAL, largest WAL ${(largest / MiB).toFixed(2)} MiB (limit ${LIMIT_MB} MiB)\n`);
    expect(created).toBe(CASES);
    // Written in all: many times the bound (an unbounded WAL would have grown to about this).
    expect(appended).toBeGreaterThan(8 * LIMIT_MB * MiB);
    // The limit, plus the few writes made outside transaction() meanwhile (measured: 1.08 MiB).
    expect(largest).toBeLessThan(2 * LIMIT_MB * MiB);
    expect(fs.existsSync(`${dbPath}-wal`) ? fs.statSync(`${dbPath}-wal`).size : 0).toBe(0);
  }, 120_000);
});
