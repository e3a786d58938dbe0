/**
 * Re-applying a workflow (`POST /api/v1/workflows/:name/reapply`): running cases keep their
 * version when a new one is published, and move only when a manager re-applies — with a
 * preview that writes nothing, a map for states the new version no longer has, the new
 * state's SLA clocks and timers, and cases that cannot move left where they are.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { fireWorkflowTimer } from '../../src/cases/fire-workflow-timer.js';
import { publishVersion } from '../../src/definitions/versions.js';
import type { OutboxItem } from '../../src/outbox/outbox.js';
import type { WorkflowDefinition } from '../../src/workflow/definition.js';
import { ADMIN, ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';

type Json = Record<string, any>;

let h: Harness;
afterEach(() => h.close());

const HOUR = 60;

/** v2 of the support workflow: "pending" renamed "waiting" (which also pauses the first response), auto-close after 24 h, not 72. */
function version2(v1: WorkflowDefinition): WorkflowDefinition {
  const w = structuredClone(v1);
  const { pending, ...rest } = w.states;
  w.states = { ...rest, waiting: { ...pending!, label: 'Waiting on the customer', sla: { pause: ['resolution', 'firstResponse'] } } };
  w.states.resolved!.timers = [{ after: '24h', transition: 'autoClose' }];
  for (const t of Object.values(w.transitions)) {
    if (Array.isArray(t.from)) t.from = t.from.map((s) => (s === 'pending' ? 'waiting' : s));
    if (t.to === 'pending') t.to = 'waiting';
  }
  return w;
}

