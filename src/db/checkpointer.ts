/**
 * WAL checkpoints off the main thread. SQLite's automatic checkpoint runs inside a commit,
 * on the event loop, and its fsync stalls every request under disk load. The server turns
 * the automatic checkpoint off on its connection and runs a PASSIVE checkpoint from a
 * worker thread every second instead; with `journal_size_limit` the WAL is reset and
 * truncated once it is fully checkpointed, so it stays bounded.
 */
import { Worker } from 'node:worker_threads';
import type { Db } from './client.js';
import type { Logger } from '../logger.js';

export interface Checkpointer {
  /** The last checkpoint result: WAL frames in the log and frames checkpointed. */
  last(): { log: number; checkpointed: number } | null;
  /** Checkpoints at once and resolves with the result. */
  checkpointNow(): Promise<{ log: number; checkpointed: number }>;
  stop(): Promise<void>;
}

export const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

export function startCheckpointer(db: Db, file: string, logger: Logger, intervalMs = 1000): Checkpointer {
  db.$client.pragma('wal_autocheckpoint = 0');
  db.$client.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
  const worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { file, intervalMs } });
  worker.unref();
  let last: { log: number; checkpointed: number } | null = null;
  worker.on('message', (m: { type: string; log?: number; checkpointed?: number; message?: string }) => {
    if (m.type === 'checkpoint') last = { log: m.log ?? 0, checkpointed: m.checkpointed ?? 0 };
    if (m.type === 'error') logger.warn('WAL checkpoint failed', { error: m.message });
  });
  worker.on('error', (error) => logger.error('checkpoint worker failed', { error }));
  return {
    last: () => last,
    checkpointNow() {
      return new Promise((resolve, reject) => {
        const onMessage = (m: { type: string; log?: number; checkpointed?: number; message?: string }) => {
          if (m.type !== 'checkpoint' && m.type !== 'error') return;
          worker.off('message', onMessage);
          if (m.type === 'error') reject(new Error(m.message));
          else resolve({ log: m.log ?? 0, checkpointed: m.checkpointed ?? 0 });
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
