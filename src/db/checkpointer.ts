/**
 * WAL checkpoints off the main thread. SQLite's automatic checkpoint runs inside a commit,
 * on the event loop, and its fsync stalls every request under disk load. The server turns
 * the automatic checkpoint off on its connection and checkpoints from a worker thread
 * instead (checkpoint-worker.js): a PASSIVE checkpoint every second, and, whenever the WAL
 * file has grown past half of `walSizeLimit` or 8 MiB (the worker looks every `pollMs`), a TRUNCATE
 * checkpoint that briefly holds writers off and empties the WAL. PASSIVE checkpoints alone
 * never finish under sustained writes (new frames keep arriving), so the WAL would never be
 * reset.
 *
 * The backstop: should writes outrun the worker (a WAL at the full `walSizeLimit`), the next
 * `transaction()` on the server's connection first runs the TRUNCATE checkpoint itself, on the
 * event loop: writers are throttled to the speed of checkpoints, and the WAL never exceeds the
 * limit by more than the writes made outside `transaction()` meanwhile.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { guardWrites, type Db } from './client.js';
import type { Logger } from '../logger.js';

export interface CheckpointResult {
  /** WAL frames in the log and frames checkpointed. */
  log: number;
  checkpointed: number;
}

export interface CheckpointerStats {
  /** TRUNCATE checkpoints run because the WAL reached the limit. */
  truncations: number;
  /** The longest of them (writers wait at most about that long), ms. */
  longestTruncateMs: number;
  /** The largest WAL seen before a truncation, bytes. */
  largestWalBytes: number;
  /** Truncations the backstop ran on the event loop because the WAL reached the limit. */
  backstops: number;
}

export interface Checkpointer {
  /** The last checkpoint result. */
  last(): CheckpointResult | null;
  stats(): CheckpointerStats;
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

type WorkerMessage =
  | { type: 'checkpoint'; log: number; checkpointed: number; busy: number }
  | { type: 'truncate'; busy: number; bytesBefore: number; bytesAfter: number; ms: number }
  | { type: 'error'; message: string }
  | { type: 'stopped' };

export function startCheckpointer(db: Db, file: string, logger: Logger, options: CheckpointerOptions = {}): Checkpointer {
  const walSizeLimit = options.walSizeLimit ?? DEFAULT_WAL_SIZE_LIMIT;
  db.$client.pragma('wal_autocheckpoint = 0');
  // A WAL reset by a checkpoint is truncated to this size on disk (SQLite otherwise keeps the file's length).
  db.$client.pragma(`journal_size_limit = ${walSizeLimit}`);
  const worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), {
    workerData: { file, intervalMs: options.intervalMs ?? 1000, pollMs: options.pollMs ?? 10, walSizeLimit },
  });
  worker.unref();
  let last: CheckpointResult | null = null;
  const stats: CheckpointerStats = { truncations: 0, longestTruncateMs: 0, largestWalBytes: 0, backstops: 0 };
  const walFile = `${file}-wal`;
  const walBytes = () => fs.statSync(walFile, { throwIfNoEntry: false })?.size ?? 0;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  guardWrites(db, function walBackstop() {
    const bytes = walBytes();
    if (bytes < walSizeLimit) return;
    const started = performance.now();
    try {
      // Busy: the worker is checkpointing right now. Wait for it (blocking: this is the
      // throttle) until the WAL is back under the limit, at most BACKSTOP_MAX_WAIT_MS.
      for (;;) {
        const [result] = db.$client.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
        if (!result?.busy) {
          stats.backstops++;
          break;
        }
        if (walBytes() < walSizeLimit) break;
        if (performance.now() - started > BACKSTOP_MAX_WAIT_MS) {
          logger.warn('WAL over its size limit and no checkpoint could empty it', { walBytes: walBytes(), limit: walSizeLimit });
          break;
        }
        Atomics.wait(pause, 0, 0, 2);
      }
      stats.largestWalBytes = Math.max(stats.largestWalBytes, bytes);
      logger.debug('WAL at its size limit: truncated before the next write', { walBytes: bytes, ms: Math.round(performance.now() - started) });
    } catch (error) {
      logger.warn('WAL checkpoint before a write failed', { error });
    }
  });
  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'checkpoint') last = { log: m.log, checkpointed: m.checkpointed };
    if (m.type === 'truncate') {
      stats.truncations++;
      stats.longestTruncateMs = Math.max(stats.longestTruncateMs, m.ms);
      stats.largestWalBytes = Math.max(stats.largestWalBytes, m.bytesBefore);
      if (m.busy) logger.warn('WAL over its size limit and the truncating checkpoint could not get the lock; retrying', { walBytes: m.bytesBefore, limit: walSizeLimit });
      else logger.debug('WAL truncated', { walBytes: m.bytesBefore, ms: Math.round(m.ms) });
    }
    if (m.type === 'error') logger.warn('WAL checkpoint failed', { error: m.message });
  });
  worker.on('error', (error) => logger.error('checkpoint worker failed', { error }));
  return {
    last: () => last,
    stats: () => ({ ...stats }),
    checkpointNow() {
      return new Promise((resolve, reject) => {
        const onMessage = (m: WorkerMessage) => {
          if (m.type !== 'checkpoint' && m.type !== 'error') return;
          worker.off('message', onMessage);
          if (m.type === 'error') reject(new Error(m.message));
          else resolve({ log: m.log, checkpointed: m.checkpointed });
        };
        worker.on('message', onMessage);
        worker.postMessage('now');
      });
    },
    async stop() {
      // Hold the event loop open until the worker is gone, or the process may exit mid-stop.
      worker.ref();
      await new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
        setTimeout(() => void worker.terminate(), 2000);
      });
      // One last full checkpoint on the way out, so the WAL does not outlive the process.
      db.$client.pragma('wal_checkpoint(TRUNCATE)');
    },
  };
}
