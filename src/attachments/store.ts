/**
 * The content-addressed file store: a file's name is the hex SHA-256 of its bytes, under two
 * levels of folders (`<dir>/ab/cd/<hash>`), so equal files are stored once. A file is written
 * to `<dir>/tmp/`, fsynced, renamed into place and the folder fsynced — all before the
 * database transaction that names it commits. A crash therefore leaves at most a file no row
 * names (or a temp file, removed by `removeStaleTemp`), never a row without its file.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeFolder } from '../db/make-folder.js';

export interface PutResult {
  sha256: string;
  size: number;
  /** False when an equal file was already stored. */
  written: boolean;
}

export interface AttachmentStore {
  readonly dir: string;
  /** Stores the bytes (synchronously, durable on return); equal bytes are kept once. */
  put(bytes: Uint8Array): PutResult;
  /** Where the file with this hash is (whether or not it exists). */
  pathOf(sha256: string): string;
  /** The stored file's size, or null when it is missing. */
  sizeOf(sha256: string): number | null;
  /**
   * Start-up check, creating nothing: an existing folder must take a file (written, fsynced,
   * removed); a missing one must be creatable (its nearest existing parent a writable folder;
   * it is created with the first file). Throws otherwise.
   */
  check(): void;
  /** Removes temp files older than `olderThanMs` left by a crash mid-write; returns how many. */
  removeStaleTemp(now: number, olderThanMs?: number): number;
}

const HASH = /^[0-9a-f]{64}$/;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function writeDurably(file: string, bytes: Uint8Array): void {
  const fd = fs.openSync(file, 'wx', 0o640);
  try {
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function createAttachmentStore(dir: string): AttachmentStore {
  const tmpDir = path.join(dir, 'tmp');
  const pathOf = (sha256: string): string => {
    if (!HASH.test(sha256)) throw new Error(`not a SHA-256 hash: ${sha256}`);
    return path.join(dir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  };
  const sizeOf = (sha256: string): number | null => {
    try {
      const stat = fs.statSync(pathOf(sha256));
      return stat.isFile() ? stat.size : null;
    } catch {
      return null;
    }
  };
  return {
    dir,
    pathOf,
    sizeOf,
    put(bytes) {
      const sha256 = sha256Hex(bytes);
      const size = bytes.length;
      // Dedup: the same hash and size is the same file (a shorter one is a damaged copy: rewritten).
      if (sizeOf(sha256) === size) return { sha256, size, written: false };
      const final = pathOf(sha256);
      // makeFolder, not mkdirSync's `recursive`, which loops for ever where a folder that exists
      // refuses a sub-folder as missing (ENOENT under /proc): the whole server hung on an upload.
      makeFolder(path.dirname(final));
      makeFolder(tmpDir);
      const tmp = path.join(tmpDir, `${sha256}.${process.pid}.${randomBytes(6).toString('hex')}`);
      try {
        writeDurably(tmp, bytes);
        fs.renameSync(tmp, final);
      } catch (error) {
        fs.rmSync(tmp, { force: true });
        throw error;
      }
      fsyncDir(path.dirname(final));
      return { sha256, size, written: true };
    },
    check() {
      if (fs.existsSync(dir)) {
        makeFolder(tmpDir);
        const probe = path.join(tmpDir, `probe.${process.pid}.${randomBytes(6).toString('hex')}`);
        writeDurably(probe, Buffer.from('casebook'));
        fs.rmSync(probe, { force: true });
        return;
      }
      let parent = path.dirname(path.resolve(dir));
      while (!fs.existsSync(parent)) parent = path.dirname(parent);
      if (!fs.statSync(parent).isDirectory()) throw Object.assign(new Error(`${parent} is not a folder`), { code: 'ENOTDIR' });
      fs.accessSync(parent, fs.constants.W_OK);
    },
    removeStaleTemp(now, olderThanMs = 3_600_000) {
      let removed = 0;
      let names: string[];
      try {
        names = fs.readdirSync(tmpDir);
      } catch {
        return 0;
      }
      for (const name of names) {
        const file = path.join(tmpDir, name);
        try {
          if (fs.statSync(file).mtimeMs < now - olderThanMs) {
            fs.rmSync(file, { force: true });
            removed++;
          }
        } catch {
          // Renamed or removed meanwhile.
        }
      }
      return removed;
    },
  };
}
