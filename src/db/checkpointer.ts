/**
 * WAL checkpoints off the main thread. SQLite's automatic checkpoint runs inside a commit,
 * on the event loop, and its fsync stalls every request under disk load. The server turns
 * the automatic checkpoint off on its connection and checkpoints from a worker thread
 * instead (checkpoint-worker.js): a PASSIVE checkpoint every second, and, whenever the WAL's
 * log has grown past half of `walSizeLimit` or 8 MiB (the worker looks every `pollMs`), a RESTART
 * checkpoint that briefly holds writers off so that the next writer starts the WAL over from
 * its beginning (the file keeps its length, at most `walSizeLimit`: journal_size_limit).
 * PASSIVE checkpoints alone never finish under sustained writes (new frames keep arriving), so
 * the WAL would never be started over. The worker and this connection take turns at the write
 * lock through the writer gate (writer-gate.ts): the worker tries between two of the
 * connection's transactions, and a transaction that would begin meanwhile stands aside, woken
 * the moment the worker is done.
 *
 * The backstop: should writes outrun the worker (a WAL at the full `walSizeLimit`), the next
 * `transaction()` on the server's connection first runs the TRUNCATE checkpoint itself, on the
 * event loop: writers are throttled to the speed of checkpoints, and the WAL never exceeds the
 * limit by more than the writes made outside `transaction()` meanwhile.
 *
 * A worker that dies is logged and started again (after 100 ms, backing off to 30 s while it
 * keeps dying); never while the database file is gone (file-watch.ts), and a new worker
 * refuses a path that no longer names the server's file. When a write fails for lack of
 * space, and again when writes succeed, the worker is asked to truncate the WAL at once, so
 * the WAL gives its space back instead of holding it.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { withBusyTimeout } from './begin.js';
import { guardWrites, type Db } from './client.js';
import { faultsOf } from './faults.js';
import { createWriterGate, GATE_HOLDING, GATE_WAITING, GATE_WRITING } from './writer-gate.js';
import { throttledLog, type Logger } from '../logger.js';

export interface CheckpointResult {
  /** WAL frames in the log and frames checkpointed. */
  log: number;
  checkpointed: number;
}

export interface CheckpointerStats {
  /** Checkpoints that started the WAL over (RESTART past the mark, TRUNCATE to give space back): they hold writers off. */
  resets: number;
  /** The longest of them, from the worker's first try (tries while this connection writes included), ms. */
  longestResetMs: number;
  /** Transactions of this connection that stood aside at the writer gate while the worker held writers off. */
  writerWaits: number;
  /** The longest of those waits, ms. */
  longestWriterWaitMs: number;
  /** The largest WAL seen before a truncation, bytes. */
  largestWalBytes: number;
  /** Truncations the backstop ran on the event loop because the WAL reached the limit. */
  backstops: number;
  /** Times the worker died and was started again. */
  restarts: number;
}

export interface Checkpointer {
  /** The last checkpoint result. */
  last(): CheckpointResult | null;
  stats(): CheckpointerStats;
  /** The worker thread while it runs (tests make it crash). */
  thread(): Worker | null;
  /** Checkpoints (PASSIVE) at once and resolves with the result. */
  checkpointNow(): Promise<CheckpointResult>;
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  /** Between two PASSIVE checkpoints (default 1000 ms). */
  intervalMs?: number;
  /** How often the worker looks at the WAL's size (default 10 ms: a stat, no I/O). */
  pollMs?: number;
  /** WAL size that forces a TRUNCATE checkpoint (default 64 MiB, `WAL_SIZE_LIMIT_MB`). */
  walSizeLimit?: number;
}

export const DEFAULT_WAL_SIZE_LIMIT = 64 * 1024 * 1024;
/** The longest a write waits for the WAL to be emptied when it is at the limit. */
const BACKSTOP_MAX_WAIT_MS = 1000;
/** How long the backstop's TRUNCATE waits for readers elsewhere to finish before it calls the WAL pinned. */
const BACKSTOP_READER_WAIT_MS = 100;
/** While a reader elsewhere pins the WAL, the backstop is not tried again for this long: writes go on. */
const BACKSTOP_PINNED_MS = 1000;
/** A dead worker is started again after this long, doubling while it keeps dying (up to the max). */
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 30_000;
/** A worker that ran this long before dying starts the back-off over. */
const RESTART_RESET_MS = 60_000;

type WorkerMessage =
  | { type: 'checkpoint'; log: number; checkpointed: number; busy: number }
  | { type: 'reset'; mode: 'RESTART' | 'TRUNCATE'; busy: number; bytesBefore: number; bytesAfter: number; ms: number }
  | { type: 'error'; message: string; code?: string }
  | { type: 'stopped' };

