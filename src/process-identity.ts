/**
 * Who holds a claim (an outbox item being performed, a scheduled job tick being run):
 * `host:pid:start`, where `start` is when the process started (Linux: its start time in
 * clock ticks since boot, from /proc; elsewhere: epoch milliseconds). The start time tells a
 * dead process from a new one that got the same pid, so a restart can take back the claims
 * of a process that died instead of waiting for their locks to expire.
 *
 * `host` is the hostname and, on Linux, the PID namespace the pid belongs to
 * (`name/pidns-4026531836`): only there does a pid name one process. Containers on one machine
 * with host networking (`docker run --network host`, Kubernetes' `hostNetwork: true`) share the
 * machine's hostname but each has pids of its own, most often the same ones (1, 7, …): with the
 * hostname alone, an instance starting in one took another's live claims for its own dead
 * ones, and performed their items a second time.
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

/** The PID namespace of this process (the number in `pid:[4026531836]`), or null off Linux. */
function pidNamespace(): string | null {
  try {
    return /^pid:\[(\d+)\]$/.exec(fs.readlinkSync('/proc/self/ns/pid'))?.[1] ?? null;
  } catch {
    return null;
  }
}

const NAMESPACE = pidNamespace();

/** Where this process's pid means something: the hostname, and its PID namespace where there is one. */
export const HOST = NAMESPACE ? `${os.hostname()}/pidns-${NAMESPACE}` : os.hostname();

/** This process: `host:pid:start`. */
export const PROCESS_ID = `${HOST}:${process.pid}:${ownStart()}`;

/**
 * Is the process that wrote `identity` certainly gone? True only when it ran on this host (the
 * same hostname and PID namespace) and no process with its pid and start time exists (a pid
 * that is ours now, or another process's, with a different start, is a new process). Claims
 * from other hosts (another container, too, or a process before the namespace was part of
 * the identity), or identities without a start time, are never judged gone: their locks
 * expire as before.
 */
export function isProcessGone(identity: string, self: string = PROCESS_ID): boolean {
  if (identity === self) return false;
  const match = /^(.*):(\d+):([^:]+)$/.exec(identity);
  if (!match) return false;
  const [, host, pidText, start] = match as unknown as [string, string, string, string];
  if (host !== HOST) return false;
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
