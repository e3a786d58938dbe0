/**
 * Three Casebook instances on one PostgreSQL database (issue 16's multi-instance test): three
 * real servers (`src/main.ts` children, DATABASE_URL) started together, sharing one fresh
 * database and a real SMTP server. Checked: every intake acknowledged is stored once (spread
 * over the three, Idempotency-Keys replayed on another instance); the scheduled sweeps of the
 * three (SLA_SWEEP_CRON every 2 s), and three sweeps run at once by three sets of services in
 * this process, record each breach once and escalate once; the scheduled report (REPORT_CRON
 * every 3 s on all three) is built once per tick and mailed once; a reply made on A shows on
 * an agent's case page polling B; an API token's intake limit holds across the three; a
 * visitor's first two chat messages sent to A and B at once make one case; a ruleset's dry-run started on A is answered on B and C; and `kill -9` of one instance mid-load loses no acknowledged intake, the
 * survivors keep serving, and the outbox items it had claimed are performed by them once their
 * lease has run out (the test moves the lease into the past: the database is the test's).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTokenRow } from '../../src/auth/api-tokens.js';
import { newSessionRow } from '../../src/auth/sessions.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createSite } from '../../src/chat/sites.js';
import { ManualClock, systemClock } from '../../src/clock.js';
import { createServicesOn } from '../../src/compose.js';
import type { Store } from '../../src/db/store/index.js';
import { openStore } from '../../src/db/store/open.js';
import { createLogger } from '../../src/logger.js';
import { createMailer } from '../../src/notifications/mailer.js';
import type { Services } from '../../src/services.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { ADMIN_TOKEN } from '../support/harness.js';
import { startPostgres, type PostgresCluster } from '../support/postgres.js';
import { startServer, type RunningServer } from '../support/server.js';
import { startSmtp, type Inbox } from '../support/smtp.js';

const CHANNELS_KEY = '5a'.repeat(32);
let cluster: PostgresCluster;
let url: string;
let dir: string;
let inbox: Inbox;
let servers: RunningServer[] = [];
let a: RunningServer;
let b: RunningServer;
let c: RunningServer;
let store: Store;

async function rows<R>(query: ReturnType<typeof sql>): Promise<R[]> {
  return store.query((q) => q.all<R>(query));
}

async function count(query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await rows<{ n: number }>(query);
  return Number(row?.n ?? 0);
}

/** Polls `check` until it holds, at most `ms`: for an event another process causes (a tick, a drain), not for time to pass. */
async function until(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function intake(server: RunningServer, n: number, key?: string): Promise<Response> {
  const body = { customer: { email: `load${n % 40}@example.com` }, subject: `Invoice question ${n}`, description: `My invoice number ${n} looks wrong.` };
  return fetch(`${server.url}/api/v1/cases`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json', ...(key ? { 'Idempotency-Key': `"${key}"` } : {}) },
    body: JSON.stringify(body),
  });
}

