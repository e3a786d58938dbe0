import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/harness.js';
import { mountSmallDisk } from '../../test/support/small-disk.js';
import { openDatabase, type Db } from './client.js';
import { useWalJoining, WAL_JOINING_LIBRARY, walJoiningStats } from './wal-coalesce.js';

// WAL write joining (native/wal-coalesce.c): real files, the real SQLite, the library the build
// compiled. What it must never change is checked the hard way: a process killed with SIGKILL
// and its WAL recovered by the next (recovery checks every frame's checksum chain), a disk that
// fills up in the middle of a joined write.

const PAGE = 4096;
const FRAME = PAGE + 24;

let db: Db;
let file: string;
beforeEach(() => {
  file = path.join(tempDir('wal-joining'), 'casebook.db');
  db = openDatabase(file, { migrate: false });
});
afterEach(() => {
  if (db.$client.open) db.$client.close();
});

const stats = () => walJoiningStats(db.$client)!;

describe('WAL write joining', () => {
  it('is the default VFS of every connection opened after openDatabase, workers and plain connections too', async () => {
    expect(fs.existsSync(WAL_JOINING_LIBRARY)).toBe(true); // the build compiled it (scripts/build-native.mjs)
    expect(useWalJoining()).toEqual({ on: true });
    expect(stats().vfs).toBe('casebook-wal');
    const plain = new Database(file);
    try {
      expect(walJoiningStats(plain)?.vfs).toBe('casebook-wal');
    } finally {
      plain.close();
    }
    // A worker thread's connection (the checkpoint and integrity workers open theirs so).
    const sqliteDir = path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
    const worker = new Worker(
      `const Database = require(${JSON.stringify(sqliteDir)}); const db = new Database(${JSON.stringify(file)});
       require('node:worker_threads').parentPort.postMessage(JSON.parse(db.prepare('SELECT casebook_wal_stats() AS s').get().s).vfs); db.close();`,
      { eval: true },
    );
    const [vfs] = (await once(worker, 'message')) as [string];
    expect(vfs).toBe('casebook-wal');
  });

  it('writes a commit of many pages in one write, which another connection reads back', () => {
    const sqlite = db.$client;
    // Ten tables: a row in each dirties ten pages, as an intake dirties a page per table and index.
    for (let t = 0; t < 10; t++) sqlite.exec(`CREATE TABLE t${t} (id INTEGER PRIMARY KEY, v TEXT)`);
    const before = stats();
    const inserts = Array.from({ length: 10 }, (_, t) => sqlite.prepare(`INSERT INTO t${t} (v) VALUES (?)`));
    for (let n = 0; n < 20; n++) sqlite.transaction(() => inserts.forEach((s) => s.run(`row ${n}`)))();
    const after = stats();
    // Each commit: at least 10 frames asked as 20 writes (header, page), made as 1.
    expect(after.writesAsked - before.writesAsked).toBeGreaterThanOrEqual(20 * 20);
    expect(after.writesMade - before.writesMade).toBe(20);
    const reader = new Database(file, { readonly: true });
    try {
      for (let t = 0; t < 10; t++) expect(reader.prepare(`SELECT count(*) AS n, max(v) AS last FROM t${t}`).get()).toEqual({ n: 20, last: 'row 9' });
    } finally {
      reader.close();
    }
  });

  it('writes a commit larger than one write allows (the unix VFS takes < 128 KiB a call) in pieces, all of it', () => {
    const sqlite = db.$client;
    sqlite.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, v BLOB)');
    const before = stats();
    const blob = Buffer.alloc(100 * PAGE, 7);
    sqlite.prepare('INSERT INTO big (v) VALUES (?)').run(blob); // ~100 frames, ~400 KiB
    const after = stats();
    const bytes = after.bytes - before.bytes;
    expect(bytes).toBeGreaterThanOrEqual(100 * FRAME);
    expect(after.writesMade - before.writesMade).toBe(Math.ceil(bytes / (120 * 1024)));
    const reader = new Database(file, { readonly: true });
    try {
      expect((reader.prepare('SELECT v FROM big').get() as { v: Buffer }).v.equals(blob)).toBe(true);
    } finally {
      reader.close();
    }
  });

  it("leaves a WAL that the next process recovers whole after a SIGKILL: spills, rolled-back spills, rewritten checksums, savepoints", () => {
    const sqliteDir = path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
    // The child writes through the library and is killed before it can close (no checkpoint):
    // everything it committed is only in the WAL, which the parent's open must recover.
    const child = `
      const Database = require(${JSON.stringify(sqliteDir)});
      const loader = new Database(':memory:'); loader.loadExtension(${JSON.stringify(WAL_JOINING_LIBRARY)}); loader.close();
      const db = new Database(${JSON.stringify(file)});
      db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL'); db.pragma('wal_autocheckpoint = 0');
      db.exec('CREATE TABLE IF NOT EXISTS k (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX IF NOT EXISTS kv ON k (v)');
      const put = db.prepare('INSERT INTO k (v) VALUES (?)');
      const bump = db.prepare("UPDATE k SET v = v || '+' WHERE id % 7 = ?");
      for (let i = 0; i < 50; i++) db.transaction(() => { for (let j = 0; j < 30; j++) put.run('small ' + i + ' ' + j); })();
      // A cache of 10 pages: the transaction spills frames to the WAL before its commit, then
      // dirties spilled pages again (their frames are overwritten, the checksums rewritten).
      db.pragma('cache_size = 10');
      db.transaction(() => { for (let j = 0; j < 3000; j++) put.run('spilled ' + j + ' ' + 'x'.repeat(200)); for (let r = 0; r < 7; r++) bump.run(r); })();
      try { db.transaction(() => { for (let j = 0; j < 3000; j++) put.run('undone ' + j + ' ' + 'y'.repeat(200)); throw new Error('roll back'); })(); } catch {}
      db.transaction(() => { put.run('kept'); try { db.transaction(() => { put.run('savepoint undone'); throw new Error('x'); })(); } catch {} })();
      db.pragma('cache_size = -16000');
      for (let i = 0; i < 20; i++) db.transaction(() => { for (let j = 0; j < 30; j++) put.run('after ' + i + ' ' + j); })();
      const s = JSON.parse(db.prepare('SELECT casebook_wal_stats() AS s').get().s);
      const summary = db.prepare("SELECT count(*) AS n, sum(length(v)) AS chars, sum(v LIKE '%+%') AS bumped FROM k").get();
      process.stdout.write(JSON.stringify({ stats: s, summary }));
      process.kill(process.pid, 'SIGKILL');
    `;
    db.$client.close();
    const run = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8' });
    expect(run.signal).toBe('SIGKILL');
    const { stats: written, summary } = JSON.parse(run.stdout) as { stats: { vfs: string; writesAsked: number; writesMade: number }; summary: { n: number; chars: number; bumped: number } };
    expect(written.vfs).toBe('casebook-wal');
    expect(written.writesMade).toBeLessThan(written.writesAsked); // joined (spills, read between writes, join less)
    expect(summary.n).toBe(50 * 30 + 3000 + 1 + 20 * 30);
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(100 * FRAME); // all of it still in the WAL

    const recovered = new Database(file);
    try {
      expect(recovered.prepare("SELECT count(*) AS n, sum(length(v)) AS chars, sum(v LIKE '%+%') AS bumped FROM k").get()).toEqual(summary);
      expect(recovered.prepare("SELECT count(*) AS n FROM k WHERE v IN ('kept', 'savepoint undone') OR v LIKE 'undone%'").get()).toEqual({ n: 1 });
      expect(recovered.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    } finally {
      recovered.close();
    }
  });

  describe('on a disk that fills up', () => {
    let disk: ReturnType<typeof mountSmallDisk>;
    beforeEach(() => {
      disk = mountSmallDisk('wal-joining-full');
    });
    afterEach(() => {
      if (typeof disk !== 'string') disk.unmount();
    });

    it('fails the commit whose joined write found no room, keeps every commit that succeeded, and commits again once there is room', (context) => {
      if (typeof disk === 'string') return context.skip(disk);
      const small = new Database(path.join(disk.dir, 'full.db'));
      const filler = path.join(disk.dir, 'filler');
      try {
        small.pragma('journal_mode = WAL');
        small.pragma('wal_autocheckpoint = 0'); // the WAL only grows
        expect(walJoiningStats(small)?.vfs).toBe('casebook-wal');
        small.exec('CREATE TABLE f (id INTEGER PRIMARY KEY, v TEXT)');
        fs.writeFileSync(filler, Buffer.alloc(256 * 1024));
        const put = small.prepare('INSERT INTO f (v) VALUES (?)');
        let committed = 0;
        let failure: unknown = null;
        for (let i = 0; i < 200 && !failure; i++) {
          try {
            small.transaction(() => {
              for (let j = 0; j < 8; j++) put.run(`${i}:${j}:${'z'.repeat(2000)}`);
            })();
            committed++;
          } catch (error) {
            failure = error;
          }
        }
        expect((failure as { code?: string } | null)?.code).toBe('SQLITE_FULL');
        expect(committed).toBeGreaterThan(0);
        expect(small.prepare('SELECT count(*) AS n FROM f').get()).toEqual({ n: committed * 8 });
        // A fresh connection (its own view of the WAL) agrees, and the file is sound.
        const reader = new Database(path.join(disk.dir, 'full.db'), { readonly: true });
        try {
          expect(reader.prepare('SELECT count(*) AS n FROM f').get()).toEqual({ n: committed * 8 });
          expect(reader.pragma('quick_check')).toEqual([{ quick_check: 'ok' }]);
        } finally {
          reader.close();
        }
        fs.rmSync(filler);
        small.transaction(() => put.run('after the disk had room again'))();
        expect(small.prepare('SELECT count(*) AS n FROM f').get()).toEqual({ n: committed * 8 + 1 });
      } finally {
        small.close();
      }
    });
  });
});
