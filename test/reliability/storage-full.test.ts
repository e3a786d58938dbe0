/**
 * A full disk: writes answer 503 STORAGE_FULL with Retry-After (problem+json for the API, the
 * error page for pages), the condition is logged once a minute (no stack trace per request),
 * and writes succeed again by themselves once space is freed.
 *
 * Two ways to fill it: SQLite's `PRAGMA max_page_count` makes the database full in-process
 * (runs everywhere); a real 8 MiB tmpfs under the real server needs root (mount), and is
 * skipped with a message otherwise. The tmpfs run also checks that the WAL is not what eats
 * the space: it is kept to a fraction of the free space and given back once space frees.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { asDomainError } from '../../src/http/problem.js';
import { createLogger } from '../../src/logger.js';
import { ADMIN_TOKEN, createHarness, standardQueues, tempDir, type Harness } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { startServer } from '../support/server.js';

let h: Harness | null = null;
afterEach(() => {
  h?.close();
  h = null;
});

const intake = (n: number, size = 200) => ({ customer: { email: `full${n % 5}@example.com` }, subject: `Invoice ${n}`, description: `I was charged twice for invoice ${n}. `.repeat(Math.ceil(size / 40)).slice(0, size) });

describe('a full database (max_page_count), in-process', () => {
  it('answers 503 STORAGE_FULL with Retry-After, logs once a minute, and recovers when space frees', async () => {
    const lines: string[] = [];
    h = createHarness({ services: { logger: createLogger('info', (line) => lines.push(line)) } });
    standardQueues(h);
    const customer = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
    const page = signedIn(h, customer);
    const sqlite = h.db.$client;
    const pages = sqlite.pragma('page_count', { simple: true }) as number;
    sqlite.pragma(`max_page_count = ${pages}`);

    for (let n = 0; n < 5; n++) {
      const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: intake(n, 5000) });
      expect(res.status).toBe(503);
      expect(res.headers.get('Retry-After')).toBe('30');
      expect(res.headers.get('Content-Type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ code: 'STORAGE_FULL', status: 503, requestId: res.headers.get('X-Request-Id') });
    }
    // A page gets the error page (in the layout), with the same status and Retry-After.
    const form = await page.post('/portal/cases', { subject: 'Invoice', description: 'I was charged twice. '.repeat(300) });
    expect(form.status).toBe(503);
    expect(form.headers.get('Retry-After')).toBe('30');
    expect(await form.text()).toContain('Storage full');

    const full = lines.filter((l) => l.includes('storage full'));
    expect(full).toHaveLength(1);
    expect(JSON.parse(full[0]!)).toMatchObject({ level: 'error', database: h.dbPath, error: expect.stringContaining('SQLITE_FULL') });
    expect(lines.join('\n')).not.toMatch(/\n\s+at |"stack"/);

    // A minute later, still full: one more line, counting the refusals it left out.
    h.clock.advance(61_000);
    await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: intake(9, 5000) });
    const later = lines.filter((l) => l.includes('storage full'));
    expect(later).toHaveLength(2);
    expect(JSON.parse(later[1]!)).toMatchObject({ alsoSince: 5 });

    // Space frees: the next write succeeds, nothing to restart.
    sqlite.pragma('max_page_count = 4294967294');
    const ok = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: intake(10, 5000) });
    expect(ok.status).toBe(201);
    expect(lines.filter((l) => l.includes('storage available again'))).toHaveLength(1);
  });

  it('maps ENOSPC and EDQUOT from file writes to STORAGE_FULL', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL']) {
      expect(asDomainError(Object.assign(new Error('no space left on device'), { code })).code).toBe('STORAGE_FULL');
    }
  });
});

/** An 8 MiB tmpfs, if this process may mount one (root); null with the reason otherwise. */
function mountSmallDisk(): { dir: string; unmount: () => void } | string {
  if (process.getuid?.() !== 0) return 'not root: mounting a small tmpfs needs root';
  const dir = tempDir('casebook-full-');
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) return `mount -t tmpfs failed: ${(mounted.stderr || mounted.error?.message || '').trim()}`;
  return { dir, unmount: () => void spawnSync('umount', ['-l', dir]) };
}

const disk = mountSmallDisk();
afterAll(() => {
  if (typeof disk !== 'string') disk.unmount();
});
if (typeof disk === 'string') process.stderr.write(`storage-full: skipping the real-disk test (${disk})\n`);

describe('a full disk (8 MiB tmpfs), the real server', () => {
  it.skipIf(typeof disk === 'string')('refuses writes with 503 while full, keeps the WAL small, and recovers by itself when space frees', async () => {
    const { dir } = disk as { dir: string };
    const dbPath = path.join(dir, 'casebook.db');
    const ballast = path.join(dir, 'ballast');
    fs.writeFileSync(ballast, Buffer.alloc(3 * 1024 * 1024));
    const server = await startServer({ databasePath: dbPath, env: { RATE_LIMIT_CASES_PER_TOKEN: 'off', RATE_LIMIT_CASES_PER_CUSTOMER: 'off', LOG_LEVEL: 'warn' } });
    const post = async (n: number) => {
      const res = await fetch(`${server.url}/api/v1/cases`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(intake(n, 15_000)) });
      return { status: res.status, retryAfter: res.headers.get('Retry-After'), body: (await res.json()) as { code?: string } };
    };
    const walBytes = () => fs.statSync(`${dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    const freeBytes = () => {
      const s = fs.statfsSync(dir);
      return s.bavail * s.bsize;
    };
    try {
      let n = 0;
      let created = 0;
      let largestWal = 0;
      let refused: Awaited<ReturnType<typeof post>> | null = null;
      while (n < 2000 && refused === null) {
        const res = await post(n++);
        largestWal = Math.max(largestWal, walBytes());
        if (res.status === 201) created++;
        else refused = res;
      }
      expect(created).toBeGreaterThan(20);
      expect(refused).toMatchObject({ status: 503, retryAfter: '30', body: { code: 'STORAGE_FULL' } });
      // The refusal makes the checkpointer give the WAL's space back, and a smaller intake may
      // then fit again (an intake writes ~30 pages since issue 11): once it has, the rest of the
      // disk is filled too, so that the disk stays full for what follows.
      for (let i = 0; i < 40 && walBytes() > 64 * 1024; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const filler = path.join(dir, 'filler');
      fs.writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes() - 16 * 1024)));
      for (let i = 0; i < 10; i++) expect((await post(n++)).status).toBe(503);
      // The WAL never took the disk: it is truncated at a quarter of the free space.
      expect(largestWal).toBeLessThan(3 * 1024 * 1024);
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ checks: { database: 'full' } });

      fs.rmSync(ballast);
      fs.rmSync(filler);
      expect(freeBytes()).toBeGreaterThan(2 * 1024 * 1024);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      for (let i = 0; i < 5; i++) expect((await post(n++)).status).toBe(201);

      const output = server.output();
      expect(output.split('\n').filter((l) => l.includes('storage full'))).toHaveLength(1);
      expect(output).not.toMatch(/\n\s+at /);
      expect(await server.stop()).toBe(0);
    } finally {
      if (server.child.exitCode === null) await server.stop();
    }
  }, 60_000);
});
