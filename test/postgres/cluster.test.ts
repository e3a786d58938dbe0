/**
 * test/support/postgres.ts: throw-away PostgreSQL clusters for tests. As root (here and in CI)
 * initdb and postgres must run as an unprivileged user; two clusters run side by side; stop()
 * leaves no process and no folder, and a cluster whose test process died is reaped by the next
 * start.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterCommand, findPostgresBin, isRunning, reapOrphans, startPostgres, type PostgresCluster } from '../support/postgres.js';

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

function processUid(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
  } catch {
    return null; // no such process
  }
}

/** What `pg_ctl status` says of a data directory: 0 running, 3 not running, 4 no data directory. */
function pgCtlStatus(cluster: PostgresCluster): number | null {
  const [command, args] = clusterCommand(cluster, 'pg_ctl', ['status', '-D', cluster.dataDir]);
  return spawnSync(command, args, { stdio: 'ignore', cwd: '/' }).status;
}

let first: PostgresCluster;

beforeAll(async () => {
  first = await startPostgres();
});

afterAll(async () => {
  await first?.stop();
});

describe('startPostgres', () => {
  it('uses the newest PostgreSQL installed, and accepts connections on 127.0.0.1 and its port', async () => {
    expect(first.binDir).toBe(findPostgresBin());
    expect(first.binDir).toMatch(/^\/usr\/lib\/postgresql\/\d+(\.\d+)?\/bin$/);
    const [row] = await query<{ port: string; encoding: string; collate: string; fsync: string; sync: string }>(
      first.url,
      `SELECT current_setting('port') AS port, pg_encoding_to_char(encoding) AS encoding, datcollate AS collate,
              current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync
         FROM pg_database WHERE datname = current_database()`,
    );
    expect(row).toEqual({ port: String(first.port), encoding: 'UTF8', collate: 'C', fsync: 'off', sync: 'off' });
    expect(first.url).toBe(`postgres://postgres@127.0.0.1:${first.port}/postgres`);
  });

  it('never runs the server as root (as root: the postgres user, else nobody)', () => {
    const uid = processUid(first.pid);
    expect(uid).not.toBeNull();
    expect(uid).not.toBe(0);
    if (process.getuid?.() === 0) {
      let expected: number;
      try {
        expected = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      } catch {
        expected = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
      }
      expect(uid).toBe(expected);
      expect(fs.statSync(first.dataDir).uid).toBe(expected);
    } else {
      expect(uid).toBe(process.getuid?.());
    }
  });

  it('makes a fresh database per call, empty or a copy of a template', async () => {
    const a = await first.createDatabase();
    const b = await first.createDatabase();
    expect(a).not.toBe(b);
    await query(a, 'CREATE TABLE t (x int); INSERT INTO t VALUES (42)');
    expect(await query(b, `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 't'`)).toEqual([{ n: 0 }]);
    const copy = await first.createDatabase('copy_of_a', { template: new URL(a).pathname.slice(1) });
    expect(copy).toMatch(/\/copy_of_a$/);
    expect(await query(copy, 'SELECT x FROM t')).toEqual([{ x: 42 }]);
    await expect(first.createDatabase('bad"name')).rejects.toThrow('not a plain database name');
  });

  it('runs a second cluster at the same time on another port; stop() leaves no process and no folder', async () => {
    const second = await startPostgres();
    try {
      expect(second.port).not.toBe(first.port);
      expect(second.dir).not.toBe(first.dir);
      await query(second.url, 'CREATE TABLE only_here (x int)');
      expect(await query(first.url, `SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_here'`)).toEqual([{ n: 0 }]);
      expect(pgCtlStatus(second)).toBe(0);
    } finally {
      await second.stop();
    }
    expect(isRunning(second.pid)).toBe(false);
    expect(fs.existsSync(second.dir)).toBe(false);
    expect(pgCtlStatus(second)).toBe(4); // no data directory any more
    await second.stop(); // twice is fine
    // the first one is untouched
    expect(await query(first.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('a cluster whose test process died without stopping it is stopped and removed by the next start', async () => {
    const orphan = await startPostgres();
    // Its owner is now a process that has exited (a vitest worker killed mid-file).
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    fs.writeFileSync(path.join(orphan.dir, 'owner.pid'), dead.stdout);
    expect(isRunning(orphan.pid)).toBe(true);
    try {
      reapOrphans(); // what the next startPostgres on the machine does first
      expect(isRunning(orphan.pid)).toBe(false);
      expect(fs.existsSync(orphan.dir)).toBe(false);
      expect(fs.existsSync(first.dir)).toBe(true); // ours: its owner is alive
    } finally {
      await orphan.stop();
    }
  });
});
