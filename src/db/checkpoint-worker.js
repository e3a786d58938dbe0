// Checkpoints the WAL from a worker thread, so the fsync a checkpoint does never runs on
// the event loop (under disk load it stalled requests for up to 0.6 s). Plain JavaScript:
// loaded by `new Worker()` without a TypeScript loader. See checkpointer.ts.
//
// Every `pollMs` it looks at the WAL file's size. A PASSIVE checkpoint runs every
// `intervalMs`; it never blocks anyone, but under sustained writes it never catches up with
// the last frame either, so the WAL is never reset and grows without bound. Once the WAL
// reaches half of `walSizeLimit` or 8 MiB, whichever is smaller (small truncations often
// stall writers less than large ones seldom), a PASSIVE checkpoint (copies most frames, blocks nobody) is followed
// by a TRUNCATE one: it waits for the current writer, holds writers off while it copies the
// few frames left and empties the WAL file. Writers wait for that short stall (their busy
// timeout). Should the WAL reach the whole limit anyway, the main thread's backstop truncates
// it before its next write (checkpointer.ts). On a disk with little free space the WAL is
// truncated earlier (see refreshTruncateAt); after a failed checkpoint the worker waits a
// second before the next.
import fs from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, dev, ino, intervalMs, pollMs, walSizeLimit } = workerData;
const walFile = `${file}-wal`;
const folder = path.dirname(path.resolve(file));
const usualTruncateAt = Math.min(walSizeLimit / 2, 8 * 1024 * 1024);
/** After a failed checkpoint (a full disk, say), wait this long before the next one. */
const RETRY_AFTER_ERROR_MS = 1000;
/** How often the free space on the database's disk is looked at. */
const FREE_SPACE_EVERY_MS = 1000;
// Never create a database, and never checkpoint into a file other than the server's (a file
// deleted or replaced meanwhile): a worker that cannot open the very same file dies, and the
// server starts another one later (checkpointer.ts).
const db = new Database(file, { fileMustExist: true });
const opened = fs.statSync(file);
if (opened.dev !== dev || opened.ino !== ino) {
  db.close();
  throw new Error(`${file} is no longer the database the server opened`);
}
db.pragma('busy_timeout = 2000');

let timer = null;
let lastPassive = Date.now();
let failedAt = 0;
let truncateAt = usualTruncateAt;
let freeCheckedAt = 0;

// The WAL must never be what fills the disk: a WAL that takes the last free bytes cannot be
// checkpointed any more (the database file cannot grow to take its pages) and holds the
// space until someone frees some. So on a disk with little room the WAL is truncated much
// earlier: at a quarter of the free space (never below 256 KiB).
function refreshTruncateAt() {
  if (Date.now() - freeCheckedAt < FREE_SPACE_EVERY_MS) return;
  freeCheckedAt = Date.now();
  try {
    const stats = fs.statfsSync(folder);
    const free = stats.bavail * stats.bsize + walSize();
    truncateAt = Math.min(usualTruncateAt, Math.max(256 * 1024, Math.floor(free / 4)));
  } catch {
    truncateAt = usualTruncateAt;
  }
}

function walSize() {
  try {
    return fs.statSync(walFile).size;
  } catch {
    return 0;
  }
}

function run(mode) {
  const [result] = db.pragma(`wal_checkpoint(${mode})`);
  return result;
}

function checkpoint(force) {
  try {
    const before = walSize();
    const result = run('PASSIVE');
    lastPassive = Date.now();
    if (force || before >= truncateAt) {
      const started = performance.now();
      const truncated = run('TRUNCATE');
      parentPort.postMessage({
        type: 'truncate',
        busy: truncated.busy,
        bytesBefore: before,
        bytesAfter: walSize(),
        ms: performance.now() - started,
      });
      if (force) return parentPort.postMessage({ type: 'checkpoint', ...truncated });
    }
    parentPort.postMessage({ type: 'checkpoint', ...result });
  } catch (error) {
    failedAt = Date.now();
    lastPassive = failedAt;
    parentPort.postMessage({ type: 'error', message: String(error && error.message ? error.message : error), code: error && error.code });
  }
}

function tick() {
  refreshTruncateAt();
  const due = walSize() >= truncateAt || Date.now() - lastPassive >= intervalMs;
  if (due && Date.now() - failedAt >= RETRY_AFTER_ERROR_MS) checkpoint(false);
  timer = setTimeout(tick, pollMs);
}

parentPort.on('message', (message) => {
  if (message === 'now') checkpoint(false);
  else if (message === 'truncate') checkpoint(true);
  else if (message === 'stop') {
    clearTimeout(timer);
    db.close();
    parentPort.postMessage({ type: 'stopped' });
    parentPort.close();
  } else {
    // A message this worker does not know is a bug in the server: fail loudly (the server restarts it).
    throw new Error(`checkpoint worker: unknown message ${JSON.stringify(message)}`);
  }
});

timer = setTimeout(tick, pollMs);