/** Runs `work(i)` for i in [0, n) with at most `width` at once. */
async function pool(n: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

beforeAll(async () => {
  [cluster, inbox] = await Promise.all([startPostgres(), startSmtp()]);
  url = await cluster.createDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'casebook-instances-'));
  const env = {
    SEED_DEMO: 'true',
    DEMO_PASSWORD: 'demo-password-1',
    LOG_LEVEL: 'warn',
    CHAT_SWEEP_CRON: '0 0 1 1 *',
    SLA_SWEEP_CRON: '*/2 * * * * *',
    REPORT_CRON: '*/3 * * * * *',
    SMTP_URL: `smtp://127.0.0.1:${inbox.port}`,
    CHANNELS_KEY,
    ATTACHMENTS_DIR: path.join(dir, 'files'),
    // A staff API token's intake limit (the ADMIN_TOKEN the load uses is not limited).
    RATE_LIMIT_CASES_PER_TOKEN: '4/1h',
  };
  const started = await Promise.allSettled(['a', 'b', 'c'].map((name) => startServer({ databasePath: path.join(dir, name, 'casebook.db'), databaseUrl: url, env, timeoutMs: 90_000 })));
  servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  [a, b, c] = servers as [RunningServer, RunningServer, RunningServer];
  store = openStore({ postgresUrl: url, max: 3 });
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await store?.close();
  await inbox?.close();
  await cluster?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('three instances on one PostgreSQL database', () => {
  it('store every acknowledged intake once, ids from the sequence; a key replayed on another instance answers the same case', async () => {
    const acknowledged: number[] = [];
    const keyed = new Map<string, number>();
    const before = await count(sql`SELECT count(*) AS n FROM cases`);
    await pool(180, 12, async (i) => {
      const server = servers[i % 3]!;
      const key = i % 4 === 0 ? `load-${i}` : undefined;
      const res = await intake(server, i, key);
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      const n = Number(id.replace(/\D/g, ''));
      acknowledged.push(n);
      if (key) keyed.set(key, n);
    });
    // Each keyed intake retried on the next instance: the same case, replayed, nothing stored.
    await pool(keyed.size, 12, async (j) => {
      const i = j * 4;
      const res = await intake(servers[(i + 1) % 3]!, i, `load-${i}`);
      expect(res.status).toBe(201);
      expect(res.headers.get('Idempotent-Replayed')).toBe('true');
      expect(Number(((await res.json()) as { id: string }).id.replace(/\D/g, ''))).toBe(keyed.get(`load-${i}`));
    });
    expect(new Set(acknowledged).size).toBe(180);
    const stored = await rows<{ id: number }>(sql`SELECT id FROM cases WHERE subject LIKE 'Invoice question %'`);
    expect(stored.map((r) => r.id).sort((x, y) => x - y)).toEqual([...acknowledged].sort((x, y) => x - y));
    expect(await count(sql`SELECT count(*) AS n FROM cases`)).toBe(before + 180);
    const [seq] = await rows<{ last: number }>(sql`SELECT last_value AS last FROM cases_id_seq`);
    expect(Math.max(...acknowledged)).toBeLessThanOrEqual(Number(seq!.last));
  });

  /** `n` new cases through the three instances, their ids and the SQL list of them. */
  async function newCases(n: number, from: number): Promise<{ ids: number[]; list: ReturnType<typeof sql> }> {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      const res = await intake(servers[i % 3]!, from + i);
      ids.push(Number(((await res.json()) as { id: string }).id.replace(/\D/g, '')));
    }
    const list = sql.join(
      ids.map((id) => sql`${id}`),
      sql`, `,
    );
    expect(await count(sql`SELECT count(*) AS n FROM case_events WHERE type = 'case.escalated' AND case_id IN (${list})`)).toBe(0);
    return { ids, list };
  }

  /** Moves the cases' running timers' due times to `due` (the test owns the database); how many. */
  async function makeDue(list: ReturnType<typeof sql>, due: number): Promise<number> {
    const moved = await store.write((q) => q.run(sql`UPDATE sla_timers SET warn_at = ${due - 1000}, due_at = ${due} WHERE state = 'running' AND case_id IN (${list})`));
    return moved.changes;
  }

  /** Each moved timer breached once (one `sla.breached` entry per case and metric), each case escalated once. */
  async function expectOnce(ids: number[], list: ReturnType<typeof sql>, moved: number): Promise<void> {
    const breaches = await rows<{ caseId: number; metric: string; n: number }>(
      sql`SELECT case_id AS "caseId", data->>'metric' AS metric, count(*) AS n FROM case_events WHERE type = 'sla.breached' AND case_id IN (${list}) GROUP BY case_id, data->>'metric'`,
    );
    expect(breaches.reduce((n, r) => n + Number(r.n), 0)).toBe(moved);
    expect(breaches.every((r) => Number(r.n) === 1)).toBe(true);
    const escalated = await rows<{ caseId: number; n: number }>(sql`SELECT case_id AS "caseId", count(*) AS n FROM case_events WHERE type = 'case.escalated' AND case_id IN (${list}) GROUP BY case_id`);
    expect(escalated).toHaveLength(ids.length);
    expect(escalated.every((r) => Number(r.n) === 1)).toBe(true);
  }

  it('record each breach once when their schedulers sweep (SLA_SWEEP_CRON every 2 s on all three), and escalate each case once', async () => {
    const { ids, list } = await newCases(6, 1000);
    const moved = await makeDue(list, Date.now() - 60_000);
    expect(moved).toBeGreaterThanOrEqual(ids.length);
    // A tick of the real processes is the event waited for.
    await until(async () => (await count(sql`SELECT count(*) AS n FROM case_events WHERE type = 'case.escalated' AND case_id IN (${list})`)) >= ids.length, 'the scheduled sweep and its escalations');
    await expectOnce(ids, list, moved);
    // Each sweep tick ran on one instance.
    expect(await count(sql`SELECT count(*) AS n FROM (SELECT scheduled_at FROM job_runs WHERE job = 'sla-sweep' GROUP BY scheduled_at HAVING count(*) > 1) d`)).toBe(0);
  });

  it('record each breach once when three sweeps run at once, and escalate each case once', async () => {
    const { ids, list } = await newCases(9, 1100);
    // The servers are still mailing the new cases' acknowledgements: a case's outbox items run in
    // order, so its SLA events would wait behind an item another instance holds. Wait for them.
    await until(async () => (await count(sql`SELECT count(*) AS n FROM outbox WHERE case_id IN (${list}) AND done_at IS NULL AND failed_at IS NULL`)) === 0, 'the new cases\' mails');
    // Due a little ahead of the servers' clocks, swept by services whose clock is later still: the scheduled sweeps leave them to these three.
    const at = Date.now();
    const moved = await makeDue(list, at + 20_000);
    expect(moved).toBeGreaterThanOrEqual(ids.length);

    // Three instances' services on the database, sweeping together.
    const mailer = createMailer(`smtp://127.0.0.1:${inbox.port}`, 'Casebook <casebook@localhost>');
    const stores = [0, 1, 2].map(() => openStore({ postgresUrl: url, max: 3 }));
    const instances: Services[] = [];
    try {
      for (const s of stores) instances.push(await createServicesOn(s, new ManualClock(at + 30_000), { mailer, logger: createLogger('warn'), channelsKey: parseChannelsKey(CHANNELS_KEY) }));
      const runs = await Promise.all(instances.map((services) => runSlaSweep(services)));
      expect(runs.reduce((n, run) => n + run.sweep.breaches, 0)).toBe(moved);
    } finally {
      for (const services of instances) services.outbox.stop();
      await Promise.all(stores.map((s) => s.close()));
      mailer.close();
    }
    await expectOnce(ids, list, moved);
  });

  it('build the scheduled report once per tick and mail it once to each recipient', async () => {
    await until(async () => (await count(sql`SELECT count(*) AS n FROM sla_reports WHERE trigger = 'schedule' AND delivery_state = 'sent'`)) >= 2, 'two scheduled reports delivered', 20_000);
    const reports = await rows<{ id: number; end: number; recipients: string[] }>(sql`SELECT id, period_end AS "end", recipients FROM sla_reports WHERE trigger = 'schedule' AND delivery_state = 'sent' ORDER BY id`);
    const ends = (await rows<{ end: number }>(sql`SELECT period_end AS "end" FROM sla_reports WHERE trigger = 'schedule'`)).map((r) => Number(r.end));
    expect(new Set(ends).size).toBe(ends.length);
    // Each is the report of a tick one instance claimed (job_runs holds one row per tick).
    expect(await count(sql`SELECT count(*) AS n FROM sla_reports r WHERE r.trigger = 'schedule' AND NOT EXISTS (SELECT 1 FROM job_runs j WHERE j.job = 'sla-report' AND j.scheduled_at = r.period_end)`)).toBe(0);
    for (const report of reports.slice(0, 2)) {
      expect(report.recipients.length).toBeGreaterThan(0);
      const mails = inbox.messages.filter((m) => (m.mail.text ?? '').includes(`/manage/reports/sla/${report.id}`));
      expect(mails).toHaveLength(1);
      expect([...mails[0]!.to].sort()).toEqual([...report.recipients].sort());
    }
  });

  it('show a reply made on A on a staff member’s case page polling B', async () => {
    const created = (await (await intake(a, 2000)).json()) as { id: string };
    const [admin] = await rows<{ id: number }>(sql`SELECT id FROM staff WHERE role = 'admin' ORDER BY id LIMIT 1`);
    const { session, row } = newSessionRow({ type: 'staff', id: admin!.id }, Date.now());
    await store.write((q) => q.db.insert(q.tables.sessions).values(row));
    const cookie = `casebook_session=${session.id}`;
    let stamp = '';
    const poll = () => fetch(`${b.url}/cases/${created.id}/live?stamp=${stamp}`, { headers: { Cookie: cookie, 'HX-Request': 'true' } });
    // The page as B renders it once the intake's follow-up work (done by A's outbox) has settled: its poll answers 204.
    await until(async () => {
      const page = await fetch(`${b.url}/cases/${created.id}`, { headers: { Cookie: cookie } });
      expect(page.status).toBe(200);
      stamp = /\/live\?stamp=([^"&]+)"/.exec(await page.text())?.[1] ?? '';
      return (await poll()).status === 204;
    }, 'B’s case page to settle');

    const replied = await fetch(`${a.url}/api/v1/cases/${created.id}/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ body: 'Answered on instance A', public: true }),
    });
    expect(replied.status).toBe(201);
    const live = await poll();
    expect(live.status).toBe(200);
    expect(await live.text()).toContain('Answered on instance A');
  });

  it('answer a dry-run started on A when its page is polled on B (the job is in the database, not in A’s memory)', async () => {
    const [admin] = await rows<{ id: number }>(sql`SELECT id FROM staff WHERE role = 'admin' ORDER BY id LIMIT 1`);
    const { session, row } = newSessionRow({ type: 'staff', id: admin!.id }, Date.now());
    await store.write((q) => q.db.insert(q.tables.sessions).values(row));
    const headers = { Cookie: `casebook_session=${session.id}` };
    const started = await fetch(`${a.url}/manage/rules/routing/dry-runs`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': session.csrfToken, Origin: a.url },
      body: new URLSearchParams({ draft: '1', scope: 'last', count: '50' }).toString(),
    });
    expect(started.status, await started.clone().text()).toBe(303);
    const location = started.headers.get('location')!;
    expect(location).toMatch(/^\/manage\/rules\/routing\/dry-runs\/[A-Za-z0-9_-]{43}$/);
    let text = '';
    await until(async () => {
      const page = await fetch(`${b.url}${location}`, { headers: { ...headers, 'HX-Request': 'true' } });
      expect(page.status).toBe(200);
      text = await page.text();
      return !text.includes('Replaying');
    }, 'the dry-run to finish, seen from B');
    expect(text).toContain('Dry-run of draft v1');
    expect(text).not.toContain('failed');
    // The full page on C too.
    const onC = await fetch(`${c.url}${location}`, { headers });
    expect(onC.status).toBe(200);
    expect(await onC.text()).toContain('Dry-run of draft v1');
  });

  it('hold an API token to its intake rate across all three (4 per hour: not 4 on each)', async () => {
    const [agent] = await rows<{ id: number }>(sql`SELECT id FROM staff WHERE role = 'agent' AND active ORDER BY id LIMIT 1`);
    const { token, row } = newTokenRow({ type: 'staff', id: agent!.id }, 'integration', Date.now());
    await store.write((q) => q.db.insert(q.tables.apiTokens).values(row));
    const post = (server: RunningServer, i: number) =>
      fetch(`${server.url}/api/v1/cases`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ customer: { email: `limited${i}@example.com` }, subject: `Limited ${i}`, description: 'Through the integration.' }),
      });
    // Four at once over the three instances, then one more on each.
    const first = await Promise.all([a, b, c, a].map((server, i) => post(server, i)));
    expect(first.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    const more = await Promise.all([a, b, c].map((server, i) => post(server, 4 + i)));
    expect(more.map((r) => r.status)).toEqual([429, 429, 429]);
    expect(Number(more[0]!.headers.get('Retry-After'))).toBeGreaterThan(800);
    expect(await count(sql`SELECT count(*) AS n FROM cases WHERE subject LIKE 'Limited %'`)).toBe(4);
  });

  it('make one case of a visitor’s first two chat messages sent to A and B at once', async () => {
    const HOST = 'https://shop.example';
    const services = await createServicesOn(store, systemClock, { logger: createLogger('warn'), channelsKey: parseChannelsKey(CHANNELS_KEY) });
    const site = await createSite(services, { name: 'Shop', origins: HOST, queue: 'general' });
    services.outbox.stop();
    for (let round = 0; round < 3; round++) {
      const started = await fetch(`${a.url}/chat/api/sites/${site.id}/sessions`, { method: 'POST', headers: { Origin: a.url, 'Content-Type': 'application/json' }, body: JSON.stringify({ host: HOST, name: 'Vera', email: `vera${round}@example.com` }) });
      expect(started.status).toBe(201);
      const { token } = (await started.json()) as { token: string };
      const send = (server: RunningServer, text: string) =>
        fetch(`${server.url}/chat/api/messages`, { method: 'POST', headers: { Origin: server.url, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ body: text }) });
      const answers = await Promise.all([send(a, 'Hello from the first tab'), send(b, 'Hello from the second tab')]);
      expect(answers.map((r) => r.status)).toEqual([201, 201]);
      const [chat] = await rows<{ id: number; caseId: number | null }>(sql`SELECT id, case_id AS "caseId" FROM chat_sessions WHERE email = ${`vera${round}@example.com`}`);
      expect(chat!.caseId).not.toBeNull();
      expect(await count(sql`SELECT count(*) AS n FROM cases WHERE channel = 'chat' AND customer_id = (SELECT customer_id FROM cases WHERE id = ${chat!.caseId})`)).toBe(1);
      const lines = await rows<{ seq: number; body: string }>(sql`SELECT seq, body FROM chat_messages WHERE session_id = ${chat!.id} ORDER BY seq`);
      expect(lines.map((l) => l.body).sort()).toEqual(['Hello from the first tab', 'Hello from the second tab']);
      expect(lines.map((l) => Number(l.seq))).toEqual([1, 2]);
    }
  });

  it('lose nothing acknowledged when one is killed mid-load; the survivors serve on and perform its claimed outbox items', async () => {
    const acknowledged: number[] = [];
    let sent = 0;
    let crashed = false;
    const deadPid = c.child.pid!;
    // Mail is not answered during the load: each instance's drain keeps the mail items it claimed (the killed one's stay claimed).
    inbox.hold();
    const load = pool(120, 9, async (i) => {
      const server = servers[i % 3]!;
      if (i === 60) {
        crashed = true;
        await c.crash();
      }
      sent++;
      const res = await intake(server, 3000 + i).catch(() => null);
      // The kill may cut an answer after its status line: without its body the client was not told the case.
      const answer = res?.status === 201 ? ((await res.json().catch(() => null)) as { id: string } | null) : null;
      if (answer) acknowledged.push(Number(answer.id.replace(/\D/g, '')));
      else expect(server === c && crashed).toBe(true); // only the dead one fails to answer
    });
    await load;
    expect(sent).toBe(120);
    expect(acknowledged.length).toBeGreaterThanOrEqual(80); // A and B answered all theirs
    const stored = await rows<{ id: number }>(sql`SELECT id FROM cases WHERE subject LIKE 'Invoice question 3%'`);
    const ids = new Set(stored.map((r) => r.id));
    expect(acknowledged.filter((id) => !ids.has(id))).toEqual([]);
    for (const survivor of [a, b]) expect((await fetch(`${survivor.url}/readyz`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);

    // Its claims: left leased to the dead process; once the lease ran out (moved into the past here), a survivor performs them.
    const held = await rows<{ id: number }>(sql`SELECT id FROM outbox WHERE done_at IS NULL AND failed_at IS NULL AND locked_by LIKE ${`%:${deadPid}:%`}`);
    expect(held.length).toBeGreaterThan(0);
    inbox.release();
    await store.write((q) => q.run(sql`UPDATE outbox SET locked_until = ${Date.now() - 1} WHERE locked_by LIKE ${`%:${deadPid}:%`} AND done_at IS NULL AND failed_at IS NULL`));
    const swept = await fetch(`${a.url}/api/v1/sla/sweep`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(swept.status).toBe(200);
    const list = sql.join(
      held.map((r) => sql`${r.id}`),
      sql`, `,
    );
    await until(async () => (await count(sql`SELECT count(*) AS n FROM outbox WHERE id IN (${list}) AND done_at IS NULL`)) === 0, 'the dead claims to be performed');
    expect(await count(sql`SELECT count(*) AS n FROM outbox WHERE done_at IS NULL AND failed_at IS NULL AND locked_by LIKE ${`%:${deadPid}:%`}`)).toBe(0);
  });
});
