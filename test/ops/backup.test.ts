/**
 * `npm run backup` while the server runs and takes cases, `npm run restore` into a fresh
 * folder (refused while a server holds the database), and the server starting on the copy;
 * a restore of a backup made before an erasure erases that customer again.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { backupDatabase } from '../../src/backup/backup.js';
import { openDatabase } from '../../src/db/client.js';
import { eraseExpiredCases } from '../../src/privacy/retention.js';
import { ADMIN_TOKEN, createHarness, ROOT, standardQueues, tempDir } from '../support/harness.js';
import { scriptNodeArgs, startServer } from '../support/server.js';
import { mountSmallDisk } from '../support/small-disk.js';

function run(script: 'backup' | 'restore', args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, scriptNodeArgs(`scripts/${script}.ts`, ...args), { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

function caseCount(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM cases').get()!.n;
  } finally {
    db.close();
  }
}

describe('backup and restore', () => {
  it('refuse a PostgreSQL DATABASE_URL and name pg_dump / pg_restore instead', async () => {
    const dir = tempDir('casebook-backup-pg-');
    const env = { DATABASE_URL: 'postgres://casebook@db.example/casebook', DATABASE_PATH: path.join(dir, 'casebook.db') };
    const [backup, restore] = await Promise.all([run('backup', [path.join(dir, 'copy.db')], env), run('restore', [path.join(dir, 'copy.db')], env)]);
    expect(backup.code).not.toBe(0);
    expect(backup.output).toContain('DATABASE_URL names a PostgreSQL database: npm run backup copies a SQLite database file (DATABASE_PATH) only. On PostgreSQL use pg_dump');
    expect(restore.code).not.toBe(0);
    expect(restore.output).toContain('On PostgreSQL use pg_restore');
    expect(fs.existsSync(path.join(dir, 'copy.db'))).toBe(false);
  });

  it('backs up a consistent copy during writes; restore refuses a database in use, restores into a fresh folder, and the server starts on it', async () => {
    const dir = tempDir('casebook-backup-');
    const dbPath = path.join(dir, 'data', 'casebook.db');
    const server = await startServer({ databasePath: dbPath });
    const backupFile = path.join(dir, 'backups', 'casebook-1.db');
    let restoredUrl: string | null = null;
    try {
      const post = (n: number) =>
        fetch(`${server.url}/api/v1/cases`, {
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'application/json' },
          body: JSON.stringify({ customer: { email: `c${n % 5}@example.com` }, subject: `Invoice #${n}`, description: 'I was charged twice, please refund' }),
        });
      expect((await post(0)).status).toBe(201);
      // A file on the first case, in the attachment store beside the database.
      const form = new FormData();
      form.append('body', 'The invoice, attached.');
      form.append('public', 'true');
      form.append('files', new File(['%PDF-1.4 invoice 0'], 'invoice.pdf', { type: 'application/pdf' }));
      const message = await fetch(`${server.url}/api/v1/cases/C-1001/messages`, { method: 'POST', headers: auth, body: form });
      expect(message.status, await message.clone().text()).toBe(201);
      const attachmentId = ((await message.json()) as { message: { attachments: { id: number }[] } }).message.attachments[0]!.id;

      // Writers keep going while the backup runs.
      let writing = true;
      let written = 1;
      const writers = Array.from({ length: 4 }, async () => {
        while (writing) if ((await post(written++)).status !== 201) throw new Error('intake failed');
      });
      while (written < 20) await new Promise((r) => setTimeout(r, 10));
      const backup = await run('backup', [backupFile], { DATABASE_PATH: dbPath });
      const afterBackup = written;
      writing = false;
      await Promise.all(writers);
      expect(backup.code, backup.output).toBe(0);
      expect(backup.output).toMatch(/Backed up .* \(\d+ bytes, \d+ cases\)/);
      expect(backup.output).toContain('Attachments: 1 file(s) copied');
      // One self-contained file (and its attachments folder): no WAL, no leftovers of the partial copy.
      expect(fs.readdirSync(path.dirname(backupFile)).filter((f) => !f.startsWith('casebook-1.db-files'))).toEqual(['casebook-1.db']);

      const backedUp = caseCount(backupFile);
      expect(backedUp).toBeGreaterThanOrEqual(20);
      expect(backedUp).toBeLessThanOrEqual(afterBackup);
      expect(caseCount(dbPath)).toBeGreaterThan(backedUp); // the server went on writing
      // A second backup to the same name is refused (nothing is overwritten).
      const again = await run('backup', [backupFile], { DATABASE_PATH: dbPath });
      expect(again.code).toBe(1);
      expect(again.output).toContain('exists already');

      // Restoring over the database the server holds is refused, and changes nothing.
      const before = fs.statSync(dbPath).ino;
      const refused = await run('restore', [backupFile], { DATABASE_PATH: dbPath });
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(/is in use .*stop the server first/);
      expect(fs.statSync(dbPath).ino).toBe(before);

      // Into a fresh folder: the same cases, the attachment, and a server that starts on it.
      const fresh = path.join(tempDir('casebook-restored-'), 'casebook.db');
      const restored = await run('restore', [backupFile], { DATABASE_PATH: fresh });
      expect(restored.code, restored.output).toBe(0);
      expect(restored.output).toContain(`(${backedUp} cases)`);
      expect(caseCount(fresh)).toBe(backedUp);
      const second = await startServer({ databasePath: fresh });
      restoredUrl = second.url;
      try {
        expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
        const last = await fetch(`${second.url}/api/v1/cases/C-${1000 + backedUp}`, { headers: auth });
        expect(last.status).toBe(200);
        expect((await fetch(`${second.url}/api/v1/cases/C-${1001 + backedUp}`, { headers: auth })).status).toBe(404);
        const download = await fetch(`${second.url}/api/v1/cases/C-1001/attachments/${attachmentId}`, { headers: auth });
        expect(download.status).toBe(200);
        expect(await download.text()).toBe('%PDF-1.4 invoice 0');
      } finally {
        expect(await second.stop()).toBe(0);
      }
      // Restoring over a stopped server's database keeps the one it replaces.
      const over = await run('restore', [backupFile], { DATABASE_PATH: fresh });
      expect(over.code, over.output).toBe(0);
      expect(over.output).toMatch(/The database it replaced is kept as .*casebook\.db\.before-restore-\d{8}T\d{6}Z/);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(restoredUrl).not.toBeNull();
  }, 90_000);

  it('refuses a backup inside ATTACHMENTS_DIR (the next one would copy it as attachments), writing nothing', async () => {
    const files = path.join(tempDir('casebook-backup-in-files-'), 'files');
    const h = createHarness({ services: { attachments: { dir: files } } });
    try {
      fs.mkdirSync(files, { recursive: true });
      fs.writeFileSync(path.join(files, 'ab'), 'x');
      const inside = path.join(files, 'backups', 'casebook.db');
      await expect(backupDatabase(h.dbPath, inside, { attachmentsDir: files })).rejects.toThrow(/is inside ATTACHMENTS_DIR .*Write backups to a folder outside ATTACHMENTS_DIR/);
      // Through a symbolic link to the folder too.
      const link = path.join(path.dirname(files), 'link');
      fs.symlinkSync(files, link);
      await expect(backupDatabase(h.dbPath, path.join(link, 'b.db'), { attachmentsDir: files })).rejects.toThrow(/is inside ATTACHMENTS_DIR/);
      expect(fs.readdirSync(files)).toEqual(['ab']);
      // Beside it is fine.
      const beside = path.join(path.dirname(files), 'casebook-backup.db');
      expect((await backupDatabase(h.dbPath, beside, { attachmentsDir: files })).attachments).toMatchObject({ files: 1 });
    } finally {
      h.close();
    }
  });

  it('restoring a backup made before an erasure erases that customer again, files included', async () => {
    const files = path.join(tempDir('casebook-erased-files-'), 'files');
    const h = createHarness({ services: { attachments: { dir: files } } });
    let backupFile: string;
    let patId: number;
    try {
      standardQueues(h);
      const pat = h.customer({ email: 'pat.9rstq@example.com', name: 'Pat 9rstq' });
      const sam = h.customer({ email: 'sam@example.org', name: 'Sam Stone' });
      patId = pat.id;
      const created = await h.api('POST', '/api/v1/cases', { token: h.tokenFor(pat), body: { subject: 'Invoice 9rstq wrong', description: 'The invoice 9rstq lists a plan I never had.' } });
      expect(created.status).toBe(201);
      const upload = new FormData();
      upload.set('body', 'The scan of invoice 9rstq.');
      upload.set('public', 'true');
      upload.append('files', new Blob(['scan of invoice 9rstq'], { type: 'text/plain' }), 'invoice-9rstq.txt');
      const ref = ((await created.json()) as { id: string }).id;
      const posted = await h.app.request(`/api/v1/cases/${ref}/messages`, { method: 'POST', headers: { Authorization: `Bearer ${h.tokenFor(pat)}` }, body: upload });
      expect(posted.status, await posted.clone().text()).toBe(201);
      expect((await h.api('POST', '/api/v1/cases', { token: h.tokenFor(sam), body: { subject: 'Scanner offline', description: 'The scanner is offline.' } })).status).toBe(201);
      backupFile = path.join(tempDir('casebook-backup-'), 'before-erasure.db');
      await backupDatabase(h.dbPath, backupFile, { attachmentsDir: files });
      expect((await h.api('POST', `/api/v1/customers/${pat.id}/erase`, { token: ADMIN_TOKEN })).status).toBe(200);
    } finally {
      h.close();
    }

    const restored = await run('restore', [backupFile], { DATABASE_PATH: h.dbPath, ATTACHMENTS_DIR: files, SEED_DEMO: 'false' });
    expect(restored.code, restored.output).toBe(0);
    expect(restored.output).toMatch(new RegExp(`Erased customer ${patId} again: erased \\(erasure \\d+\\) after this backup was made \\(1 case\\(s\\)\\)`));
    const db = new Database(h.dbPath, { readonly: true, fileMustExist: true });
    try {
      expect(db.prepare('SELECT email, name FROM customers WHERE id = ?').get(patId)).toEqual({ email: `erased-${patId}@erased.invalid`, name: 'Erased customer' });
      expect(db.prepare('SELECT subject FROM cases ORDER BY id').all()).toEqual([{ subject: '[erased]' }, { subject: 'Scanner offline' }]);
    } finally {
      db.close();
    }
    const held = (fs.readdirSync(files, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(files, f)).isFile() && fs.readFileSync(path.join(files, f)).includes('9rstq'));
    expect(held).toEqual([]);
  }, 90_000);

  it('restoring a backup made before a retention run erases those cases again at once (RETENTION_DAYS), not at the next nightly run', async () => {
    const h = createHarness();
    let backupFile: string;
    try {
      standardQueues(h);
      const pat = h.customer({ email: 'pat@example.com', name: 'Pat' });
      const agent = h.tokenFor(h.agent({ queues: ['general', 'billing', 'technical'] }));
      const old = await h.api('POST', '/api/v1/cases', { token: h.tokenFor(pat), body: { subject: 'Router 7kqzw resets', description: 'Router 7kqzw resets at night.' } });
      const oldRef = ((await old.json()) as { id: string }).id;
      for (const transition of ['resolve', 'close']) expect((await h.api('POST', `/api/v1/cases/${oldRef}/transitions`, { token: agent, body: { transition, ...(transition === 'resolve' ? { solution: 'New firmware' } : {}) } })).status).toBe(200);
      // Still open: the policy never takes it.
      expect((await h.api('POST', '/api/v1/cases', { token: h.tokenFor(pat), body: { subject: 'Scanner offline', description: 'The scanner is offline.' } })).status).toBe(201);
      backupFile = path.join(tempDir('casebook-backup-'), 'before-retention.db');
      await backupDatabase(h.dbPath, backupFile);
      h.clock.advance(31 * 86_400_000);
      expect((await eraseExpiredCases(h.services, 30)).erased).toBe(1);
    } finally {
      h.close();
    }
    const subjects = () => {
      const db = new Database(h.dbPath, { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT subject FROM cases ORDER BY id').all();
      } finally {
        db.close();
      }
    };
    // Without RETENTION_DAYS a restore erases nothing by the policy (there is none).
    const plain = await run('restore', [backupFile], { DATABASE_PATH: h.dbPath, SEED_DEMO: 'false' });
    expect(plain.code, plain.output).toBe(0);
    expect(plain.output).not.toContain('Retention');
    expect(subjects()).toEqual([{ subject: 'Router 7kqzw resets' }, { subject: 'Scanner offline' }]);
    const restored = await run('restore', [backupFile], { DATABASE_PATH: h.dbPath, SEED_DEMO: 'false', RETENTION_DAYS: '30' });
    expect(restored.code, restored.output).toBe(0);
    expect(restored.output).toContain('Retention (RETENTION_DAYS=30): erased 1 case(s) closed more than 30 days ago and 0 chat(s) without a case, as the nightly run would');
    expect(subjects()).toEqual([{ subject: '[erased]' }, { subject: 'Scanner offline' }]);
  }, 90_000);
});

const disk = mountSmallDisk('casebook-backup-full-');
afterAll(() => {
  if (typeof disk !== 'string') disk.unmount();
});
if (typeof disk === 'string') process.stderr.write(`backup: skipping the full-disk tests (${disk})\n`);

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort() : [];
}

describe('backup and restore on a disk too small for the attachment files (2 MiB tmpfs)', () => {
  // A database of a few hundred KiB fits; its attachment of 3 MiB does not.
  const attachment = { name: path.join('5e', '11', '5e11'.padEnd(64, 'a')), bytes: Buffer.alloc(3 * 1024 * 1024, 7) };

  it.skipIf(typeof disk === 'string')('a backup keeps nothing and says so in one line: no database file that looks whole without its files', async () => {
    const { dir } = disk as { dir: string };
    const files = path.join(tempDir('casebook-backup-files-'), 'files');
    const h = createHarness({ services: { attachments: { dir: files } } });
    try {
      fs.mkdirSync(path.join(files, path.dirname(attachment.name)), { recursive: true });
      fs.writeFileSync(path.join(files, attachment.name), attachment.bytes);
      const target = path.join(dir, 'casebook-1.db');
      const result = await run('backup', [target], { DATABASE_PATH: h.dbPath, ATTACHMENTS_DIR: files });
      expect(result.code).toBe(1);
      const lines = result.output.trim().split('\n');
      expect(lines, result.output).toHaveLength(1);
      expect(lines[0]).toMatch(/^the backup failed while copying the attachment files .* the disk holding .* is full\. Nothing was kept: .*casebook-1\.db was not written/);
      // Before, the database was renamed into place first: a casebook-1.db that passed every
      // check, beside a -files/ folder without the file, which a restore then quietly lacked.
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      h.close();
    }
  }, 60_000);

  it.skipIf(typeof disk === 'string')('a restore whose files do not fit leaves the database it would replace as it was, and no partial file', async () => {
    const { dir } = disk as { dir: string };
    const work = tempDir('casebook-restore-full-');
    // A backup with the attachment, made where there is room.
    const files = path.join(work, 'files');
    const h = createHarness({ services: { attachments: { dir: files } } });
    const backupFile = path.join(work, 'backups', 'casebook.db');
    try {
      standardQueues(h);
      expect((await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'pat@example.com' }, subject: 'Refund', description: 'Charged twice' } })).status).toBe(201);
      fs.mkdirSync(path.join(files, path.dirname(attachment.name)), { recursive: true });
      fs.writeFileSync(path.join(files, attachment.name), attachment.bytes);
      await backupDatabase(h.dbPath, backupFile, { attachmentsDir: files });
    } finally {
      h.close();
    }
    // The installation it goes back into: a database of its own, its attachments on the small disk.
    const target = path.join(work, 'live', 'casebook.db');
    openDatabase(target).$client.close();
    const before = fs.readFileSync(target);
    const liveFiles = path.join(dir, 'files');
    const result = await run('restore', [backupFile], { DATABASE_PATH: target, ATTACHMENTS_DIR: liveFiles });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/ENOSPC/);
    expect(result.output).not.toMatch(/\n\s+at /);
    expect(fs.readFileSync(target).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(target)).filter((name) => name.includes('before-restore') || name.includes('restoring'))).toEqual([]);
    expect(filesUnder(liveFiles)).toEqual([]);
  }, 60_000);
});
