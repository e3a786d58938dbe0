/**
 * Who holds a claim (an outbox item being performed, a scheduled job tick being run):
 * `host:pid:start`, where `start` is when the process started (Linux: its start time in
 * clock ticks since boot, from /proc; elsewhere: epoch milliseconds). The start time tells a
 * dead process from a new one that got the same pid, so a restart can take back the claims
 * of a process that died instead of waiting for their locks to expire.
 */
import fs from 'node:fs';
import os from 'node:os';

/** The start time of a process as /proc shows it (field 22 of /proc/<pid>/stat), or null. */
function procStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function ownStart(): string {
  return procStart(process.pid) ?? `t${Math.round(Date.now() - process.uptime() * 1000)}`;
}

/** This process: `host:pid:start`. */
export const PROCESS_ID = `${os.hostname()}:${process.pid}:${ownStart()}`;

/**
 * Is the process that wrote `identity` certainly gone? True only when it ran on this host and
 * no process with its pid and start time exists (a pid that is ours now, or another process's,
 * with a different start, is a new process). Claims from other hosts, or identities without a
 * start time, are never judged gone: their locks expire as before.
 */
export function isProcessGone(identity: string, self: string = PROCESS_ID): boolean {
  if (identity === self) return false;
  const match = /^(.*):(\d+):([^:]+)$/.exec(identity);
  if (!match) return false;
  const [, host, pidText, start] = match as unknown as [string, string, string, string];
  if (host !== os.hostname()) return false;
  const pid = Number(pidText);
  if (pid === process.pid) return true; // that pid is this process now, started after it
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    // EPERM: a process with that pid exists (another user's); judge by its start time below.
  }
  const current = procStart(pid);
  return current !== null && !start.startsWith('t') && current !== start;
}
