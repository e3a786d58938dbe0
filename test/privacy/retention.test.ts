/**
 * Retention (RETENTION_DAYS): the scheduled job erases the personal data of cases closed
 * longer ago than the period, exactly once per case (a tick run twice erases nothing more),
 * and leaves open cases, recently closed cases and the customer's profile alone. Time moves
 * with the injected clock.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { createLogger } from '../../src/logger.js';
import { serverJobs } from '../../src/scheduler/jobs.js';
import { runJobTick, type Job } from '../../src/scheduler/scheduler.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { startSession, sessionByToken } from '../../src/chat/sessions.js';
import { createSite } from '../../src/chat/sites.js';
import { sendVisitorMessage } from '../../src/chat/visitor-message.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';

const DAY = 86_400_000;
let h: Harness;
let job: Job;
let agentToken: string;
let customer: TestActor;

async function newCase(subject: string, close: boolean): Promise<number> {
  const res = await h.api('POST', '/api/v1/cases', { token: h.tokenFor(customer), body: { subject, description: `${subject}: details only the customer wrote.` } });
  const ref = ((await res.json()) as { id: string }).id;
  if (close) {
    for (const body of [{ transition: 'resolve', solution: `Fixed ${subject}` }, { transition: 'close' }]) {
      const t = await h.api('POST', `/api/v1/cases/${ref}/transitions`, { token: agentToken, body });
      if (t.status !== 200) throw new Error(await t.text());
    }
  }
  return parseCaseRef(ref)!;
}

const subjectOf = async (id: number) => (await h.get<{ subject: string }>('SELECT subject FROM cases WHERE id = ?', id))!.subject;
const tick = (at: number) => runJobTick(job, at, { store: h.services.store, clock: h.clock, logger: createLogger('silent') });

beforeAll(() => {
  h = createHarness({ services: { channelsKey: parseChannelsKey('47'.repeat(32)) } });
  standardQueues(h);
  agentToken = h.tokenFor(h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'] }));
  customer = h.customer({ email: 'chloe@example.com', name: 'Chloe Carter' });
  job = serverJobs(h.services, { slaSweepCron: '* * * * *', reportCron: '0 7 * * *', reportTimezone: 'UTC', reportAtRiskHours: 4, retentionDays: 30 }).find((j) => j.name === 'retention')!;
});
afterAll(() => h?.close());

describe('the retention job', () => {
  it('exists only with RETENTION_DAYS', () => {
    expect(job.schedule).toBe('23 3 * * *');
    expect(serverJobs(h.services, { slaSweepCron: '* * * * *', reportCron: '0 7 * * *', reportTimezone: 'UTC', reportAtRiskHours: 4 }).map((j) => j.name)).not.toContain('retention');
  });

  it('erases closed cases after the period, once, and nothing else', async () => {
    const old = await newCase('Old invoice question', true);
    const open = await newCase('Still open question', false);
    h.clock.advance(20 * DAY);
    const recent = await newCase('Recent invoice question', true);

    h.clock.advance(5 * DAY);
    expect(await tick(h.clock.now())).toMatchObject({ ran: true, result: { erased: 0 } });
    expect(await subjectOf(old)).toBe('Old invoice question');

    h.clock.advance(6 * DAY); // old: closed 31 days ago; recent: 11 days ago
    const at = h.clock.now();
    expect(await tick(at)).toMatchObject({ ran: true, result: { erased: 1, more: false } });
    expect(await tick(at)).toEqual({ ran: false }); // the same tick again: claimed already
    expect(await tick(at + 60_000)).toMatchObject({ ran: true, result: { erased: 0 } });

    expect(await subjectOf(old)).toBe('[erased]');
    expect(await subjectOf(open)).toBe('Still open question');
    expect(await subjectOf(recent)).toBe('Recent invoice question');
    expect(await h.all('SELECT case_id AS "caseId", reason, actor_type AS actor FROM erasures')).toEqual([{ caseId: old, reason: 'retention', actor: 'system' }]);
    expect(await h.all("SELECT entity_type AS entity, entity_id AS id, action FROM audit_log WHERE action = 'erased'")).toEqual([{ entity: 'case', id: `C-${old}`, action: 'erased' }]);
    expect(await h.get('SELECT name, email FROM customers WHERE id = ?', customer.id)).toEqual({ name: 'Chloe Carter', email: 'chloe@example.com' });
    const transitions = await h.query((q) => q.db.select({ data: q.tables.caseEvents.data }).from(q.tables.caseEvents).where(and(eq(q.tables.caseEvents.caseId, old), eq(q.tables.caseEvents.type, 'case.transitioned'))));
    const resolved = transitions.map((e) => e.data as { to?: string; solution?: string }).filter((data) => data.to === 'resolved');
    expect(resolved.map((data) => data.solution)).toEqual(['[erased]']);
  });

  it('erases the chats in which nothing was written (no case to close) once idle for the period; a chat with a case waits for its case', async () => {
    await h.settled();
    const site = await createSite(h.services, { name: 'Shop', origins: 'https://shop.example', greeting: 'Hi!', calendar: '', queue: 'general' });
    const chat = (name: string, email: string) => startSession(h.services, site, 'https://shop.example', { name, email });
    const left = await chat('Abe Abandoned', 'abe@example.com');
    const talked = await chat('Cleo Chatter', 'cleo@example.com');
    await sendVisitorMessage(h.services, site, talked.session, 'Where is my parcel?');
    h.clock.advance(29 * DAY);
    const recent = await chat('Rita Recent', 'rita@example.com');
    h.clock.advance(2 * DAY); // Abe's and Cleo's: 31 days old; Rita's: 2
    const at = h.clock.now() + 1;
    expect(await tick(at)).toMatchObject({ ran: true, result: { chatsWithoutCase: 1 } });
    expect(await tick(at + 60_000)).toMatchObject({ ran: true, result: { chatsWithoutCase: 0 } });
    const session = (id: number) => h.get<{ name: string; email: string }>('SELECT name, email FROM chat_sessions WHERE id = ?', id);
    expect(await session(left.session.id)).toEqual({ name: '[erased]', email: 'erased@erased.invalid' });
    await expect(sessionByToken(h.services, left.token)).rejects.toMatchObject({ code: 'CHAT_SESSION_INVALID' });
    expect(await session(recent.session.id)).toEqual({ name: 'Rita Recent', email: 'rita@example.com' });
    expect(await session(talked.session.id)).toEqual({ name: 'Cleo Chatter', email: 'cleo@example.com' }); // its case is open
    expect(await h.all("SELECT entity_type AS entity, entity_id AS id FROM audit_log WHERE action = 'chatsErased'")).toEqual([{ entity: 'chatSite', id: site.id }]);
  });
});
