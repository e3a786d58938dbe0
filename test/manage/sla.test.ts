/**
 * The SLA console: policies and calendars as they are in force, the due-time calculator on
 * PRODUCT.md's worked examples, validation with JSON paths, drafts and publish, and
 * re-applying the version in force to open cases (preview, confirm, stale confirm).
 */
import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SlaConfigJson } from '../../src/sla/config.js';
import { manageHarness, textOf, type ManageHarness } from './support.js';

let h: ManageHarness;
beforeEach(async () => {
  h = manageHarness();
  await h.settled(); // on PostgreSQL the definitions registry is loaded once the seeding step has run
});
afterEach(() => h.close());

function sla(): SlaConfigJson {
  return structuredClone(h.services.definitions.sla().config.definition);
}

async function calculate(query: Record<string, string>, htmx = false) {
  const res = await h.as.manager.get(`/manage/sla/calculator?${new URLSearchParams(query).toString()}`, { htmx });
  return { status: res.status, html: await res.text() };
}

describe('SLA policies and calendars', () => {
  it('shows each policy’s targets by priority and metric, its warning and calendar, and each calendar’s hours and holidays', async () => {
    const html = await (await h.as.manager.get('/manage/sla')).text();
    const text = textOf(html);
    expect(html).toMatch(/<a href="\/manage\/sla" aria-current="page">SLA<\/a>/);
    expect(text).toContain('Policy standard default Office hours in Berlin');
    expect(text).toContain('Calendar office (Europe/Berlin) Warn before 20%');
    expect(text).toContain('Targets of standard (business time) Priority First response Next response Resolution urgent 1h 1h 8h high 2h 2h 16h normal 8h 4h 40h low 16h 8h 80h');
    // Live-chat targets, to the second, beside the others (a metric without one: the policy's own).
    expect(text).toContain('Live chat targets of standard (business time, to the second; warn before 20%) Priority First response Next response Resolution urgent 30s 1m 8h (as other cases) high 45s 1m30s 16h (as other cases) normal 1m 2m 40h (as other cases) low 2m 5m 80h (as other cases)');
    expect(text).toContain('Live chat targets of premium (business time, to the second; warn before 20%) Priority First response Next response Resolution urgent 20s 45s');
    expect(text).toContain('Policy premium Around the clock');
    expect(text).toContain('Calendar always (UTC) Warn before 15m');
    expect(text).toContain('Calendar office Time zone Europe/Berlin Monday 09:00–17:00 Tuesday 09:00–17:00 Wednesday 09:00–17:00 Thursday 09:00–17:00 Friday 09:00–13:00, 14:00–17:00 Saturday closed Sunday closed Holidays 2026-12-24, 2026-12-25');
    expect(text).toContain('Calendar always Time zone UTC Open around the clock (24×7).');
    // The calculator starts at "now" in the default policy's zone (10:00 in Berlin).
    expect(html).toMatch(/<input type="datetime-local" value="2026-03-02T10:00" id="calc-created" name="created"/);
    expect(text).toContain('0 open cases are on another SLA version.');
  });
});