export function startCheckpointer(db: Db, file: string, logger: Logger, options: CheckpointerOptions = {}): Checkpointer {
  const walSizeLimit = options.walSizeLimit ?? DEFAULT_WAL_SIZE_LIMIT;
  db.$client.pragma('wal_autocheckpoint = 0');
  // A WAL started over is cut to this length on disk by the first commit after (SQLite otherwise keeps the file's length).
  db.$client.pragma(`journal_size_limit = ${walSizeLimit}`);
  const faults = faultsOf(db.$client);
  // A checkpoint that keeps failing (a full disk) is told once a minute.
  const logFailure = throttledLog(logger, Date.now);
  // The worker checks it opened this very file: a new file at the path (the old one deleted or
  // replaced) must never get this connection's WAL checkpointed into it.
  const { dev, ino } = fs.statSync(file);
  const gate = createWriterGate();
  const workerData = {
    file,
    dev,
    ino,
    intervalMs: options.intervalMs ?? 1000,
    pollMs: options.pollMs ?? 10,
    walSizeLimit,
    gateBuffer: gate.buffer,
    gateIndices: [GATE_WRITING, GATE_HOLDING, GATE_WAITING],
    // Never closed, by design: closing a descriptor drops every POSIX lock the process holds on
    // the file, SQLite's included (checkpoint-worker.js). One of each per checkpointer.
    databaseFd: openForReading(file),
    shmFd: openForReading(`${file}-shm`),
  };
  let last: CheckpointResult | null = null;
  const stats: CheckpointerStats = { resets: 0, longestResetMs: 0, writerWaits: 0, longestWriterWaitMs: 0, largestWalBytes: 0, backstops: 0, restarts: 0 };
  const walFile = `${file}-wal`;
  const walBytes = () => fs.statSync(walFile, { throwIfNoEntry: false })?.size ?? 0;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  // A transaction stands aside for the worker at most the connection's busy timeout (as it is now).
  const busyTimeoutMs = Number(db.$client.pragma('busy_timeout', { simple: true }));
  guardWrites(db, {
    before() {
      const waited = gate.enter(busyTimeoutMs);
      if (waited > 0) {
        stats.writerWaits++;
        stats.longestWriterWaitMs = Math.max(stats.longestWriterWaitMs, waited);
      }
      try {
        walBackstop();
      } catch (error) {
        gate.leave();
        throw error;
      }
    },
    after: () => gate.leave(),
  });
  // A reader elsewhere (a backup, a report, the sqlite3 shell) keeps the WAL from being emptied
  // until it is done: meanwhile writes go on and the WAL grows past the limit.
  let pinnedUntil = 0;
  function walBackstop() {
    const bytes = walBytes();
    if (bytes < walSizeLimit) return;
    const started = performance.now();
    if (started < pinnedUntil) return;
    try {
      // Busy without a result: another checkpoint (the worker's PASSIVE) is running. Wait for it
      // (blocking: this is the throttle) until the WAL is back under the limit, at most
      // BACKSTOP_MAX_WAIT_MS in all. Busy with a result: the TRUNCATE ran and readers elsewhere
      // kept it from emptying the WAL for BACKSTOP_READER_WAIT_MS (its busy timeout, not the
      // connection's 5 s). Throttling writes would not bound the WAL then (each still appends),
      // only stall the server — every write waited 1 s (5 s before) for as long as an online
      // backup read: the WAL is left to grow until the reader is done. (Busy with a result also
      // when another process holds the write lock: the next try comes a second later as well.)
      let emptied = false;
      for (;;) {
        const left = Math.max(1, Math.ceil(BACKSTOP_MAX_WAIT_MS - (performance.now() - started)));
        const [result] = withBusyTimeout(db.$client, Math.min(left, BACKSTOP_READER_WAIT_MS), () => db.$client.pragma('wal_checkpoint(TRUNCATE)')) as { busy: number; log: number }[];
        if (!result?.busy) {
          stats.backstops++;
          emptied = true;
          break;
        }
        if (walBytes() < walSizeLimit) {
          emptied = true;
          break;
        }
        const pinned = result.log >= 0;
        if (pinned || performance.now() - started > BACKSTOP_MAX_WAIT_MS) {
          if (pinned) pinnedUntil = performance.now() + BACKSTOP_PINNED_MS;
          // Every write meets it while a reader elsewhere reads on: told once a minute.
          logFailure('backstop-busy', 'warn', pinned ? 'WAL over its size limit and a reader elsewhere keeps it from being emptied; writes go on, the WAL grows until the reader is done' : 'WAL over its size limit and no checkpoint could empty it', { walBytes: walBytes(), limit: walSizeLimit, database: file });
          break;
        }
        Atomics.wait(pause, 0, 0, 2);
      }
      stats.largestWalBytes = Math.max(stats.largestWalBytes, bytes);
      if (emptied) logger.debug('WAL at its size limit: truncated before the next write', { walBytes: bytes, ms: Math.round(performance.now() - started) });
    } catch (error) {
      logFailure('backstop', 'warn', 'WAL checkpoint before a write failed', { error: (error as Error).message, code: (error as { code?: unknown }).code, database: file });
    }
  }
  // An erasure found the WAL in use: it is truncated as soon as a checkpoint can (retried by the
  // worker until one is not busy; told again to a worker started after a death).
  let truncateOwed = false;
  const onMessage = (m: WorkerMessage) => {
    if (m.type === 'checkpoint') last = { log: m.log, checkpointed: m.checkpointed };
    if (m.type === 'reset') {
      if (m.mode === 'TRUNCATE' && !m.busy) truncateOwed = false;
      stats.resets++;
      stats.longestResetMs = Math.max(stats.longestResetMs, m.ms);
      stats.largestWalBytes = Math.max(stats.largestWalBytes, m.bytesBefore);
      if (m.busy) logFailure('reset', 'warn', 'WAL past its mark and the checkpoint that starts it over could not get the lock (a reader elsewhere); retrying', { mode: m.mode, walBytes: m.bytesBefore, limit: walSizeLimit });
      else logger.debug(m.mode === 'TRUNCATE' ? 'WAL truncated' : 'WAL started over', { walBytes: m.bytesBefore, ms: Math.round(m.ms) });
    }
    if (m.type === 'error') logFailure('checkpoint', 'warn', 'WAL checkpoint failed', { error: m.message, code: m.code, database: file });
  };

  // The worker, restarted if it dies (its death logged); one restart per RESTART_MIN_MS at
  // first, backing off to RESTART_MAX_MS while it keeps dying.
  let worker!: Worker;
  let running = false;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | null = null;
  let quickDeaths = 0;
  let startedAt = 0;
  const spawn = () => {
    restartTimer = null;
    if (stopping) return;
    if (faults.refusal?.code === 'DATABASE_GONE') {
      // No new connection to a path that names another file (or none): try again later.
      restartTimer = setTimeout(spawn, RESTART_MAX_MS);
      restartTimer.unref();
      return;
    }
    const spawned = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData });
    spawned.unref();
    spawned.on('message', onMessage);
    spawned.on('error', (error) => logger.error('checkpoint worker failed', { error }));
    spawned.on('exit', (code) => {
      running = false;
      // A worker that died trying to hold writers off leaves no writer waiting for it.
      gate.release();
      if (stopping) return;
      quickDeaths = Date.now() - startedAt < RESTART_RESET_MS ? quickDeaths + 1 : 1;
      const delay = Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** (quickDeaths - 1));
      logger.error('checkpoint worker died; restarting it', { exitCode: code, restartInMs: delay, database: file });
      stats.restarts++;
      restartTimer = setTimeout(spawn, delay);
      restartTimer.unref();
    });
    worker = spawned;
    running = true;
    startedAt = Date.now();
    if (truncateOwed) spawned.postMessage('truncate-until-done');
  };
  spawn();

  // Out of space: give the WAL's space back as soon as a checkpoint can (once space frees, at the latest).
  const truncateSoon = () => {
    if (running) worker.postMessage('truncate');
  };
  const truncateUntilDone = () => {
    truncateOwed = true;
    if (running) worker.postMessage('truncate-until-done');
  };
  const unsubscribe = [faults.onStorageFull(truncateSoon), faults.onStorageRecovered(truncateSoon), faults.onWalTruncateWanted(truncateUntilDone)];

  return {
    last: () => last,
    stats: () => ({ ...stats }),
    thread: () => (running ? worker : null),
    checkpointNow() {
      return new Promise((resolve, reject) => {
        if (!running) return reject(new Error('the checkpoint worker is not running'));
        const current = worker;
        const onReply = (m: WorkerMessage) => {
          if (m.type !== 'checkpoint' && m.type !== 'error') return;
          current.off('message', onReply);
          if (m.type === 'error') reject(new Error(m.message));
          else resolve({ log: m.log, checkpointed: m.checkpointed });
        };
        current.on('message', onReply);
        current.postMessage('now');
      });
    },
    async stop() {
      stopping = true;
      for (const off of unsubscribe) off();
      if (restartTimer) clearTimeout(restartTimer);
      if (running) {
        // Hold the event loop open until the worker is gone, or the process may exit mid-stop.
        const current = worker;
        current.ref();
        await new Promise<void>((resolve) => {
          current.once('exit', () => resolve());
          current.postMessage('stop');
          setTimeout(() => void current.terminate(), 2000);
        });
      }
      // One last full checkpoint on the way out, so the WAL does not outlive the process
      // (on a full disk it may fail: the WAL keeps every commit, the next start checkpoints it).
      try {
        if (db.$client.open) db.$client.pragma('wal_checkpoint(TRUNCATE)');
      } catch (error) {
        logger.warn('the last WAL checkpoint failed; the WAL keeps every commit for the next start', { error: (error as Error).message, database: file });
      }
    },
  };
}

/** A read-only descriptor of `file`, or null when it cannot be opened (the worker then does without). */
function openForReading(file: string): number | null {
  try {
    return fs.openSync(file, 'r');
  } catch {
    return null;
  }
}
