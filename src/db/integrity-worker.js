// Runs `PRAGMA quick_check(1)` on its own read-only connection, off the event loop, and
// posts the outcome: start-up waits for it a bounded time, a large file finishes in the
// background (integrity.ts). Plain JavaScript: loaded by `new Worker()` without a loader.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

let db = null;
try {
  db = new Database(workerData.file, { readonly: true, fileMustExist: true });
  const rows = db.pragma('quick_check(1)');
  const first = rows.length > 0 ? String(Object.values(rows[0])[0]) : 'ok';
  parentPort.postMessage({ ok: first === 'ok', detail: first });
} catch (error) {
  parentPort.postMessage({ ok: false, detail: String(error && error.message ? error.message : error), code: error && error.code });
} finally {
  db?.close();
}
