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
// it before its next write (checkpointer.ts).
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, intervalMs, pollMs, walSizeLimit } = workerData;
const walFile = `${file}-wal`;
const truncateAt = Math.min(walSizeLimit / 2, 8 * 1024 * 1024);
const db = new Database(file);
db.pragma('busy_timeout = 2000');

let timer = null;
let lastPassive = Date.now();

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
    parentPort.postMessage({ type: 'error', message: String(error && error.message ? error.message : error) });
  }
}

function tick() {
  if (walSize() >= truncateAt || Date.now() - lastPassive >= intervalMs) checkpoint(false);
  timer = setTimeout(tick, pollMs);
}

parentPort.on('message', (message) => {
  if (message === 'now') checkpoint(false);
  if (message === 'truncate') checkpoint(true);
  if (message === 'stop') {
    clearTimeout(timer);
    db.close();
    parentPort.postMessage({ type: 'stopped' });
    parentPort.close();
  }
});

timer = setTimeout(tick, pollMs);
