/**
 * A process that dies mid-drain leaves its outbox claims locked (60 s). A restart takes back
 * the claims of a process that is certainly gone (same host, its pid and start time no longer
 * running), so the escalation happens at once, and marks its unfinished scheduled run failed;
 * the claims of a live process are left alone.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../support/harness.js';
import { startServer, type RunningServer } from '../support/server.js';
import { createDesk } from '../sla/helpers.js';

const children: ChildProcessWithoutNullStreams[] = [];
const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A desk with one case whose SLA (March 2026) is long overdue at real time. */
async function overdueCase(): Promise<{ dbPath: string; caseId: number }> {
  const d = createDesk();
  const ref = await d.create();
  const dbPath = d.h.dbPath;
  d.h.close();
  return { dbPath, caseId: Number(ref.slice(2)) };
}

/** Starts the drain as another process would (sweep + claim every due item), and returns it holding the claims. */
async function holdClaims(dbPath: string): Promise<{ child: ChildProcessWithoutNullStreams; claimed: number; identity: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/hold-outbox-claims.ts', dbPath], { cwd: ROOT });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`hold-outbox-claims exited with ${code}: ${err}`)));
  });
  const [, claimed, identity] = /^claimed (\d+) (\S+)/.exec(out)!;
  return { child, claimed: Number(claimed), identity: identity! };
}

function read<T>(dbPath: string, fn: (db: Database.Database) => T): T {
  const db = new Database(dbPath, { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The holder was also running a scheduled tick (as a cron sweep would have been). */
function tickRunBy(dbPath: string, identity: string): void {
  const db = new Database(dbPath);
  db.prepare("INSERT INTO job_runs (job, scheduled_at, claimed_at, claimed_by) VALUES ('sla-sweep', ?, ?, ?)").run(Date.now() - 60_000, Date.now() - 60_000, identity);
  db.close();
}
const tickState = (dbPath: string) => read(dbPath, (db) => db.prepare('SELECT state, error FROM job_runs').get());

const tierOf = (dbPath: string, caseId: number) => read(dbPath, (db) => db.prepare('SELECT tier FROM cases WHERE id = ?').pluck().get(caseId) as number);
const heldBy = (dbPath: string, identity: string) =>
  read(dbPath, (db) => db.prepare('SELECT count(*) FROM outbox WHERE locked_by = ? AND locked_until > ? AND done_at IS NULL').pluck().get(identity, Date.now()) as number);

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

describe('claims of a process that died mid-drain', () => {
  it('are taken back at start-up: the escalation happens at once, not after the 60 s lock', async () => {
    const { dbPath, caseId } = await overdueCase();
    const holder = await holdClaims(dbPath);
    expect(holder.claimed).toBeGreaterThan(0);
    expect(holder.identity).toMatch(/^.+:\d+:.+$/);
    expect(heldBy(dbPath, holder.identity)).toBe(holder.claimed);
    tickRunBy(dbPath, holder.identity);
    holder.child.kill('SIGKILL');
    await once(holder.child, 'exit');

    const started = Date.now();
    servers.push(await startServer({ databasePath: dbPath }));
    expect(await waitFor(() => tierOf(dbPath, caseId) === 2, 20_000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(heldBy(dbPath, holder.identity)).toBe(0);
    const escalations = read(dbPath, (db) => db.prepare("SELECT count(*) FROM case_events WHERE case_id = ? AND type = 'case.escalated'").pluck().get(caseId));
    expect(escalations).toBe(1);
    expect(tickState(dbPath)).toEqual({ state: 'failed', error: `the process that ran it (${holder.identity}) stopped before it finished` });
  }, 60_000);

  it('are left alone while that process is alive', async () => {
    const { dbPath, caseId } = await overdueCase();
    const holder = await holdClaims(dbPath);
    tickRunBy(dbPath, holder.identity);
    const server = await startServer({ databasePath: dbPath });
    servers.push(server);
    // The start-up catch-up has run once the server answers a request after it.
    await fetch(`${server.url}/health`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(heldBy(dbPath, holder.identity)).toBe(holder.claimed);
    expect(tierOf(dbPath, caseId)).toBe(1);
    expect(tickState(dbPath)).toEqual({ state: 'running', error: null });
  }, 60_000);
});
