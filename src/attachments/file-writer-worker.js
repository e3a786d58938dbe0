// Writes the attachment store's files on a thread of their own (file-writer.ts), so neither the
// SHA-256 of their bytes nor the two fsyncs of each file run on the event loop: every inbound
// mail stores its original, and storing it on the main thread was 28 % of the inbound mail
// pipeline's main thread (docs/performance.md). Plain JavaScript: loaded by `new Worker()`
// without a TypeScript loader.
//
// One message a file: `{ id, dir, bytes }`, answered `{ id, result: { sha256, size, written } }`
// or `{ id, error: { message, code, path, syscall } }`. What a put does, one file after another:
// the hash names the file `<dir>/ab/cd/<hash>`; a file already there with the same size is that
// file (a shorter one is a damaged copy, written again); otherwise the bytes go to a temp file in
// `<dir>/tmp/`, fsynced, renamed into place, and the folder fsynced, so a crash leaves at most a
// file no row names (or a temp file, removed by the store's `removeStaleTemp`).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';

/** Folders made (or found) here: a put into one of them makes no folder calls. */
const made = new Set();

/**
 * Makes the folder, and a missing parent, once each: not mkdir's `recursive`, which loops for ever
 * where a folder that exists refuses a sub-folder as missing (ENOENT under /proc: the whole server
 * hung on an upload). A folder removed behind the store's back is made again (`place`).
 */
function makeFolder(dir) {
  if (made.has(dir)) return;
  for (let attempt = 0; ; attempt++) {
    try {
      fs.mkdirSync(dir);
      break;
    } catch (error) {
      if (error.code === 'EEXIST') break;
      const parent = path.dirname(dir);
      if (error.code !== 'ENOENT' || attempt > 0 || parent === dir) throw error;
      made.delete(parent);
      makeFolder(parent);
    }
  }
  made.add(dir);
}

function writeDurably(file, bytes) {
  const fd = fs.openSync(file, 'wx', 0o640);
  try {
    let offset = 0;
    while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function fsyncFolder(dir) {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The temp file written and renamed to `final`; once more if a folder had gone meanwhile. */
function place(tmpDir, tmp, final, bytes) {
  const folder = path.dirname(final);
  for (let attempt = 0; ; attempt++) {
    makeFolder(folder);
    makeFolder(tmpDir);
    try {
      writeDurably(tmp, bytes);
      fs.renameSync(tmp, final);
      return;
    } catch (error) {
      if (attempt > 0 || error.code !== 'ENOENT') throw error;
      fs.rmSync(tmp, { force: true });
      made.delete(folder);
      made.delete(tmpDir);
    }
  }
}

function put(dir, bytes) {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const size = bytes.length;
  const final = path.join(dir, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  const stat = fs.statSync(final, { throwIfNoEntry: false });
  if (stat?.isFile() && stat.size === size) return { sha256, size, written: false };
  const tmpDir = path.join(dir, 'tmp');
  const tmp = path.join(tmpDir, `${sha256}.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    place(tmpDir, tmp, final, bytes);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
  fsyncFolder(path.dirname(final));
  return { sha256, size, written: true };
}

parentPort.on('message', ({ id, dir, bytes }) => {
  try {
    parentPort.postMessage({ id, result: put(dir, bytes) });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error?.message ?? error), code: error?.code, path: error?.path, syscall: error?.syscall } });
  }
});
