/**
 * The content-addressed file store: a file's name is the hex SHA-256 of its bytes, under two
 * levels of folders (`<dir>/ab/cd/<hash>`), so equal files are stored once. A file is written
 * to `<dir>/tmp/`, fsynced, renamed into place and the folder fsynced — all before the
 * database transaction that names it commits. A crash therefore leaves at most a file no row
 * names (or a temp file, removed by `removeStaleTemp`), never a row without its file. The
 * writing is done on a thread of its own (file-writer.ts): every inbound mail stores its
 * original, and its two fsyncs held the whole server still for as long as the disk took.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeFolder } from '../db/make-folder.js';
import { writeFile, type PutResult } from './file-writer.js';

export type { PutResult };

export interface AttachmentStore {
  readonly dir: string;
  /** Stores the bytes, durable when the promise resolves; equal bytes are kept once. */
  put(bytes: Uint8Array): Promise<PutResult>;
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

/** `check()`'s probe, written and fsynced as a file is (at start-up, before anything is served). */
function writeProbe(file: string): void {
  const fd = fs.openSync(file, 'wx', 0o640);
  try {
    fs.writeSync(fd, 'casebook');
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
      return writeFile(dir, bytes);
    },
    check() {
      if (fs.existsSync(dir)) {
        makeFolder(tmpDir);
        const probe = path.join(tmpDir, `probe.${process.pid}.${randomBytes(6).toString('hex')}`);
        writeProbe(probe);
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
