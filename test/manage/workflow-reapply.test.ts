/** The console's re-apply of a workflow: the hint on the workflow's page, the preview, the map of states, confirmation, a stale preview. */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishVersion } from '../../src/definitions/versions.js';
import type { WorkflowDefinition } from '../../src/workflow/definition.js';
import { ADMIN, ADMIN_TOKEN } from '../support/harness.js';
import { manageHarness, textOf, type ManageHarness } from './support.js';

let h: ManageHarness;
beforeEach(async () => {
  h = manageHarness();
  await h.settled();
});
afterEach(() => h.close());

/** v2: "pending" is now "waiting". */
function renamed(): WorkflowDefinition {
  const w = structuredClone(h.services.definitions.workflow('support').definition);
  const { pending, ...rest } = w.states;
  w.states = { ...rest, waiting: { ...pending!, label: 'Waiting on the customer' } };
  for (const t of Object.values(w.transitions)) {
    if (Array.isArray(t.from)) t.from = t.from.map((s) => (s === 'pending' ? 'waiting' : s));
    if (t.to === 'pending') t.to = 'waiting';
  }
  return w;
}

async function twoCasesThenV2() {
  const working = await h.intake({ customer: { email: 'a@example.com' }, subject: 'Export fails', description: 'The CSV export fails.' });
  const waiting = await h.intake({ customer: { email: 'b@example.com' }, subject: 'Invoice copy', description: 'Please send the invoice again.' });
  const ref = `C-${waiting}`;
  const res = await h.api('POST', `/api/v1/cases/${ref}/transitions`, { token: ADMIN_TOKEN, body: { transition: 'waitOnCustomer' } });
  expect(res.status).toBe(200);
  await h.settled();
  await publishVersion(h.services, 'workflow', 'support', renamed(), ADMIN, 'Pending renamed');
  const stateOf = async (id: number) => (await h.query((q) => q.db.select({ status: q.tables.cases.status, v: q.tables.cases.workflowVersion }).from(q.tables.cases).where(eq(q.tables.cases.id, id))))[0]!;
  return { working, waiting, ref, stateOf };
}

describe('re-applying a workflow in the console', () => {
  it('previews, maps the state v2 lacks, and moves the cases on confirmation', async () => {
    const { waiting, ref, stateOf } = await twoCasesThenV2();
    const page = textOf(await (await h.as.manager.get('/manage/workflows/support')).text());
    expect(page).toContain('2 running cases are on another version of this workflow. Re-apply the version in force…');

    const preview = await h.as.manager.get('/manage/workflows/support/reapply');
    expect(preview.status).toBe(200);
    const text = textOf(await preview.text());
    expect(text).toContain('1 case would move to v2; 0 would change state, clocks or timers; 1 case cannot move as they are.');
    expect(text).toContain('pending (1 case)');
    expect(text).toContain(`${ref} v1 pending state "pending" is not in version 2: map it to a state of that version`);

    const mapped = await (await h.as.manager.get('/manage/workflows/support/reapply?map.pending=waiting')).text();
    expect(textOf(mapped)).toContain('2 cases would move to v2; 1 would change state, clocks or timers.');
    expect(textOf(mapped)).toContain(`${ref} v1 pending → Waiting on the customer (waiting)`);
    expect(mapped).toContain('<input type="hidden" name="map.pending" value="waiting"/>');
    expect(await stateOf(waiting)).toEqual({ status: 'pending', v: 1 });

    const done = await h.as.manager.post('/manage/workflows/support/reapply', { version: '2', 'map.pending': 'waiting' });
    expect(done.status).toBe(200);
    expect(textOf(await done.text())).toContain('Re-applied v2 to 2 cases: 1 changed state, clocks or timers.');
    expect(await stateOf(waiting)).toEqual({ status: 'waiting', v: 2 });
    const timeline = textOf(await (await h.as.manager.get(`/cases/${ref}`)).text());
    expect(timeline).toContain('Workflow version 1 → 2 re-applied by Maria');
    expect(textOf(await (await h.as.manager.get('/manage/workflows/support')).text())).not.toContain('running case');
  });

  it('refuses a stale preview and a map to a state that does not exist, moving nothing', async () => {
    const { working, stateOf } = await twoCasesThenV2();
    const stale = await h.as.manager.post('/manage/workflows/support/reapply', { version: '1' });
    expect(stale.status).toBe(409);
    expect(textOf(await stale.text())).toContain('v2 of "support" is in force now, not v1: preview the changes again before re-applying.');
    const bad = await h.as.manager.get('/manage/workflows/support/reapply?map.pending=parked');
    expect(bad.status).toBe(422);
    expect(textOf(await bad.text())).toContain('pending: no state "parked" in version 2');
    expect(await stateOf(working)).toMatchObject({ v: 1 });
    expect((await h.as.agent.get('/manage/workflows/support/reapply')).status).toBe(403);
    expect((await h.as.agent.post('/manage/workflows/support/reapply', { version: '2' })).status).toBe(403);
  });
});
