// Checkpoints the WAL from a worker thread, so the fsync a checkpoint does never runs on
// the event loop (under disk load it stalled requests for up to 0.6 s). Plain JavaScript:
// loaded by `new Worker()` without a TypeScript loader. See checkpointer.ts.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, intervalMs } = workerData;
const db = new Database(file);
db.pragma('busy_timeout = 1000');

let timer = null;
function checkpoint() {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ type: 'checkpoint', ...result });
  } catch (error) {
    parentPort.postMessage({ type: 'error', message: String(error && error.message ? error.message : error) });
  }
}

function tick() {
  checkpoint();
  timer = setTimeout(tick, intervalMs);
}

parentPort.on('message', (message) => {
  if (message === 'now') checkpoint();
  if (message === 'stop') {
    clearTimeout(timer);
    db.close();
    parentPort.postMessage({ type: 'stopped' });
    parentPort.close();
  }
});

timer = setTimeout(tick, intervalMs);