describe('the due-time calculator (the business-time code of the timers)', () => {
  it('answers PRODUCT.md’s worked examples in the calendar’s zone and in UTC, with the warning time', async () => {
    const friday = await calculate({ created: '2026-03-06T16:30', policy: 'standard', priority: 'high', metric: 'firstResponse' });
    expect(friday.status).toBe(200);
    const text = textOf(friday.html);
    expect(text).toContain(
      'A case created at Fri 6 Mar 2026, 16:30 (Europe/Berlin) with priority high under policy standard is due (first response, 2h of business time) at Mon 9 Mar 2026, 10:30 Europe/Berlin.',
    );
    expect(text).toContain('Due Mon 9 Mar 2026, 10:30 (Europe/Berlin, UTC+01:00) Mon 9 Mar 2026, 09:30 UTC');
    expect(text).toContain('Warning Mon 9 Mar 2026, 10:06 (Europe/Berlin) Mon 9 Mar 2026, 09:06 UTC — 24 business minutes before the due time');

    const after = textOf((await calculate({ created: '2026-03-06T17:30', policy: 'standard', priority: 'high', metric: 'firstResponse' })).html);
    expect(after).toContain('is due (first response, 2h of business time) at Mon 9 Mar 2026, 11:00 Europe/Berlin.');
    const holiday = textOf((await calculate({ created: '2026-12-23T16:00', policy: 'standard', priority: 'high', metric: 'resolution' })).html);
    // 1h on Wed 23 Dec; 24–26 Dec are holidays, 27 a Sunday; 8h on Mon 28; 7h on Tue 29.
    expect(holiday).toContain('is due (resolution, 16h of business time) at Tue 29 Dec 2026, 16:00 Europe/Berlin.');
    const holidayFirst = textOf((await calculate({ created: '2026-12-23T16:00', policy: 'standard', priority: 'high', metric: 'firstResponse' })).html);
    expect(holidayFirst).toContain('at Mon 28 Dec 2026, 10:00 Europe/Berlin.');
    const dst = textOf((await calculate({ created: '2026-03-27T16:00', policy: 'standard', priority: 'high', metric: 'firstResponse' })).html);
    expect(dst).toContain('Due Mon 30 Mar 2026, 10:00 (Europe/Berlin, UTC+02:00) Mon 30 Mar 2026, 08:00 UTC');
    const premium = textOf((await calculate({ created: '2026-03-06T16:30', policy: 'premium', priority: 'high', metric: 'firstResponse' })).html);
    expect(premium).toContain('A case created at Fri 6 Mar 2026, 16:30 (UTC) with priority high under policy premium is due (first response, 1h of business time) at Fri 6 Mar 2026, 17:30 UTC.');
    expect(premium).toContain('Warning Fri 6 Mar 2026, 17:15 (UTC)');
  });

  it('says which time it used for a local time the clocks skip or repeat (Berlin, spring forward and fall back)', async () => {
    const query = { policy: 'standard', priority: 'high', metric: 'firstResponse' };
    // 29 Mar 2026: 02:00 CET becomes 03:00 CEST; 02:30 is no time in Berlin. Read as 03:30 CEST (01:30 UTC), a Sunday: due Mon 30 Mar 11:00.
    const skipped = textOf((await calculate({ ...query, created: '2026-03-29T02:30' })).html);
    expect(skipped).toContain(
      '2026-03-29 02:30 does not exist in Europe/Berlin: the clocks go forward over it (UTC+01:00 to UTC+02:00). The calculator used Sun 29 Mar 2026, 03:30 (UTC+02:00, Sun 29 Mar 2026, 01:30 UTC), as far past the change as the time asked for.',
    );
    expect(skipped).toContain('Due Mon 30 Mar 2026, 11:00 (Europe/Berlin, UTC+02:00)');
    // 25 Oct 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens at 00:30 and at 01:30 UTC.
    const repeated = textOf((await calculate({ ...query, created: '2026-10-25T02:30' })).html);
    // The first one (CEST), whatever the season the calculator is asked in: a Sunday, due Mon 26 Oct 11:00 CET.
    expect(repeated).toContain(
      '2026-10-25 02:30 happens twice in Europe/Berlin: the clocks go back (UTC+02:00, then UTC+01:00). The calculator used the first one, at UTC+02:00: Sun 25 Oct 2026, 02:30 (UTC+02:00, Sun 25 Oct 2026, 00:30 UTC).',
    );
    expect(repeated).toContain('Due Mon 26 Oct 2026, 11:00 (Europe/Berlin, UTC+01:00)');
    // An ordinary time gets no note.
    expect((await calculate({ ...query, created: '2026-03-29T04:30' })).html).not.toContain('id="calc-local-time"');
  });

  it('answers htmx with the form fragment, and refuses bad input with 422 and the field', async () => {
    const fragment = await calculate({ created: '2026-03-06T16:30', policy: 'standard', priority: 'high', metric: 'firstResponse' }, true);
    expect(fragment.html).toMatch(/^<form id="calculator"/);
    expect(fragment.html).toContain('id="calc-due">Mon 9 Mar 2026, 10:30</strong>');
    const bad = await calculate({ created: 'friday', policy: 'standard', priority: 'soon', metric: 'firstResponse' }, true);
    expect(bad.status).toBe(422);
    expect(bad.html).toMatch(/^<form id="calculator"/);
    expect(textOf(bad.html)).toContain('give a date and time, e.g. 2026-03-06T16:30');
    expect(textOf(bad.html)).toContain('one of urgent, high, normal, low');
    const unknown = await calculate({ created: '2026-03-06T16:30', policy: 'gold', priority: 'high', metric: 'firstResponse' });
    expect(unknown.status).toBe(422);
    expect(textOf(unknown.html)).toContain('unknown policy "gold"');
  });

  it('computes on the draft too, before it is published: a holiday added there moves the due time, the version in force keeps its own', async () => {
    const draft = sla();
    draft.calendars.office!.holidays = [...(draft.calendars.office!.holidays ?? []), '2026-03-09'];
    draft.calendars.always!.timezone = 'America/New_York';
    expect((await h.as.manager.post('/manage/sla/drafts', { body: JSON.stringify(draft), note: 'Monday off; premium in New York' })).status).toBe(303);
    const page = await (await h.as.manager.get('/manage/sla')).text();
    expect(page).toMatch(/<select[^>]*id="calc-version" name="version"/);
    expect(textOf(page)).toContain('Configuration v1, in force draft v2');

    // Fri 16:30 + 2h: 30 min on Friday; Monday 9 March is a holiday in the draft, so Tuesday 10:30.
    const query = { created: '2026-03-06T16:30', policy: 'standard', priority: 'high', metric: 'firstResponse' };
    const inForce = textOf((await calculate(query, true)).html);
    expect(inForce).toContain('with priority high under policy standard (v1, in force) is due (first response, 2h of business time) at Mon 9 Mar 2026, 10:30 Europe/Berlin.');
    const withDraft = textOf((await calculate({ ...query, version: '2' }, true)).html);
    expect(withDraft).toContain('with priority high under policy standard (draft v2) is due (first response, 2h of business time) at Tue 10 Mar 2026, 10:30 Europe/Berlin.');
    // The draft's zone: premium's calendar reads the creation time in New York (EST, UTC−5) now.
    const premium = textOf((await calculate({ created: '2026-03-06T16:30', policy: 'premium', priority: 'high', metric: 'firstResponse', version: '2' }, true)).html);
    expect(premium).toContain('A case created at Fri 6 Mar 2026, 16:30 (America/New_York) with priority high under policy premium (draft v2) is due (first response, 1h of business time) at Fri 6 Mar 2026, 17:30 America/New_York.');
    expect(premium).toContain('Fri 6 Mar 2026, 22:30 UTC');

    // Any other version is refused beside the field.
    const other = await calculate({ ...query, version: '7' }, true);
    expect(other.status).toBe(422);
    expect(textOf(other.html)).toContain('choose the version in force or the draft');
  });
});

