/**
 * Notices that the database file was deleted or replaced under the running server.
 *
 * SQLite keeps writing to the file it opened: deleted (its folder removed, say), the file
 * lives on unlinked and every write is lost when the process ends; the next start would
 * create a new, empty database at the path. So the watcher compares the path's device and
 * inode with the file opened at start, every `intervalMs` (a `stat`, no I/O) and whenever
 * `GET /health` asks. Checking before every write would cost every request a system call;
 * between two checks (1 s by default) a write may still land in the lost file.
 *
 * Gone or replaced: writes are refused (`DATABASE_GONE`, faults.ts), `/health` answers 503
 * `database: "gone"`, and one error line names the path and what to do, repeated at most
 * once a minute while it lasts. Should the same file come back at the path (a folder moved
 * away and back), writes are allowed again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './client.js';
import { faultsOf } from './faults.js';
import { throttledLog, type Logger } from '../logger.js';

export interface FileWatchOptions {
  /** Between two checks (default 1000 ms). */
  intervalMs?: number;
  /** Time source for the once-a-minute log (default Date.now). */
  now?: () => number;
}

export interface FileWatch {
  /** Checks now; true while the path still names the file that was opened. */
  check(): boolean;
  stop(): void;
}

interface Identity {
  dev: number;
  ino: number;
}

/** Linux: the descriptor through which the deleted file can still be copied while the process runs. */
function openDescriptor(file: string): string | null {
  try {
    for (const fd of fs.readdirSync('/proc/self/fd')) {
      const link = `/proc/self/fd/${fd}`;
      if (fs.readlinkSync(link) === `${file} (deleted)`) return `/proc/${process.pid}/fd/${fd}`;
    }
  } catch {
    // not Linux, or the descriptor closed meanwhile
  }
  return null;
}

/** Everything committed goes into the open file itself (the WAL may be gone with it), so a copy of it is complete. */
function checkpointInto(db: Db): void {
  try {
    db.$client.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // best effort: the WAL file's own descriptor still holds the frames
  }
}

function identity(file: string): Identity | { missing: string } {
  try {
    const stats = fs.statSync(file);
    return { dev: stats.dev, ino: stats.ino };
  } catch (error) {
    return { missing: (error as NodeJS.ErrnoException).code ?? 'ENOENT' };
  }
}

export function watchDatabaseFile(db: Db, file: string, logger: Logger, options: FileWatchOptions = {}): FileWatch {
  const now = options.now ?? Date.now;
  const faults = faultsOf(db.$client);
  const absolute = path.resolve(file);
  const opened = identity(absolute);
  if ('missing' in opened) throw new Error(`the database ${absolute} cannot be watched: ${opened.missing}`);
  const log = throttledLog(logger, now);
  let rescue = '';

  const check = (): boolean => {
    const current = identity(absolute);
    const same = !('missing' in current) && current.dev === opened.dev && current.ino === opened.ino;
    if (same) {
      if (faults.refusal?.code === 'DATABASE_GONE') {
        faults.allowWrites();
        logger.warn('the database file is back at its path: writes are accepted again', { database: absolute });
      }
      return true;
    }
    if (faults.refusal === null) {
      const what = 'missing' in current ? `was deleted (or its folder was: ${current.missing})` : 'was replaced by another file';
      checkpointInto(db);
      const descriptor = openDescriptor(absolute);
      rescue = descriptor ? ` Everything written until now is in the open file: copy it while Casebook still runs (cp ${descriptor} ${absolute}.rescued), then stop Casebook and put the copy in place.` : '';
      faults.refuseWrites({
        code: 'DATABASE_GONE',
        reason: `The database file ${absolute} ${what} while Casebook had it open`,
        since: now(),
      });
    }
    if (faults.refusal?.code === 'DATABASE_GONE') {
      log('gone', 'error', `Database gone: ${faults.refusal.reason}. Writes are refused (503 DATABASE_GONE).${rescue} Fix: restore ${absolute} before restarting Casebook (started on an empty path it creates a new, empty database)`, {
        database: absolute,
      });
    }
    return false;
  };

  const timer = setInterval(check, options.intervalMs ?? 1000);
  timer.unref();
  const removeCheck = faults.addCheck(() => void check());
  return {
    check,
    stop() {
      clearInterval(timer);
      removeCheck();
    },
  };
}
