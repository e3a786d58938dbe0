// Checkpoints the WAL from a worker thread, so the fsync a checkpoint does never runs on
// the event loop (under disk load it stalled requests for up to 0.6 s). Plain JavaScript:
// loaded by `new Worker()` without a TypeScript loader. See checkpointer.ts.
//
// Every `pollMs` it looks at how much the WAL holds. A PASSIVE checkpoint runs every
// `intervalMs`; it never blocks anyone, but under sustained writes it never catches up with
// the last frame either, so the WAL is never started over and grows without bound. Once the
// WAL's log reaches half of `walSizeLimit` or 8 MiB, whichever is smaller (small resets often
// stall writers less than large ones seldom), a PASSIVE checkpoint (copies most frames, blocks
// nobody) is followed by a RESTART one: it waits for the current writer, holds writers off
// while it copies the few frames left, and the next writer starts the WAL over from its
// beginning. The file keeps its length (journal_size_limit bounds it): emptying it instead
// (TRUNCATE) made every reset pay for the file's truncation and the next writes for growing it
// again, and doubled the writers' stall (issue 11, docs/performance.md). The worker and the
// main thread take turns at the write lock through the writer gate (writer-gate.ts): the worker
// tries such a checkpoint between two of the main thread's transactions, and the main thread
// waits exactly as long as it holds writers off. Before it, the database file is synced, so the
// hold's own sync has little left to write. Should the WAL reach the whole limit anyway, the main
// thread's backstop truncates it before its next write (checkpointer.ts). On a disk with
// little free space the WAL file is truncated, and earlier (see refreshTruncateAt), as it is
// when the server asks (`truncate`: storage full, or space again); after a failed checkpoint
// the worker waits a second before the next.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, dev, ino, intervalMs, pollMs, walSizeLimit, gateBuffer, gateIndices, databaseFd, shmFd } = workerData;
/** The writer gate's layout, as writer-gate.ts has it. */
const [GATE_WRITING, GATE_HOLDING, GATE_WAITING] = gateIndices;
const walFile = `${file}-wal`;
const folder = path.dirname(path.resolve(file));
const usualTruncateAt = Math.min(walSizeLimit / 2, 8 * 1024 * 1024);
/** How long SQLite waits for a lock the worker needs (its checkpoints that hold writers off try without waiting: holdWriters). */
const BUSY_TIMEOUT_MS = 2000;
/** How long a checkpoint that holds writers off keeps trying before it leaves it to a later look. */
const HOLD_TRIES_MS = 100;
/** Between two of its tries while a reader keeps it busy (it is woken at once when the main thread stands aside). */
const HOLD_RETRY_MS = 0.2;
/** After one that stayed busy (a reader elsewhere: the WAL cannot start over until it is done), the next waits this long, doubling up to the max. */
const HOLD_BACKOFF_MIN_MS = 10;
const HOLD_BACKOFF_MAX_MS = 1000;
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
db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);

const gate = new Int32Array(gateBuffer);

let timer = null;
let lastPassive = Date.now();
let holdNotBefore = 0;
let holdBackoffMs = 0;
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

// The WAL's log, the frames written since it was last started over, is read from the
// wal-index at the start of the -shm file (https://www.sqlite.org/walformat.html, 32-bit
// integers in the machine's byte order): `mxFrame` at offset 16 (the header's first copy), the
// frames in the log; `nBackfill` at offset 96 (the checkpoint information), those already
// copied into the database. Once a RESTART leaves the file's length as it was, the length no
// longer tells how much the log holds.
//
// The -shm and database files are read and synced through descriptors the server opened
// (`shmFd`, `databaseFd`) and never closes: closing any descriptor of a file drops every POSIX
// lock the process holds on it, SQLite's WAL locks (on the -shm file) and its database locks
// included (https://www.sqlite.org/howtocorrupt.html, 2.2).
const frameBytes = Number(db.pragma('page_size', { simple: true })) + 24;
const index = Buffer.alloc(100);
const bigEndian = os.endianness() === 'BE';

/** The log's frames and those already checkpointed, or null when the wal-index cannot be read. */
function logState() {
  if (shmFd === null) return null;
  try {
    if (fs.readSync(shmFd, index, 0, index.length, 0) < index.length) return null;
    const read = (offset) => (bigEndian ? index.readUInt32BE(offset) : index.readUInt32LE(offset));
    return { frames: read(16), backfilled: read(96) };
  } catch {
    return null;
  }
}

/**
 * Syncs the database file: what the PASSIVE checkpoint just copied into it reaches the disk
 * now, outside the hold, instead of in the sync the RESTART makes while writers wait (at c=50
 * ~1,000 pages: 3 ms). Best effort: the checkpoint syncs anyway.
 */
function syncDatabase() {
  if (databaseFd === null) return;
  try {
    fs.fdatasyncSync(databaseFd);
  } catch {
    // The checkpoint's own sync covers it.
  }
}

