/**
 * The audit log: every configuration change — staff and roles, queues, API tokens, the
 * problem library, mailboxes, mail templates, shared macros, definitions (rulesets, SLA) — is
 * recorded with its actor, time, before and after, secrets never stored; the table is
 * append-only; `GET /api/v1/audit` filters and pages it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAuditIn } from '../../src/audit/record-audit.js';
import { createSite, rotateSiteSecret, updateSite } from '../../src/chat/sites.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createProblem } from '../../src/team/problems.js';
import { createQueue, updateQueue } from '../../src/team/queues.js';
import { createStaffMember, updateStaff } from '../../src/team/staff.js';
import { deactivateStaff } from '../../src/team/staff-active.js';
import { json } from '../../src/db/store/rows.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { refusal } from './support.js';

const PASSWORD = 'hunter2-imap-secret';
let h: Harness;
let manager: TestActor;
let admin: TestActor;
let issuedToken: string;

interface Entry {
  id: number;
  at: string;
  actor: { type: string; id: number | null; name: string };
  entity: { type: string; id: string };
  action: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

async function audit(query = ''): Promise<{ items: Entry[]; nextCursor: number | null }> {
  const res = await h.api('GET', `/api/v1/audit${query}`, { token: h.tokenFor(admin) });
  expect(res.status).toBe(200);
  return (await res.json()) as { items: Entry[]; nextCursor: number | null };
}

async function expectOk(res: Response): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBeLessThan(300);
  return body;
}

beforeAll(async () => {
  h = createHarness({ services: { channelsKey: parseChannelsKey('11'.repeat(32))! } });
  standardQueues(h);
  manager = h.agent({ name: 'Maria', role: 'manager' });
  admin = h.agent({ name: 'Adam', role: 'admin' });
  const mgr = h.tokenFor(manager);

  const created = await createStaffMember(h.services, { email: 'newbie@casebook.test', name: 'Nina New', role: 'agent', queues: ['general'], password: 'a-long-password-1' }, manager);
  await updateStaff(h.services, created.ref.id, { name: 'Nina New', role: 'advanced', skills: ['refunds'], capacity: 5, queues: ['general', 'advanced'], available: true }, admin);
  await deactivateStaff(h.services, created.ref.id, manager);
  await createQueue(h.services, { id: 'vip', name: 'VIP', description: '', tier: 1 }, manager);
  await updateQueue(h.services, 'vip', { name: 'VIP customers', description: 'Top accounts', tier: 1 }, manager);
  await createProblem(h.services, { title: 'Printer jams', symptoms: 'paper stuck', solution: 'Open tray B' }, manager);

  const token = await expectOk(await h.api('POST', '/api/v1/tokens', { token: ADMIN_TOKEN, body: { email: 'agent1@casebook.test', name: 'CI token' } }));
  issuedToken = String(token.token);
  expect((await h.api('DELETE', `/api/v1/tokens/${token.id}`, { token: ADMIN_TOKEN })).status).toBe(204);
  await expectOk(await h.api('POST', '/api/v1/channels/mailboxes', { token: h.tokenFor(admin), body: { name: 'Sales', host: 'imap.example.com', username: 'sales@example.com', password: PASSWORD, queue: 'billing' } }));
  const site = await createSite(h.services, { name: 'Shop', origins: 'https://shop.example', greeting: '', calendar: '', queue: 'general' }, admin);
  await updateSite(h.services, site.id, { name: 'Shop', origins: 'https://shop.example', greeting: 'Hi!', calendar: '', queue: 'billing' }, admin);
  await rotateSiteSecret(h.services, site.id, admin);
  await expectOk(await h.api('PUT', '/api/v1/templates/case-resolved/customer', { token: mgr, body: { subject: 'Solved: {{case.subject}}', body: 'Hello {{customer.firstName}}, done.' } }));
  await expectOk(await h.api('POST', '/api/v1/macros', { token: mgr, body: { name: 'Thanks', body: 'Thanks {{customer.firstName}}!', shared: true } }));
  await expectOk(await h.api('POST', '/api/v1/macros', { token: mgr, body: { name: 'Mine only', body: 'Personal reply', shared: false } }));
  const routing = (await (await h.api('GET', '/api/v1/rulesets/routing', { token: mgr })).json()) as { rules: unknown[] };
  await expectOk(await h.api('PUT', '/api/v1/rulesets/routing', { token: mgr, body: { rules: routing.rules, note: 'same rules, new version' } }));
  const sla = (await (await h.api('GET', '/api/v1/sla-config', { token: mgr })).json()) as { config: unknown };
  await expectOk(await h.api('PUT', '/api/v1/sla-config', { token: mgr, body: { config: sla.config, note: 'republished' } }));
});
afterAll(() => h?.close());

describe('the audit log', () => {
  it('records a change of every kind of configuration, with actor, time, before and after', async () => {
    const { items } = await audit('?limit=200');
    const seen = new Set(items.map((e) => `${e.entity.type} ${e.action}`));
    for (const expected of [
      'staff created', 'staff role-changed', 'staff deactivated', 'queue created', 'queue updated', 'problem created', 'token created', 'token revoked',
      'mailbox created', 'template saved', 'macro created', 'definition published', 'chatSite created', 'chatSite updated', 'chatSite secretRotated',
    ]) expect(seen, expected).toContain(expected);
    const siteChange = items.find((e) => e.entity.type === 'chatSite' && e.action === 'updated')!;
    expect(siteChange).toMatchObject({ actor: { type: 'staff', id: admin.id, name: 'Adam' }, before: { queueId: 'general', greeting: '' }, after: { queueId: 'billing', greeting: 'Hi!' } });
    const role = items.find((e) => e.action === 'role-changed')!;
    expect(role).toMatchObject({ actor: { type: 'staff', id: admin.id, name: 'Adam' }, before: { role: 'agent', queues: ['general'] }, after: { role: 'advanced', queues: ['advanced', 'general'] } });
    expect(Date.parse(role.at)).toBe(h.clock.now());
    const queue = items.find((e) => e.entity.type === 'queue' && e.action === 'updated')!;
    expect(queue).toMatchObject({ entity: { id: 'vip' }, before: { name: 'VIP' }, after: { name: 'VIP customers', description: 'Top accounts' } });
    expect(items.filter((e) => e.entity.type === 'definition').map((e) => e.entity.id).sort()).toEqual(['ruleset/routing', 'sla/sla']);
    expect(items.find((e) => e.entity.id === 'ruleset/routing')).toMatchObject({ before: { version: 1 }, after: { version: 2, note: 'same rules, new version' } });
    // Personal macros are not the team's configuration.
    expect(items.filter((e) => e.entity.type === 'macro')).toHaveLength(1);
  });

  it('never stores a secret', async () => {
    const all = JSON.stringify(await h.all('SELECT * FROM audit_log'));
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(issuedToken);
    expect(all).not.toMatch(/scrypt|v1\.[0-9a-f]/);
    const rows = await h.all<{ t: string; a: unknown }>("SELECT entity_type AS t, \"after\" AS a FROM audit_log WHERE entity_type IN ('mailbox', 'token', 'staff') AND action = 'created'");
    const after = Object.fromEntries(rows.map((r) => [r.t, json<Record<string, unknown>>(r.a)]));
    expect(after.mailbox!.passwordSealed).toBe('[redacted]');
    expect(after.staff!.passwordHash).toBe('[redacted]');
    expect(after.token!.tokenHash).toBeUndefined();
  });

  it('is append-only, and an entry shares the fate of the change it records', async () => {
    expect(await refusal(h.run("UPDATE audit_log SET action = 'x'"))).toMatch(/append-only/);
    expect(await refusal(h.run('DELETE FROM audit_log'))).toMatch(/append-only/);
    const refused = h.services.store.write(async (q) => {
      await recordAuditIn(q, { at: 0, actor: manager, entity: 'queue', entityId: 'never-made', action: 'created' });
      throw new Error('the change failed');
    });
    await expect(refused).rejects.toThrow('the change failed');
    expect(await h.get("SELECT count(*) AS n FROM audit_log WHERE entity_id = 'never-made'")).toEqual({ n: 0 });
  });

  it('filters by actor, entity and date, and pages newest first', async () => {
    const byAdam = await audit(`?actor=staff:${admin.id}&limit=200`);
    expect(byAdam.items.length).toBeGreaterThan(0);
    expect(byAdam.items.every((e) => e.actor.id === admin.id)).toBe(true);
    const queues = await audit('?entity=queue');
    expect(queues.items.map((e) => e.action)).toEqual(['updated', 'created']);
    const first = await audit('?limit=3');
    expect(first.items).toHaveLength(3);
    const second = await audit(`?limit=3&cursor=${first.nextCursor}`);
    expect(second.items[0]!.id).toBeLessThan(first.items[2]!.id);
    expect((await audit('?from=2030-01-01')).items).toEqual([]);
    expect((await h.api('GET', '/api/v1/audit?from=yesterday', { token: ADMIN_TOKEN })).status).toBe(422);
    // A date that does not exist is refused, not read as another (Date.parse takes 2026-02-30 for 2 March).
    for (const bad of ['from=2026-02-30', 'to=2026-04-31T10:00:00Z', 'from=2025-02-29']) expect((await h.api('GET', `/api/v1/audit?${bad}`, { token: ADMIN_TOKEN })).status, bad).toBe(422);
    expect((await h.api('GET', '/api/v1/audit?from=2028-02-29', { token: ADMIN_TOKEN })).status).toBe(200);
  });

  it('is shown on /manage/audit with the same filters', async () => {
    const { createSession } = await import('../../src/auth/sessions.js');
    const session = await h.services.store.write((q) => createSession(q, { type: 'staff', id: manager.id }, h.clock.now()));
    const res = await h.app.request('http://localhost/manage/audit?entity=queue', { headers: { Cookie: `casebook_session=${session.id}` } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('VIP customers');
    expect(html).not.toContain('Printer jams');
  });
});
