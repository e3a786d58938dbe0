/**
 * The partial indexes intake does not pay for (docs/performance.md, "Indexes and the queries
 * that use them") are still used by every query that reads by them: the reports, the
 * dashboard and the manager's attention list.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { slaNextAtSql, TIMED_EVENT_TYPES } from '../../src/db/schema/index.js';
import { customerCases } from '../../src/cases/customer-cases.js';
import { mergeCandidates } from '../../src/cases/merge-case.js';
import type { CaseRow } from '../../src/cases/case-view.js';
import { MAILS_FROM, OPENED_FROM } from '../../src/channels/email/sqlite.js';
import { replyFiles } from '../../src/chat/lines.js';
import { casesOnOtherWorkflowVersions } from '../../src/cases/reapply-workflow.js';
import { NEXT_WAITING } from '../../src/assignment/fill-capacity.js';
import { createHarness, ROOT, type Harness } from '../support/harness.js';
import { ON_POSTGRES } from '../support/harness-postgres.js';

let h: Harness;
beforeEach(() => {
  h = createHarness();
});
afterEach(() => h.close());

/** SQLite only: these are SQLite's query plans (EXPLAIN QUERY PLAN, INDEXED BY); PostgreSQL plans its own way. */
const planned = it.skipIf(ON_POSTGRES);