async function desk() {
  h = createHarness();
  standardQueues(h);
  const alice = h.agent({ name: 'Alice', queues: ['general', 'billing', 'technical'], capacity: 10 });
  const maria = h.agent({ name: 'Maria', role: 'manager', queues: ['general'], capacity: 10 });
  const chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  const tokens = { alice: h.tokenFor(alice), maria: h.tokenFor(maria), chloe: h.tokenFor(chloe) };
  const call = async (method: string, url: string, token: string, body?: unknown) => {
    const res = await h.api(method, url, { token, body });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const open = async (subject: string) => {
    const res = await call('POST', '/api/v1/cases', tokens.chloe, { subject, description: `${subject}, please help.` });
    expect(res.status).toBe(201);
    await h.settled();
    return res.json.id as string;
  };
  const move = async (id: string, transition: string, token = ADMIN_TOKEN) => {
    const res = await call('POST', `/api/v1/cases/${id}/transitions`, token, { transition, ...(transition === 'resolve' ? { solution: 'Sent the steps.' } : {}) });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    await h.settled();
  };
  const get = async (id: string) => (await call('GET', `/api/v1/cases/${id}`, ADMIN_TOKEN)).json;
  const events = async (id: string) => (await call('GET', `/api/v1/cases/${id}/events`, ADMIN_TOKEN)).json as unknown as { type: string; data: Json }[];
  const reapply = (body?: unknown, token = tokens.maria) => call('POST', '/api/v1/workflows/support/reapply', token, body);
  return { tokens, call, open, move, get, events, reapply };
}

/** Four cases on v1 (open, pending, resolved 10 h ago, closed), then v2 published. */
async function casesOnVersion1() {
  const d = await desk();
  const working = await d.open('Export fails');
  const waiting = await d.open('Invoice copy');
  await d.move(waiting, 'waitOnCustomer');
  const resolved = await d.open('Password reset');
  await d.move(resolved, 'resolve');
  const resolvedAt = h.clock.now();
  const closed = await d.open('Old question');
  await d.move(closed, 'resolve');
  await d.move(closed, 'close');
  h.clock.advanceMinutes(10 * HOUR);
  const v1 = h.services.definitions.workflow('support').definition;
  await publishVersion(h.services, 'workflow', 'support', version2(v1), ADMIN, 'Waiting renamed, auto-close sooner');
  expect(h.services.definitions.publishedVersion('workflow', 'support')).toBe(2);
  return { ...d, cases: { working, waiting, resolved, closed }, resolvedAt };
}

describe('re-applying a workflow to running cases', () => {
  it('previews without writing: what moves, what changes, and what cannot move without a map', async () => {
    const d = await casesOnVersion1();
    const { working, waiting, resolved } = d.cases;
    expect((await d.get(working)).workflow).toEqual({ name: 'support', version: 1 });

    const preview = await d.reapply({ dryRun: true });
    expect(preview.status).toBe(200);
    expect(preview.json).toMatchObject({ dryRun: true, workflow: 'support', version: 2, cases: 2, changedCases: 1, blockedCases: 1, truncated: false });
    // The open case moves unchanged; the resolved one gets v2's auto-close, counted from its resolution.
    expect(preview.json.changes).toEqual([
      {
        caseId: resolved,
        fromVersion: 1,
        state: { from: 'resolved', to: 'resolved' },
        clocks: [],
        timers: {
          cancelled: [{ transition: 'autoClose', at: new Date(d.resolvedAt + 72 * 3_600_000).toISOString() }],
          scheduled: [{ transition: 'autoClose', at: new Date(d.resolvedAt + 24 * 3_600_000).toISOString() }],
        },
      },
    ]);
    expect(preview.json.blocked).toEqual([{ caseId: waiting, fromVersion: 1, state: 'pending', reason: 'state "pending" is not in version 2: map it to a state of that version' }]);
    expect(preview.json.blockedStates).toEqual([{ state: 'pending', cases: 1, reason: 'state "pending" is not in version 2: map it to a state of that version' }]);

    // With the map, the waiting case moves too, and v2's "waiting" also pauses its first response.
    const mapped = await d.reapply({ dryRun: true, stateMap: { pending: 'waiting' } });
    expect(mapped.json).toMatchObject({ cases: 3, changedCases: 2, blockedCases: 0, blocked: [] });
    expect(mapped.json.changes.find((c: Json) => c.caseId === waiting)).toEqual({
      caseId: waiting,
      fromVersion: 1,
      state: { from: 'pending', to: 'waiting' },
      clocks: [{ metric: 'firstResponse', from: 'run', to: 'pause' }],
      timers: { cancelled: [], scheduled: [] },
    });

    // Nothing was written.
    for (const id of [working, waiting, resolved]) expect((await d.events(id)).some((e) => e.type === 'workflow.reapplied')).toBe(false);
    expect(await d.get(waiting)).toMatchObject({ status: 'pending', workflow: { version: 1 } });
  });

  it('moves the cases: the mapped state, its clocks and timers, "@previous" in the new words; closed cases stay', async () => {
    const d = await casesOnVersion1();
    const { working, waiting, resolved, closed } = d.cases;

    const done = await d.reapply({ version: 2, stateMap: { pending: 'waiting' } });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ dryRun: false, cases: 3, changedCases: 2, blockedCases: 0 });

    const w = await d.get(waiting);
    expect(w).toMatchObject({ status: 'waiting', workflow: { name: 'support', version: 2 } });
    expect(await d.get(working)).toMatchObject({ status: 'open', workflow: { version: 2 } });
    expect(await d.get(closed)).toMatchObject({ status: 'closed', workflow: { version: 1 } });
    expect(w.sla.find((s: Json) => s.metric === 'firstResponse')).toMatchObject({ state: 'paused' });
    expect(w.sla.find((s: Json) => s.metric === 'resolution')).toMatchObject({ state: 'paused' });
    const entry = (await d.events(waiting)).find((e) => e.type === 'workflow.reapplied')!;
    expect(entry.data).toMatchObject({ workflow: 'support', fromVersion: 1, toVersion: 2, from: 'pending', to: 'waiting' });
    expect((await d.events(working)).find((e) => e.type === 'workflow.reapplied')!.data).toEqual({ workflow: 'support', fromVersion: 1, toVersion: 2 });
    expect((await d.events(closed)).some((e) => e.type === 'workflow.reapplied')).toBe(false);

    // The customer's reply returns the case to where it was worked on, by v2's transitions.
    expect((await d.call('POST', `/api/v1/cases/${waiting}/messages`, d.tokens.chloe, { body: 'Here is the number.' })).status).toBe(201);
    await h.settled();
    expect(await d.get(waiting)).toMatchObject({ status: 'open' });

    // The resolved case closes 24 h after its resolution, by v2's timer; v1's timer is gone.
    await h.services.outbox.idle();
    h.clock.advanceMinutes(14 * HOUR + 1);
    await h.services.outbox.drain();
    expect(await d.get(resolved)).toMatchObject({ status: 'closed' });
    const closes = (await d.events(resolved)).filter((e) => e.type === 'case.transitioned' && e.data.transition === 'autoClose');
    expect(closes).toHaveLength(1);
    h.clock.advanceMinutes(72 * HOUR);
    await h.services.outbox.drain();
    expect((await d.events(resolved)).filter((e) => e.type === 'case.transitioned' && e.data.transition === 'autoClose')).toHaveLength(1);

    // Again: nothing left on another version.
    expect((await d.reapply({ dryRun: true })).json).toMatchObject({ cases: 0, blockedCases: 0 });
    // Who moved the running cases, in the audit log (previews are not changes).
    const audit = (await d.call('GET', '/api/v1/audit?entity=definition&action=reapplied', ADMIN_TOKEN)).json;
    expect(audit.items).toEqual([
      expect.objectContaining({
        entity: { type: 'definition', id: 'workflow/support' },
        actor: expect.objectContaining({ name: 'Maria' }),
        after: { version: 2, stateMap: { pending: 'waiting' }, cases: 3, changedCases: 2, blockedCases: 0 },
      }),
    ]);
  });

  it('leaves cases it cannot move on their version, and moves the rest', async () => {
    const d = await casesOnVersion1();
    const done = await d.reapply({});
    expect(done.json).toMatchObject({ cases: 2, blockedCases: 1 });
    const w = await d.get(d.cases.waiting);
    expect(w).toMatchObject({ status: 'pending', workflow: { version: 1 } });
    // Still on v1: its transitions are v1's.
    expect(w.transitions.map((t: Json) => t.name)).toContain('resume');
    expect((await d.events(d.cases.waiting)).some((e) => e.type === 'workflow.reapplied')).toBe(false);
    // The map afterwards moves it.
    expect((await d.reapply({ stateMap: { pending: 'waiting' } })).json).toMatchObject({ cases: 1, blockedCases: 0 });
    expect(await d.get(d.cases.waiting)).toMatchObject({ status: 'waiting' });
  });

  it('does not move a case whose state it returns to ("@previous") the new version lacks, until that state is mapped too', async () => {
    const d = await desk();
    const waiting = await d.open('Export fails');
    const escalated = await d.call('POST', `/api/v1/cases/${waiting}/transitions`, ADMIN_TOKEN, { transition: 'escalate', reason: 'Export service' });
    expect(escalated.status).toBe(200);
    await d.move(waiting, 'waitOnCustomer'); // waiting on the customer, to return to "escalated"
    // v2: tier 2 works in "open" too; "escalated" is gone.
    const v2 = structuredClone(h.services.definitions.workflow('support').definition);
    delete v2.states.escalated;
    delete v2.transitions.deescalateAutomatically;
    for (const t of Object.values(v2.transitions)) {
      if (Array.isArray(t.from)) t.from = t.from.filter((s) => s !== 'escalated');
      if (t.to === 'escalated') t.to = 'open';
    }
    v2.transitions.escalateAutomatically!.from = ['new', 'pending'];
    v2.transitions.escalate!.from = ['new', 'open', 'pending'];
    await publishVersion(h.services, 'workflow', 'support', v2, ADMIN, 'One working state for both tiers');

    const reason = 'the state it returns to from "pending" ("escalated") is not in version 2: map "escalated" to a state of that version';
    const preview = await d.reapply({ dryRun: true });
    expect(preview.json).toMatchObject({ cases: 0, blockedCases: 1, blocked: [{ caseId: waiting, fromVersion: 1, state: 'pending', reason }], blockedStates: [{ state: 'escalated', cases: 1, reason }] });
    await d.reapply({ version: 2 });
    expect(await d.get(waiting)).toMatchObject({ status: 'pending', workflow: { version: 1 } });

    expect((await d.reapply({ version: 2, stateMap: { escalated: 'open' } })).json).toMatchObject({ cases: 1, blockedCases: 0 });
    expect(await d.get(waiting)).toMatchObject({ status: 'pending', workflow: { version: 2 } });
    // The customer's reply returns the case to work, and its resolution clock runs again.
    expect((await d.call('POST', `/api/v1/cases/${waiting}/messages`, d.tokens.chloe, { body: 'Here is the file.' })).status).toBe(201);
    await h.settled();
    const view = await d.get(waiting);
    expect(view).toMatchObject({ status: 'open' });
    expect(view.sla.find((s: Json) => s.metric === 'resolution')).toMatchObject({ state: 'running' });
  });

  it('does not tell the timers of a state the case has left as cancelled: they would do nothing', async () => {
    const d = await desk();
    const reopened = await d.open('Export fails again');
    await d.move(reopened, 'resolve'); // starts the 72 h auto-close…
    await d.move(reopened, 'reopen'); // …which does nothing now the case is open
    const v1 = h.services.definitions.workflow('support').definition;
    await publishVersion(h.services, 'workflow', 'support', version2(v1), ADMIN, 'Waiting renamed, auto-close sooner');

    const preview = await d.reapply({ dryRun: true });
    expect(preview.json).toMatchObject({ cases: 1, changedCases: 0, changes: [] });
    await d.reapply({ version: 2 });
    expect((await d.events(reopened)).find((e) => e.type === 'workflow.reapplied')!.data).toEqual({ workflow: 'support', fromVersion: 1, toVersion: 2 });
    expect(await d.get(reopened)).toMatchObject({ status: 'open', workflow: { version: 2 } });
  });

  it('refuses a stale preview, a map to a state cases cannot take, and anyone but managers', async () => {
    const d = await casesOnVersion1();
    const stale = await d.reapply({ version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.json.detail).toContain('v2 of "support" is in force now, not v1');

    const unknown = await d.reapply({ dryRun: true, stateMap: { pending: 'parked' } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.errors).toEqual([{ path: 'stateMap.pending', message: 'no state "parked" in version 2' }]);
    const final = await d.reapply({ dryRun: true, stateMap: { pending: 'closed' } });
    expect(final.status).toBe(422);
    expect(final.json.errors[0].message).toContain('"closed" is final in version 2');
    // A map that would change whether the case is open: that case stays, with the reason.
    const resolvedKind = await d.reapply({ dryRun: true, stateMap: { pending: 'resolved' } });
    expect(resolvedKind.json.blocked[0].reason).toBe('"pending" is mapped to "resolved", which is resolved in version 2 and the case is not: map it to a state of the same kind');

    expect((await d.reapply({ dryRun: true }, d.tokens.alice)).status).toBe(403);
    expect((await d.reapply({ dryRun: true }, d.tokens.chloe)).status).toBe(403);
    expect((await d.call('POST', '/api/v1/workflows/nope/reapply', d.tokens.maria, {})).status).toBe(404);
    expect((await d.reapply({ dryRun: 'yes' })).status).toBe(422);
    // Nothing moved by any of these.
    expect((await d.events(d.cases.working)).some((e) => e.type === 'workflow.reapplied')).toBe(false);
  });

  it('and a state timer falling due at the same moment: whichever commits second sees the other, never both from the old state', async () => {
    const d = await desk();
    const caseRef = await d.open('Password reset');
    await d.move(caseRef, 'resolve');
    const id = Number(caseRef.slice(2));
    const timerItem = async (): Promise<OutboxItem> => {
      const rows = await h.query((q) => {
        const o = q.tables.outbox;
        return q.db.select().from(o).where(and(eq(o.caseId, id), eq(o.type, 'workflow.timer'), isNull(o.doneAt)));
      });
      expect(rows).toHaveLength(1);
      const r = rows[0]!;
      return { id: r.id, type: r.type, caseId: r.caseId, payload: r.payload as Record<string, unknown>, attempts: r.attempts, availableAt: r.availableAt, createdAt: r.createdAt };
    };
    // v2 closes resolved cases after 96 h, not 72.
    const v2 = structuredClone(h.services.definitions.workflow('support').definition);
    v2.states.resolved!.timers = [{ after: '96h', transition: 'autoClose' }];
    await publishVersion(h.services, 'workflow', 'support', v2, ADMIN, 'Auto-close later');
    await h.services.outbox.idle();
    h.clock.advanceMinutes(72 * HOUR);
    // The drain has claimed v1's auto-close (due now) when the re-apply, at the same moment, cancels it and commits first.
    const claimed = await timerItem();
    const done = await d.reapply({ version: 2 });
    expect(done.json).toMatchObject({ cases: 1, changes: [{ timers: { cancelled: [{ transition: 'autoClose' }], scheduled: [{ transition: 'autoClose' }] } }] });
    await fireWorkflowTimer(h.services, claimed);
    expect(await d.get(caseRef)).toMatchObject({ status: 'resolved', workflow: { version: 2 } });
    expect((await d.events(caseRef)).filter((e) => e.type === 'case.transitioned' && e.data.transition === 'autoClose')).toEqual([]);
  });
});
