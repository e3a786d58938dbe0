/**
 * `/manage`, the console's home page (the README's tour starts there): what needs a
 * manager's attention now. Real SQLite with the real migrations, real HTTP through the
 * app, a manual clock.
 */
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { saveDraft } from '../../src/definitions/versions.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { setAvailability } from '../../src/staff/set-availability.js';
import { deactivateQueue } from '../../src/team/queues.js';
import { manageHarness, textOf, type ManageHarness } from './support.js';

let h: ManageHarness;
beforeEach(async () => {
  h = manageHarness({ start: '2026-03-02T08:00:00Z' });
  await h.settled(); // on PostgreSQL the definitions registry is loaded once the seeding step has run
});
afterEach(() => h.close());

describe('GET /manage', () => {
  it('is a page for managers and admins, with the console areas linked', async () => {
    for (const client of [h.as.manager, h.as.admin]) {
      const res = await client.get('/manage');
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('What needs attention');
      for (const href of ['/manage/rules', '/manage/workflows', '/manage/sla', '/manage/team', '/manage/reports']) expect(html).toContain(`href="${href}"`);
    }
    expect((await h.as.agent.get('/manage')).status).toBe(403);
    expect((await h.as.customer.get('/manage')).status).toBe(404);
  });

  it('links a manager only to the areas a manager may open (Webhooks is for admins)', async () => {
    const manager = await (await h.as.manager.get('/manage')).text();
    expect(manager).not.toContain('href="/manage/webhooks"');
    expect((await h.as.manager.get('/manage/webhooks')).status).toBe(403);
    const admin = await (await h.as.admin.get('/manage')).text();
    expect(admin.match(/href="\/manage\/webhooks"/g)?.length).toBe(2); // the navigation and the console's areas
  });

  it('says when nothing needs attention', async () => {
    const text = textOf(await (await h.as.manager.get('/manage')).text());
    expect(text).toContain('Drafts not published 0');
    expect(text).toContain('No drafts waiting');
    expect(text).toContain('No rule evaluation failed in the last 7 days.');
    expect(text).toContain('Every queue has an available agent with room for its cases.');
    expect(text).toContain('No SLA breached today');
  });

  it('lists unpublished drafts, failing rules, queues over capacity and today’s breaches', async () => {
    // a case from last week (live then, not imported history) breaches when the sweep runs today
    h.clock.set('2026-02-23T09:00:00Z');
    await h.intake({ customer: { email: 'sam@example.com' }, subject: 'Export is broken', description: 'The export page fails.' });
    h.clock.set('2026-03-02T08:00:00Z');
    // a draft of the routing rules
    const routing = h.services.definitions.ruleset('routing').definition;
    await saveDraft(h.services, 'ruleset', 'routing', routing, h.maria, 'Try VIP routing');
    // the rules send billing questions to a queue that is gone: the evaluation fails
    await deactivateQueue(h.services, 'billing', {}, h.maria);
    // the only agent with the refunds skill is away: the refund waits (Maria has room but not the skill)
    await setAvailability(h.services, h.alice.id, false, h.alice);
    const billing = await h.intake({ customer: { email: 'pat@example.com' }, subject: 'Refund for a double charge', description: 'My card was charged twice for the invoice.' });
    await runSlaSweep(h.services);

    const res = await h.as.manager.get('/manage');
    expect(res.status).toBe(200);
    const html = await res.text();
    const text = textOf(html);
    expect(text).toContain('Drafts not published 1');
    expect(text).toMatch(/Ruleset routing\s*: draft v2 by Maria Manager \(v1 in force\)/);
    expect(text).toContain('Try VIP routing');
    expect(html).toContain('href="/manage/rules/routing"');

    expect(text).toMatch(/Failing rules \(last 7 days\) [1-9]/);
    expect(text).toContain(`C-${billing} Refund for a double charge — rules on case.created:`);
    expect(text).toContain('queue "billing" does not exist or is inactive');

    expect(text).toMatch(/Queues over capacity [1-9]/);
    const general = html.slice(html.indexOf('id="attention-queues"'));
    expect(textOf(general.slice(0, general.indexOf('</section>')))).toMatch(/General tier 1 1 1 1 10/);

    expect(text).toMatch(/SLA breaches today [1-9]/);
    // it breached in general, whose breach it is (as the SLA report counts it); the breach escalated it to advanced support
    expect(text).toContain('Export is broken — First response in general (now in advanced)');
  });

  it('counts today’s breaches from midnight in the viewer’s time zone, in the queue responsible when they breached', async () => {
    // A case from last week breaches at 23:30 UTC on Sunday 1 March (00:30 Monday in Berlin); a
    // premium case (2 h around the clock) created at 22:31 UTC breaches at 00:32 UTC on Monday.
    h.clock.set('2026-02-23T09:00:00Z');
    await h.intake({ customer: { email: 'sam@example.com' }, subject: 'Export is broken', description: 'The export page fails.' });
    h.clock.set('2026-03-01T22:31:00Z');
    await h.intake({ customer: { email: 'eve@acme.example', tier: 'enterprise' }, subject: 'Team settings', description: 'How do I add a colleague?' });
    h.clock.set('2026-03-01T23:30:00Z');
    await runSlaSweep(h.services);
    h.clock.set('2026-03-02T00:32:00Z');
    await runSlaSweep(h.services);
    h.clock.set('2026-03-02T04:00:00Z');
    const breaches = async () => {
      const html = await (await h.as.manager.get('/manage')).text();
      const at = html.lastIndexOf('<section', html.indexOf('id="attention-breaches"'));
      return textOf(html.slice(at, html.indexOf('</section>', at)));
    };
    // Maria shows times in UTC: her Monday began at 00:00 UTC, after the first breach.
    const utc = await breaches();
    expect(utc).toMatch(/^SLA breaches today 1 Since 00:00 UTC; the queue is the one responsible when it breached\. C-\d+ Team settings — First response in general \(now in advanced\)/);
    expect(utc).not.toContain('Export is broken');
    // In Berlin Monday began at 23:00 UTC: both are today's.
    await h.services.store.write((q) => q.db.update(q.tables.staff).set({ timeZone: 'Europe/Berlin' }).where(eq(q.tables.staff.id, h.maria.id)));
    const berlin = await breaches();
    expect(berlin).toMatch(/^SLA breaches today 2 Since 00:00 Europe\/Berlin;/);
    expect(berlin).toContain('Team settings — First response in general (now in advanced)');
    expect(berlin).toContain('Export is broken — First response in general (now in advanced)');
  });
});
