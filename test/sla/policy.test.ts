/** The SLA config API, policy edits that leave running cases alone, and the explicit re-apply. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/harness.js';
import { berlin, createDesk, type Desk, type Json } from './helpers.js';

let d: Desk;
let managerToken: string;
beforeEach(() => {
  d = createDesk();
  managerToken = d.h.tokenFor(d.h.agent({ name: 'Mia', email: 'mia@casebook.test', role: 'manager' }));
});
afterEach(() => d.h.close());

async function currentConfig(): Promise<Json> {
  const res = await d.call('GET', '/api/v1/sla-config', d.aliceToken);
  expect(res.status).toBe(200);
  return res.json;
}

/** Publishes the current config changed by `edit`. */
async function publish(edit: (config: Json) => void, token = managerToken): Promise<{ status: number; json: Json }> {
  const config = structuredClone((await currentConfig()).config);
  edit(config);
  return d.call('PUT', '/api/v1/sla-config', token, { config, note: 'tighter first responses' });
}

describe('GET/PUT /api/v1/sla-config', () => {
  it('shows the config in force to staff and publishes validated new versions for managers', async () => {
    const first = await currentConfig();
    expect(first).toMatchObject({ version: 1, state: 'published', openCasesOnOtherVersions: 0 });
    expect(first.config.default).toBe('standard');
    expect(Object.keys(first.config.policies).sort()).toEqual(['premium', 'standard']);
    // The order as written, on both databases (PostgreSQL keeps definition bodies as json, not jsonb).
    expect(Object.keys(first.config.policies)).toEqual(['standard', 'premium']);

    expect((await publish((c) => (c.policies.standard.targets.normal.firstResponse = '4h'), d.aliceToken)).status).toBe(403);
    const res = await publish((c) => (c.policies.standard.targets.normal.firstResponse = '4h'));
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ version: 2, note: 'tighter first responses', author: 'Mia', warnings: [] });
    expect((await currentConfig()).config.policies.standard.targets.normal.firstResponse).toBe('4h');
    expect((await d.call('GET', '/api/v1/sla-config?version=1', d.aliceToken)).json.config.policies.standard.targets.normal.firstResponse).toBe('8h');
    expect(((await d.call('GET', '/api/v1/sla-config/versions', d.aliceToken)).json as unknown as Json[]).map((v) => v.version)).toEqual([2, 1]);
  });

  it('refuses an invalid config with 422 INVALID_SLA_CONFIG and the JSON path of every problem', async () => {
    const res = await publish((c) => {
      c.policies.standard.calendar = 'nowhere';
      c.policies.premium.targets.high.firstResponse = 'soon';
      c.calendars.office.weekly.mon = [['17:00', '17:00']];
    });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('INVALID_SLA_CONFIG');
    const paths = (res.json.problems as Json[]).map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining(['$.policies.standard.calendar', '$.policies.premium.targets.high.firstResponse', expect.stringMatching(/^\$\.calendars\.office\.weekly\.mon/)]),
    );
    for (const p of res.json.problems as Json[]) expect(p).toMatchObject({ path: expect.any(String), message: expect.any(String), severity: 'error' });
    expect((await currentConfig()).version).toBe(1);
  });

  it('refuses a config with a calendar twice (JSON keeps only the last one) with its JSON path in the body', async () => {
    const config = structuredClone((await currentConfig()).config);
    const text = JSON.stringify({ config, note: 'two offices' }).replace('"calendars":{', '"calendars":{"office":{"timezone":"America/New_York","weekly":"24x7"},\n');
    const res = await d.call('PUT', '/api/v1/sla-config', managerToken, text);
    expect(res.status).toBe(422);
    expect(res.json).toMatchObject({ code: 'INVALID_SLA_CONFIG', problems: [{ severity: 'error', path: '$.config.calendars.office', message: expect.stringMatching(/^duplicate key "office" \(lines 1 and 2\)/) }] });
    expect((await currentConfig()).version).toBe(1);
  });

  it('accepts the bare config as the body and returns warnings', async () => {
    const config = structuredClone((await currentConfig()).config);
    config.policies.premium.warnBefore = '45m'; // not shorter than the 30m urgent targets
    const res = await d.call('PUT', '/api/v1/sla-config', managerToken, config);
    expect(res.status).toBe(200);
    expect(res.json.warnings).toEqual([expect.objectContaining({ path: '$.policies.premium.warnBefore', severity: 'warning' })]);
  });
});

