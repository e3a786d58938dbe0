import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { mountSmallDisk } from '../../test/support/small-disk.js';
import { fileWriterThread } from './file-writer.js';
import { createAttachmentStore, sha256Hex } from './store.js';

const dirs: string[] = [];
function freshDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every file under the folder, relative to it. */
function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

describe('the content-addressed store', () => {
  it('names a file by the SHA-256 of its bytes under two folder levels, and keeps the bytes', async () => {
    const dir = freshDir();
    const store = createAttachmentStore(dir);
    const bytes = Buffer.from('%PDF-1.4 an invoice');
    const put = await store.put(bytes);
    const hash = sha256Hex(bytes);
    expect(put).toEqual({ sha256: hash, size: bytes.length, written: true });
    expect(store.pathOf(hash)).toBe(path.join(dir, hash.slice(0, 2), hash.slice(2, 4), hash));
    expect(fs.readFileSync(store.pathOf(hash))).toEqual(bytes);
    expect(store.sizeOf(hash)).toBe(bytes.length);
    // Nothing is left in the temp folder.
    expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
  });

  it('stores equal bytes once (dedup), different bytes apart', async () => {
    const dir = freshDir();
    const store = createAttachmentStore(dir);
    const first = await store.put(Buffer.from('same bytes'));
    const again = await store.put(new Uint8Array(Buffer.from('same bytes')));
    const other = await store.put(Buffer.from('other bytes'));
    expect(again).toEqual({ ...first, written: false });
    expect(other.sha256).not.toBe(first.sha256);
    expect(filesUnder(dir).filter((f) => !f.startsWith('tmp'))).toHaveLength(2);
  });

  it('rewrites a damaged (shorter) copy instead of trusting it', async () => {
    const store = createAttachmentStore(freshDir());
    const bytes = Buffer.from('a file that was cut short by a broken disk');
    const { sha256 } = await store.put(bytes);
    fs.writeFileSync(store.pathOf(sha256), bytes.subarray(0, 5));
    expect((await store.put(bytes)).written).toBe(true);
    expect(fs.readFileSync(store.pathOf(sha256))).toEqual(bytes);
  });

  it('never leaves a partial file at the final name: a failed rename leaves nothing behind, not even the temp file', async () => {
    const dir = freshDir();
    const store = createAttachmentStore(dir);
    const bytes = Buffer.from('bytes that never arrive');
    const final = store.pathOf(sha256Hex(bytes));
    // Something else (not a file) sits at the final name, so the rename fails after the write.
    fs.mkdirSync(path.join(final, 'in-the-way'), { recursive: true });
    await expect(store.put(bytes)).rejects.toThrow();
    expect(fs.statSync(final).isDirectory()).toBe(true);
    expect(store.sizeOf(sha256Hex(bytes))).toBeNull();
    expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
  });

  it('removes temp files a crash left behind once they are old, and only those', () => {
    const dir = freshDir();
    const store = createAttachmentStore(dir);
    store.check();
    const tmp = path.join(dir, 'tmp');
    fs.writeFileSync(path.join(tmp, 'old.1.abc'), 'half a file');
    fs.writeFileSync(path.join(tmp, 'new.1.def'), 'being written');
    const now = Date.now();
    fs.utimesSync(path.join(tmp, 'old.1.abc'), new Date(now - 2 * 3_600_000), new Date(now - 2 * 3_600_000));
    expect(store.removeStaleTemp(now)).toBe(1);
    expect(fs.readdirSync(tmp)).toEqual(['new.1.def']);
  });

  it('check() proves the folder can take files without creating it, and fails on a path through a file', async () => {
    const dir = path.join(freshDir(), 'nested', 'files');
    const store = createAttachmentStore(dir);
    store.check();
    expect(fs.existsSync(dir)).toBe(false);
    await store.put(Buffer.from('the first file creates the folder'));
    store.check();
    expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    const blocker = path.join(freshDir(), 'a-file');
    fs.writeFileSync(blocker, 'not a folder');
    expect(() => createAttachmentStore(path.join(blocker, 'files')).check()).toThrow(/not a folder/);
  });

  it('fails, not hangs, where a folder that exists refuses a sub-folder as missing (/proc): mkdirSync with `recursive` looped for ever there, and the server with it', () => {
    if (!fs.existsSync('/proc/self')) return; // no /proc: nothing to try
    // In a child with a time limit: the old code never returned, and a test in this process could not stop it.
    const store = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'store.ts'));
    const script = `import { createAttachmentStore } from ${JSON.stringify(store)}; try { await createAttachmentStore('/proc/casebook-files').put(Buffer.from('x')); console.log('stored'); } catch (e) { console.log(e.code); }`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(child.signal, 'still running after 30 s').toBeNull();
    expect(child.stdout.trim()).toBe('ENOENT');
  }, 60_000);

  it('writes files side by side: equal bytes put at once are one file, and every put is whole when it resolves', async () => {
    const dir = freshDir();
    const store = createAttachmentStore(dir);
    const files = Array.from({ length: 12 }, (_, i) => Buffer.from(`file ${i % 4} `.repeat(1000 + (i % 4))));
    const puts = await Promise.all(files.map((bytes) => store.put(bytes)));
    for (const [i, put] of puts.entries()) expect(fs.readFileSync(store.pathOf(put.sha256))).toEqual(files[i]);
    expect(new Set(puts.map((p) => p.sha256)).size).toBe(4);
    expect(filesUnder(dir).filter((f) => !f.startsWith('tmp'))).toHaveLength(4);
    expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
  });

  it('makes a folder again that was removed after it had taken a file (the temp folder, a hash folder)', async () => {
    const dir = freshDir();
    const store = createAttachmentStore(dir);
    const first = await store.put(Buffer.from('the first file'));
    fs.rmSync(path.join(dir, 'tmp'), { recursive: true });
    fs.rmSync(path.join(dir, first.sha256.slice(0, 2)), { recursive: true });
    const again = await store.put(Buffer.from('the first file'));
    expect(again).toEqual({ ...first, written: true });
    expect(fs.readFileSync(store.pathOf(first.sha256), 'utf8')).toBe('the first file');
    expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
  });

  it('a full disk fails the put with ENOSPC (as the server reports storage full), leaves no temp file, and the next file that fits is stored', async (t) => {
    const disk = mountSmallDisk('casebook-store-full-');
    if (typeof disk === 'string') return t.skip(disk);
    try {
      const store = createAttachmentStore(path.join(disk.dir, 'files'));
      const error = await store.put(Buffer.alloc(3 * 1024 * 1024, 7)).then(
        () => null,
        (e: unknown) => e as NodeJS.ErrnoException,
      );
      expect(error).toBeInstanceOf(Error);
      expect(error?.code).toBe('ENOSPC');
      expect(fs.readdirSync(path.join(disk.dir, 'files', 'tmp'))).toEqual([]);
      const small = await store.put(Buffer.from('a file that fits'));
      expect(fs.readFileSync(store.pathOf(small.sha256), 'utf8')).toBe('a file that fits');
    } finally {
      disk.unmount();
    }
  });

  it('a writer thread that died fails the files it had, and the next file is written by a new one', async () => {
    const store = createAttachmentStore(freshDir());
    await store.put(Buffer.from('before'));
    const thread = fileWriterThread()!;
    const stopped = thread.terminate();
    const lost = store.put(Buffer.from('handed to the thread as it stops'));
    await stopped;
    await expect(lost).rejects.toThrow(/file writer's thread stopped/);
    const after = await store.put(Buffer.from('after'));
    expect(fs.readFileSync(store.pathOf(after.sha256), 'utf8')).toBe('after');
    expect(fileWriterThread()).not.toBe(thread);
  });

  it('refuses a name that is not a hash (no path ever comes from elsewhere)', () => {
    const store = createAttachmentStore(freshDir());
    expect(() => store.pathOf('../../etc/passwd')).toThrow(/not a SHA-256/);
  });
});