/**
 * A checkpoint that holds writers off (RESTART, TRUNCATE), taking its turn through the writer
 * gate (writer-gate.ts): HOLDING is raised, so the main thread stands aside before its next
 * transaction, and the try waits for the main thread's transaction under way, if any, to end
 * (woken the moment it does). Tried without SQLite's busy handler. With the main thread out of
 * the way, a busy answer is a reader (or another process's write): tried again every
 * HOLD_RETRY_MS while the main thread does not need to write, and left to a later look as soon
 * as it stands aside or HOLD_TRIES_MS have passed.
 */
function holdWriters(mode) {
  db.pragma('busy_timeout = 0');
  const deadline = performance.now() + HOLD_TRIES_MS;
  Atomics.store(gate, GATE_HOLDING, 1);
  try {
    for (;;) {
      while (Atomics.load(gate, GATE_WRITING) === 1) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        Atomics.wait(gate, GATE_WRITING, 1, left);
      }
      const aside = Atomics.load(gate, GATE_WAITING) === 1;
      const result = run(mode);
      if (!result.busy || aside || performance.now() >= deadline) return result;
      Atomics.wait(gate, GATE_WAITING, 0, HOLD_RETRY_MS);
    }
  } finally {
    Atomics.store(gate, GATE_HOLDING, 0);
    Atomics.notify(gate, GATE_HOLDING);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

/**
 * A TRUNCATE is owed (`truncate-until-done`: an erasure found the WAL in use): tried at every
 * look, whatever the WAL's size, until one is not busy. Never waiting for readers (holdWriters):
 * the reader that made the erasure's own one busy may read for long (a report, a copy); at a
 * later look it may be done.
 */
let truncateOwed = false;

/**
 * What to run now: `TRUNCATE` (give the file's space back on a disk with little left, or as
 * before when the wal-index cannot be read), `RESTART` (the log reached the mark and holds frames
 * not yet checkpointed: one wholly checkpointed is started over by the next writer on its own,
 * as after a RESTART), `PASSIVE` (the interval passed), or null.
 */
function due() {
  const bytes = walSize();
  if (truncateAt < usualTruncateAt && bytes >= truncateAt) return 'TRUNCATE';
  const log = logState();
  if (log === null) {
    if (bytes >= truncateAt) return 'TRUNCATE';
  } else if (log.frames * frameBytes >= truncateAt && log.backfilled < log.frames) {
    return 'RESTART';
  }
  return Date.now() - lastPassive >= intervalMs ? 'PASSIVE' : null;
}

function run(mode) {
  const [result] = db.pragma(`wal_checkpoint(${mode})`);
  return result;
}

/**
 * A PASSIVE checkpoint, then for `RESTART` or `TRUNCATE` that one (which holds writers off:
 * holdWriters, after the database file is synced). After one that stayed busy, the next waits
 * (HOLD_BACKOFF_MIN_MS, doubling): meanwhile only the PASSIVE ones of the interval run.
 * `owed`: the TRUNCATE an erasure is owed, told only once it got through.
 */
function checkpoint(mode, owed = false) {
  try {
    if (mode !== 'PASSIVE' && performance.now() < holdNotBefore) {
      if (Date.now() - lastPassive < intervalMs) return;
      mode = 'PASSIVE';
    }
    const bytes = mode === 'RESTART' ? (logState()?.frames ?? 0) * frameBytes : walSize();
    const result = run('PASSIVE');
    lastPassive = Date.now();
    if (mode === 'PASSIVE') return parentPort.postMessage({ type: 'checkpoint', ...result });
    syncDatabase();
    const started = performance.now();
    const held = holdWriters(mode);
    if (held.busy) {
      holdBackoffMs = Math.min(HOLD_BACKOFF_MAX_MS, holdBackoffMs === 0 ? HOLD_BACKOFF_MIN_MS : holdBackoffMs * 2);
      holdNotBefore = performance.now() + holdBackoffMs;
    } else holdBackoffMs = 0;
    if (mode === 'TRUNCATE' && !held.busy) truncateOwed = false;
    if (owed && held.busy) return;
    parentPort.postMessage({
      type: 'reset',
      mode,
      busy: held.busy,
      bytesBefore: bytes,
      bytesAfter: walSize(),
      ms: performance.now() - started,
    });
    parentPort.postMessage({ type: 'checkpoint', ...held });
  } catch (error) {
    failedAt = Date.now();
    lastPassive = failedAt;
    parentPort.postMessage({ type: 'error', message: String(error && error.message ? error.message : error), code: error && error.code });
  }
}

function tick() {
  refreshTruncateAt();
  const mode = due();
  if (Date.now() - failedAt < RETRY_AFTER_ERROR_MS) {
    // After a failed checkpoint, a second's pause.
  } else if (truncateOwed && mode !== 'TRUNCATE') checkpoint('TRUNCATE', true);
  else if (mode) checkpoint(mode);
  timer = setTimeout(tick, pollMs);
}

parentPort.on('message', (message) => {
  if (message === 'now') checkpoint('PASSIVE');
  else if (message === 'truncate') checkpoint('TRUNCATE');
  else if (message === 'truncate-until-done') truncateOwed = true;
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