describe('policy edits and re-apply', () => {
  it('leaves running cases on their version until an explicit re-apply, which a dry run previews', async () => {
    const old = await d.create(); // normal: firstResponse 8h → due Tuesday 10:00
    const edit = await publish((c) => {
      c.policies.standard.targets.normal.firstResponse = '4h';
      delete c.policies.standard.targets.normal.nextResponse;
    });
    expect(edit.json.openCasesOnOtherVersions).toBe(1);

    d.h.clock.advanceMinutes(60);
    const fresh = await d.create({ subject: 'After the edit' });
    expect((await d.timers(fresh)).firstResponse).toMatchObject({ policyVersion: 2, targetMinutes: 240, dueAt: berlin('2026-03-02T15:00') });
    expect((await d.timers(old)).firstResponse).toMatchObject({ policyVersion: 1, targetMinutes: 480, dueAt: berlin('2026-03-03T10:00') });

    const preview = await d.call('POST', '/api/v1/sla/reapply', managerToken, { dryRun: true });
    expect(preview.status).toBe(200);
    expect(preview.json).toMatchObject({
      dryRun: true,
      version: 2,
      cases: 1,
      changedCases: 1,
      changedTimers: 1,
      truncated: false,
      changes: [
        {
          caseId: old,
          fromVersion: 1,
          policy: { from: 'standard', to: 'standard' },
          timers: [
            {
              metric: 'firstResponse',
              state: 'running',
              from: { policy: 'standard', policyVersion: 1, targetMinutes: 480, dueAt: berlin('2026-03-03T10:00') },
              to: { policy: 'standard', policyVersion: 2, targetMinutes: 240, dueAt: berlin('2026-03-02T14:00') },
            },
          ],
        },
      ],
    });
    // Nothing was written.
    expect((await d.timers(old)).firstResponse).toMatchObject({ policyVersion: 1, targetMinutes: 480 });
    expect(await d.events(old, 'sla.retargeted')).toEqual([]);
    expect((await d.call('POST', '/api/v1/sla/reapply', d.aliceToken, { dryRun: true })).status).toBe(403);

    const applied = await d.call('POST', '/api/v1/sla/reapply', managerToken, {});
    expect(applied.json).toMatchObject({ dryRun: false, cases: 1, changedCases: 1, changedTimers: 1 });
    const timers = await d.timers(old);
    expect(timers.firstResponse).toMatchObject({ policyVersion: 2, targetMinutes: 240, usedMinutes: 60, dueAt: berlin('2026-03-02T14:00') });
    expect(timers.resolution).toMatchObject({ policyVersion: 2, targetMinutes: 2400 });
    expect((await d.events(old, 'sla.retargeted')).map((e) => e.data)).toEqual([
      expect.objectContaining({ metric: 'firstResponse', fromTargetMinutes: 480, targetMinutes: 240, policyVersion: 2, reason: 'SLA config version 1 → 2 re-applied' }),
    ]);
    expect((await d.events(old, 'case.updated'))[0]!.data).toEqual({ changes: { slaConfigVersion: [1, 2] }, by: 'reapply' });
    expect((await d.call('POST', '/api/v1/sla/reapply', managerToken, { dryRun: true })).json).toMatchObject({ cases: 0, changedCases: 0 });
    // Who moved the running cases, in the audit log (previews are not changes).
    const audit = (await d.call('GET', '/api/v1/audit?entity=definition&action=reapplied', ADMIN_TOKEN)).json;
    expect(audit.items).toEqual([expect.objectContaining({ entity: { type: 'definition', id: 'sla/sla' }, action: 'reapplied', after: { version: 2, cases: 1, changedCases: 1, changedTimers: 1 } })]);
  });

  it('re-applies a calendar change (a holiday): previews and records every timer it moves, with old and new due times', async () => {
    // Monday 10:00: normal priority, firstResponse 8h → Tuesday 10:00, resolution 40h.
    const running = await d.create();
    const paused = await d.create({ subject: 'Waiting on the customer' });
    expect((await d.transition(paused, 'waitOnCustomer')).status).toBe(200);
    const before = await d.timers(running);
    expect(before.firstResponse).toMatchObject({ dueAt: berlin('2026-03-03T10:00') });
    const pausedBefore = await d.timers(paused);
    expect(pausedBefore.resolution).toMatchObject({ state: 'paused', dueAt: null });

    // Same calendar name, same targets: only the calendar's content changes.
    await publish((c) => c.calendars.office.holidays.push('2026-03-03'));
    const preview = await d.call('POST', '/api/v1/sla/reapply', managerToken, { dryRun: true });
    expect(preview.status).toBe(200);
    expect(preview.json).toMatchObject({ dryRun: true, version: 2, cases: 2, changedCases: 2 });
    const runningChange = (preview.json.changes as Json[]).find((c) => c.caseId === running)!;
    expect(runningChange.timers).toEqual([
      {
        metric: 'firstResponse',
        state: 'running',
        from: { policy: 'standard', policyVersion: 1, targetMinutes: 480, dueAt: berlin('2026-03-03T10:00') },
        to: { policy: 'standard', policyVersion: 2, targetMinutes: 480, dueAt: berlin('2026-03-04T10:00') },
      },
      {
        metric: 'resolution',
        state: 'running',
        from: expect.objectContaining({ policyVersion: 1, targetMinutes: 2400, dueAt: before.resolution!.dueAt }),
        to: expect.objectContaining({ policyVersion: 2, targetMinutes: 2400, dueAt: expect.any(String) }),
      },
    ]);
    expect(Date.parse(runningChange.timers[1].to.dueAt) - Date.parse(before.resolution!.dueAt)).toBeGreaterThanOrEqual(86_400_000);
    // A paused clock does not run now, but it will count on the new calendar when it resumes.
    const pausedChange = (preview.json.changes as Json[]).find((c) => c.caseId === paused)!;
    expect(pausedChange.timers).toEqual([
      expect.objectContaining({ metric: 'firstResponse', to: expect.objectContaining({ dueAt: berlin('2026-03-04T10:00') }) }),
      expect.objectContaining({ metric: 'resolution', state: 'paused', from: expect.objectContaining({ dueAt: null }), to: expect.objectContaining({ policyVersion: 2, dueAt: null }) }),
    ]);
    expect(preview.json.changedTimers).toBe(4);
    // The preview wrote nothing.
    expect(await d.timers(running)).toEqual(before);

    const applied = await d.call('POST', '/api/v1/sla/reapply', managerToken, {});
    expect(applied.json).toMatchObject({ dryRun: false, cases: 2, changedCases: 2, changedTimers: 4 });
    const after = await d.timers(running);
    expect(after.firstResponse).toMatchObject({ policyVersion: 2, dueAt: berlin('2026-03-04T10:00') });
    expect(after.resolution!.dueAt).toBe(runningChange.timers[1].to.dueAt);
    expect((await d.events(running, 'sla.retargeted')).map((e) => e.data)).toEqual([
      expect.objectContaining({ metric: 'firstResponse', policyVersion: 2, fromDueAt: Date.parse(berlin('2026-03-03T10:00')), dueAt: Date.parse(berlin('2026-03-04T10:00')), reason: 'SLA config version 1 → 2 re-applied' }),
      expect.objectContaining({ metric: 'resolution', fromDueAt: Date.parse(before.resolution!.dueAt), dueAt: Date.parse(after.resolution!.dueAt) }),
    ]);
    expect((await d.events(paused, 'sla.retargeted')).map((e) => e.data.metric)).toEqual(['firstResponse', 'resolution']);
    // Resumed, the paused clock counts on the new calendar: Tuesday is a holiday now.
    expect((await d.transition(paused, 'resume')).status).toBe(200);
    expect((await d.timers(paused)).resolution!.dueAt).toBe(after.resolution!.dueAt);
  });

  it('does not report a calendar change that moves no due time', async () => {
    const id = await d.create();
    const before = await d.timers(id);
    // A holiday long after every due time, and the same calendar under another name.
    await publish((c) => {
      c.calendars.office.holidays.push('2026-11-02');
      c.calendars.bureau = structuredClone(c.calendars.office);
      c.policies.standard.calendar = 'bureau';
    });
    const preview = await d.call('POST', '/api/v1/sla/reapply', managerToken, { dryRun: true });
    expect(preview.json).toMatchObject({ cases: 1, changedCases: 0, changedTimers: 0, changes: [] });
    const applied = await d.call('POST', '/api/v1/sla/reapply', managerToken, {});
    expect(applied.json).toMatchObject({ cases: 1, changedCases: 0 });
    expect(await d.events(id, 'sla.retargeted')).toEqual([]);
    const after = await d.timers(id);
    expect(after.firstResponse).toMatchObject({ policyVersion: 2, dueAt: before.firstResponse!.dueAt });
    expect(after.resolution).toMatchObject({ policyVersion: 2, dueAt: before.resolution!.dueAt });
  });

  it('moves nothing for a warned clock whose due time stays, which keeps its warning and shows in its warning stretch', async () => {
    const id = await d.create({ priority: 'urgent' }); // firstResponse 1h: warns 10:48, due 11:00
    d.h.clock.set(berlin('2026-03-02T10:50'));
    expect((await d.call('POST', '/api/v1/sla/sweep')).json.sweep.warnings).toBe(1);
    expect((await d.timers(id)).firstResponse).toMatchObject({ level: 'warning', warnedAt: berlin('2026-03-02T10:50') });
    await publish((c) => c.calendars.office.holidays.push('2026-11-02'));
    expect((await d.call('POST', '/api/v1/sla/reapply', managerToken, { dryRun: true })).json).toMatchObject({ cases: 1, changedCases: 0, changedTimers: 0, changes: [] });
    expect((await d.call('POST', '/api/v1/sla/reapply', managerToken, {})).json).toMatchObject({ cases: 1, changedCases: 0 });
    expect(await d.events(id, 'sla.retargeted')).toEqual([]);
    // Still warned about 11:00 (no second warning), and shown as such, not as "ok" with 10 minutes left.
    expect((await d.timers(id)).firstResponse).toMatchObject({ policyVersion: 2, dueAt: berlin('2026-03-02T11:00'), level: 'warning', warnedAt: berlin('2026-03-02T10:50') });
    d.h.clock.set(berlin('2026-03-02T10:55'));
    expect((await d.call('POST', '/api/v1/sla/sweep')).json.sweep).toMatchObject({ warnings: 0, breaches: 0 });
  });

  it('leaves a breached clock where it breached when the new calendar changes nothing for it', async () => {
    const id = await d.create();
    d.h.clock.set(berlin('2026-03-03T10:30'));
    expect((await d.call('POST', '/api/v1/sla/sweep')).json.sweep.breaches).toBe(1);
    const breached = (await d.timers(id)).firstResponse!;
    expect(breached).toMatchObject({ state: 'breached', dueAt: berlin('2026-03-03T10:00') });
    await publish((c) => c.calendars.office.holidays.push('2026-11-02'));
    expect((await d.call('POST', '/api/v1/sla/reapply', managerToken, { dryRun: true })).json).toMatchObject({ cases: 1, changedCases: 0 });
    await d.call('POST', '/api/v1/sla/reapply', managerToken, {});
    expect((await d.timers(id)).firstResponse).toMatchObject({ state: 'breached', policyVersion: 2, dueAt: berlin('2026-03-03T10:00') });
    expect(await d.events(id, 'sla.retargeted')).toEqual([]);
  });

  it('cancels timers the new version has no target for', async () => {
    const id = await d.create();
    await d.reply(id);
    await d.customerReply(id, 'More details');
    expect((await d.timers(id)).nextResponse!.state).toBe('running');
    await publish((c) => delete c.policies.standard.targets.normal.nextResponse);
    const applied = await d.call('POST', '/api/v1/sla/reapply', managerToken);
    expect(applied.json.changes[0].timers).toEqual([expect.objectContaining({ metric: 'nextResponse', to: null })]);
    expect(Object.keys(await d.timers(id)).sort()).toEqual(['firstResponse', 'resolution']);
    expect((await d.events(id, 'sla.cancelled'))[0]!.data).toMatchObject({ metric: 'nextResponse', policy: 'standard' });
    // Later messages start no nextResponse clock under the new version.
    await d.customerReply(id, 'Still there?');
    expect((await d.timers(id)).nextResponse).toBeUndefined();
  });
});