describe('SLA versions and re-apply', () => {
  it('validates with JSON paths, including policies the rules still use', async () => {
    const bad = sla();
    bad.policies.standard!.targets.high!.firstResponse = '2 hours';
    const text = textOf(await (await h.as.manager.post('/manage/sla/validate', { body: JSON.stringify(bad) }, { htmx: true })).text());
    expect(text).toContain('error $.policies.standard.targets.high.firstResponse');
    const dropped = sla();
    delete dropped.policies.premium;
    const res = await h.as.manager.post('/manage/sla/drafts', { body: JSON.stringify(dropped, null, 2) });
    expect(res.status).toBe(422);
    expect(textOf(await res.text())).toContain('error $.policies the policy "premium" is used by the published ruleset "routing" (rule "Enterprise customers get premium SLAs")');
  });

  it('publishes a new version; running cases keep theirs until re-applied after a preview', async () => {
    const ids = [
      await h.intake({ customer: { email: 'a@example.com' }, subject: 'Hello', description: 'A question', priority: 'high' }),
      await h.intake({ customer: { email: 'b@example.com' }, subject: 'Hello', description: 'Another question', priority: 'high' }),
    ];
    const next = sla();
    next.policies.standard!.targets.high!.firstResponse = '4h';
    delete next.policies.standard!.targets.normal!.nextResponse;
    const saved = await h.as.manager.post('/manage/sla/drafts', { body: JSON.stringify(next, null, 2), note: 'More time for high' });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('Location')).toBe('/manage/sla?saved=2#draft');
    const draftPage = await (await h.as.manager.get('/manage/sla')).text();
    expect(draftPage).toMatch(/<tr class="diff-added">(?:(?!<\/tr>).)*&quot;firstResponse&quot;: &quot;4h&quot;/);
    expect(draftPage).toContain('<pre>        &quot;high&quot;: { &quot;firstResponse&quot;: &quot;4h&quot;, &quot;nextResponse&quot;: &quot;2h&quot;, &quot;resolution&quot;: &quot;16h&quot; },</pre>');
    expect((await h.as.manager.post('/manage/sla/publish', { draft: '2', note: 'More time for high' })).status).toBe(303);

    const page = textOf(await (await h.as.manager.get('/manage/sla?published=3')).text());
    expect(page).toContain('Published v3 (draft v2).');
    expect(page).toContain('high 4h 2h 16h');
    expect(page).toContain('2 open cases are on another SLA version.');
    const noTarget = textOf((await calculate({ created: '2026-03-06T16:30', policy: 'standard', priority: 'normal', metric: 'nextResponse' })).html);
    expect(noTarget).toContain('Under policy standard, priority normal has no next response target: a case created at Fri 6 Mar 2026, 16:30 (Europe/Berlin) gets no such timer.');

    // Preview: which cases and timers change, from → to due.
    const preview = await h.as.manager.get('/manage/sla/reapply', { htmx: true });
    const html = await preview.text();
    const text = textOf(html);
    expect(text).toContain('2 open cases would move to v3; 2 would change (2 timers).');
    for (const id of ids) expect(html).toContain(`<a href="/cases/C-${id}">C-${id}</a>`);
    expect(text).toContain('v1 standard First response : 2 Mar 2026, 11:00 UTC (120 min) → 2 Mar 2026, 13:00 UTC (240 min)');
    // In the manager's own zone, as every time on a page: Kathmandu is UTC+05:45.
    await h.run('UPDATE staff SET time_zone = ? WHERE id = ?', 'Asia/Kathmandu', h.maria.id);
    const local = textOf(await (await h.as.manager.get('/manage/sla/reapply', { htmx: true })).text());
    expect(local).toContain('v1 standard First response : 2 Mar 2026, 16:45 GMT+5:45 (120 min) → 2 Mar 2026, 18:45 GMT+5:45 (240 min)');
    await h.run('UPDATE staff SET time_zone = NULL WHERE id = ?', h.maria.id);
    expect(html).toContain('<input type="hidden" name="version" value="3"/>');
    const timer = async () => (await h.get<{ due_at: number; policy_version: number }>("SELECT due_at, policy_version FROM sla_timers WHERE case_id = ? AND metric = 'firstResponse'", ids[0]))!;
    expect(await timer()).toEqual({ due_at: Date.parse('2026-03-02T11:00:00Z'), policy_version: 1 });

    // A confirm for a version no longer in force is refused.
    const stale = await h.as.manager.post('/manage/sla/reapply', { version: '1' });
    expect(stale.status).toBe(409);
    expect(textOf(await stale.text())).toContain('v3 is in force now, not v1: preview the changes again before re-applying.');
    expect((await timer()).policy_version).toBe(1);

    const confirmed = await h.as.manager.post('/manage/sla/reapply', { version: '3' });
    expect(confirmed.status).toBe(200);
    const done = textOf(await confirmed.text());
    expect(done).toContain('Re-applied v3 to 2 open cases: 2 changed, 2 timers re-targeted.');
    expect(done).toContain('0 open cases are on another SLA version.');
    expect(await timer()).toEqual({ due_at: Date.parse('2026-03-02T13:00:00Z'), policy_version: 3 });
    const versions = await h.all('SELECT DISTINCT sla_config_version AS v FROM cases');
    expect(versions).toEqual([{ v: 3 }]);
    const [event] = await h.query((q) => {
      const { caseEvents } = q.tables;
      return q.db.select({ data: caseEvents.data }).from(caseEvents).where(and(eq(caseEvents.caseId, ids[0]!), eq(caseEvents.type, 'sla.retargeted')));
    });
    expect(event!.data).toMatchObject({ metric: 'firstResponse', fromTargetMinutes: 120, targetMinutes: 240 });

    // Rolling back is a new version; the history says who, when and why.
    expect((await h.as.manager.post('/manage/sla/rollback', { version: '1', note: 'Too generous' })).status).toBe(303);
    const history = textOf(await (await h.as.manager.get('/manage/sla?rolledBack=4')).text());
    expect(history).toContain('Rolled back: v4, a copy of v1, is in force now.');
    expect(history).toContain('v4 in force Maria Manager 2 Mar 2026, 09:00 UTC Too generous v1');
    expect(history).toContain('2 open cases are on another SLA version.');
  });
});