function plan(sql: string, ...params: unknown[]): string {
  return (h.db.$client.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join(' | ');
}

describe('case_events_type_at_idx (only the types read by time)', () => {
  planned.each([
    ['reports: breaches and escalations of the period (build-report.ts)', `SELECT e.case_id, e.at, e.data, c.subject FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.type = ? AND e.at >= ? AND e.at < ? ORDER BY e.at, e.id`, ['sla.breached', 0, 1]],
    ['reports: the same, escalations', `SELECT e.case_id, e.at, e.data, c.subject FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.type = ? AND e.at >= ? AND e.at < ? ORDER BY e.at, e.id`, ['case.escalated', 0, 1]],
    ['reports: warnings (build-report.ts)', `SELECT count(*) AS n FROM case_events WHERE type = 'sla.warning' AND at >= ? AND at < ?`, [0, 1]],
    ['reports: met and missed (sla-outcomes.ts)', `SELECT id, case_id, type, at, data FROM case_events WHERE type = 'sla.breached' AND at >= ? AND at < ? UNION ALL SELECT id, case_id, type, at, data FROM case_events WHERE type = 'sla.fulfilled' AND at >= ? AND at < ? ORDER BY at, id`, [0, 1, 0, 1]],
    ['dashboard: escalations over time (over-time.ts)', `SELECT case_id, at, data FROM case_events WHERE type = 'case.escalated' AND at >= ? AND at < ? ORDER BY at, id`, [0, 1]],
    ['attention: failing rules and breaches (attention.ts)', `SELECT count(*) FROM case_events WHERE type = ? AND at >= ?`, ['rules.failed', 0]],
  ])('%s', (_name, sql, params) => {
    expect(plan(sql, ...params)).toMatch(/USING (COVERING )?INDEX case_events_type_at_idx \(type=\? AND at>/);
  });

  it('lists every type the reports and the dashboard read by time', () => {
    const used = new Set<string>();
    for (const dir of ['src/reports', 'src/dashboard']) {
      for (const file of fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
        const text = fs.readFileSync(path.join(ROOT, dir, file), 'utf8');
        for (const m of text.matchAll(/type = '([a-z]+\.[a-zA-Z]+)' AND (?:e\.)?at/g)) used.add(m[1]!);
        for (const m of text.matchAll(/(?:recentEvents\((?:services|tx), |events\()'([a-z]+\.[a-zA-Z]+)'/g)) used.add(m[1]!);
      }
    }
    expect(used.size).toBeGreaterThanOrEqual(5);
    expect([...used].filter((t) => !(TIMED_EVENT_TYPES as readonly string[]).includes(t))).toEqual([]);
  });

  it('has no entry for what intake records', () => {
    const intake = ['case.created', 'case.diagnosed', 'rules.evaluated', 'case.routed', 'sla.started', 'case.assigned', 'case.transitioned', 'case.solutionOffered', 'case.queued'];
    expect(intake.filter((t) => (TIMED_EVENT_TYPES as readonly string[]).includes(t))).toEqual([]);
  });
});

describe('cases_resolved_idx (resolved cases only)', () => {
  planned('serves the processing-time query (durations.ts)', () => {
    const sql = `SELECT id, created_at, resolved_at AS end FROM cases WHERE resolved_at >= ? AND resolved_at < ? AND (? IS NULL OR queue_id = ?) ORDER BY resolved_at, id`;
    expect(plan(sql, 0, 1, null, null)).toMatch(/USING INDEX cases_resolved_idx \(resolved_at>\? AND resolved_at<\?\)/);
  });
});

describe('cases_first_response_idx (answered cases only)', () => {
  planned('serves the first-response-time query (durations.ts)', () => {
    const sql = `SELECT id, created_at, first_response_at AS end_at FROM cases WHERE first_response_at >= ? AND first_response_at < ? ORDER BY first_response_at, id`;
    expect(plan(sql, 0, 1)).toMatch(/USING INDEX cases_first_response_idx \(first_response_at>\? AND first_response_at<\?\)/);
  });
});

describe('cases_customer_open_idx (customer; partial: open) and cases_customer_updated_idx (customer, the customer’s last update, open)', () => {
  // The customer.openCases fact no longer counts here: customers.open_cases keeps it (drizzle/0051).
  planned('serves the merge page’s candidates, the customer’s other open cases newest first, from the partial index, never their closed history (merge-case.ts, as drizzle writes it)', async () => {
    const statements: string[] = [];
    const prepare = h.db.$client.prepare.bind(h.db.$client);
    h.db.$client.prepare = ((text: string) => (statements.push(text), prepare(text))) as typeof prepare;
    await h.query((q) => mergeCandidates(q, { id: 1, customerId: 1 } as CaseRow));
    h.db.$client.prepare = prepare;
    const sql = statements.find((s) => s.includes('"merged_into_id" is null'))!;
    expect(plan(sql, 1, 1, 1, 20)).toMatch(/USING INDEX cases_customer_open_idx \(customer_id=\?\)/);
    expect(plan(sql, 1, 1, 1, 20)).not.toMatch(/TEMP B-TREE/); // newest first in the index's order: no sort
  });

  planned('serves a customer’s cases, the one they last saw change first, a page after a cursor (customer-cases.ts, as drizzle writes it)', async () => {
    const statements: string[] = [];
    const prepare = h.db.$client.prepare.bind(h.db.$client);
    h.db.$client.prepare = ((text: string) => (statements.push(text), prepare(text))) as typeof prepare;
    const cursor = Buffer.from('0:0').toString('base64url');
    await h.query((q) => customerCases(q, 1, { limit: 25, cursor }));
    h.db.$client.prepare = prepare;
    const sql = statements.find((s) => s.includes('coalesce(customer_updated_at, created_at)'))!;
    expect(plan(sql, 1, 0, 0, 0, 26)).toMatch(/USING INDEX cases_customer_updated_idx \(customer_id=\? AND <expr><\?\)/);
  });
});

describe('cases_status_idx (state, id)', () => {
  planned('serves the workflow page’s count of running cases on other versions by the states a running case can be in, never a scan of every case (reapply-workflow.ts, as drizzle writes it)', async () => {
    const statements: string[] = [];
    const prepare = h.db.$client.prepare.bind(h.db.$client);
    h.db.$client.prepare = ((text: string) => (statements.push(text), prepare(text))) as typeof prepare;
    expect(await casesOnOtherWorkflowVersions(h.services, 'support')).toBe(0);
    h.db.$client.prepare = prepare;
    const sql = statements.find((s) => s.includes('"workflow_version" <>'))!;
    // support's states but closed: escalated, new, open, pending, resolved.
    expect(plan(sql, 'escalated', 'new', 'open', 'pending', 'resolved', 'support', 1)).toMatch(/^SEARCH cases USING INDEX cases_status_idx \(status=\?\)$/);
  });
});

describe('sla_timers_next_idx (the next warning or breach of a counting timer)', () => {
  const next = slaNextAtSql('t.');
  planned.each([
    ['reports: timers at risk (build-report.ts)', `SELECT t.case_id, t.due_at FROM sla_timers t INDEXED BY sla_timers_next_idx JOIN cases c ON c.id = t.case_id WHERE (${next}) IS NOT NULL AND (${next}) <= @now AND t.breached_at IS NULL AND t.due_at IS NOT NULL AND t.due_at <= @now ORDER BY t.due_at, t.id`],
    ['metrics: breaches due (scrape.ts)', `SELECT count(*) AS n FROM sla_timers t INDEXED BY sla_timers_next_idx WHERE (${next}) IS NOT NULL AND (${next}) <= @now AND t.breached_at IS NULL AND t.due_at IS NOT NULL AND t.due_at <= @now`],
    ['metrics: warnings due (scrape.ts)', `SELECT count(*) AS n FROM sla_timers t INDEXED BY sla_timers_next_idx WHERE (${next}) IS NOT NULL AND (${next}) <= @now AND t.warned_at IS NULL AND t.warn_at IS NOT NULL AND t.warn_at <= @now`],
  ])('%s: a range of the index, never a scan', (_name, sql) => {
    expect(plan(sql, { now: 0 })).toMatch(/SEARCH t USING INDEX sla_timers_next_idx \((<expr>>\? AND )?<expr><\?\)/);
  });

  it('is the only index over the timers’ due times', async () => {
    // The indexes written in the schema (SQLite's automatic ones have no SQL; PostgreSQL's primary key index is <table>_pkey).
    const rows =
      h.dialect === 'postgres'
        ? await h.all<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'sla_timers' AND indexname <> 'sla_timers_pkey' ORDER BY indexname`)
        : await h.all<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sla_timers' AND sql IS NOT NULL ORDER BY name`);
    const names = rows.map((r) => r.name);
    expect(names).toEqual(['sla_timers_case_metric_idx', 'sla_timers_next_idx']);
  });
});

describe('inbound_mail_from_idx (a sender’s mails, every inbound mail)', () => {
  planned.each([
    ['the sender’s rate limit (receive-email.ts)', MAILS_FROM],
    ['the acknowledgements’ limit (open-mail-case.ts): not the cases opened by anyone in the hour', OPENED_FROM],
  ])('%s: the sender’s rows of the window', (_name, sql) => {
    expect(plan(sql, 'ann@example.com', 0)).toMatch(/^SEARCH inbound_mail USING INDEX inbound_mail_from_idx \(from_address=\? AND received_at>\?\)$/);
  });
});

describe('attachments_case_event_idx (a case’s files, by entry)', () => {
  planned('serves the files of a chat’s replies, which every poll of the chat reads (lines.ts), not a scan of every file', async () => {
    const { sql, params } = await h.query(async (q) => replyFiles(q, 1, [10, 11]).toSQL());
    expect(plan(sql, ...params)).toMatch(/SEARCH attachments USING INDEX attachments_case_event_idx \(case_id=\? AND event_id=\?\)/);
  });
});

describe('the waiting queue (cases_waiting_rank_idx, cases_waiting_idx)', () => {
  planned.each([
    ['a priority queue: by the priority’s rank, then oldest', NEXT_WAITING.sqlite.priority, /^SEARCH c USING INDEX cases_waiting_rank_idx \(queue_id=\?\)/],
    ['a FIFO queue: oldest', NEXT_WAITING.sqlite.fifo, /^SEARCH c USING INDEX cases_waiting_idx \(queue_id=\? AND waiting_since>\?\)/],
  ])('%s: the fill reads the queue’s next case from the index in its order, no sort of the waiting cases', (_name, sql, index) => {
    const planText = plan(sql, 'general', '[]', 1, '[]');
    expect(planText).toMatch(index);
    expect(planText).not.toMatch(/TEMP B-TREE/);
  });
});
