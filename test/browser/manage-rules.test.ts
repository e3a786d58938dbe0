/**
 * The manager console in Chromium: a manager edits the routing ruleset in the browser,
 * sees the validation error with its JSON path while typing, fixes it, saves a draft,
 * dry-runs it over past cases, publishes it with a note; a new case is routed by the new
 * rule, and the agent workspace explains it. The workflow and SLA pages are checked too
 * (diagram, calculator). axe-core on every page (no serious or critical violations), no
 * CSP violation, screenshots in test-results/screenshots/.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectAccessible as accessible, screenshot, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser test password';
let page: Page;

const expectAccessible = (name: string) => accessible(page, name);

async function newCase(body: unknown): Promise<string> {
  const res = await suite.server.api('POST', '/api/v1/cases', body);
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

const suite = useBrowserSuite([{ email: 'maria@casebook.test', name: 'Maria Manager', role: 'manager', password: PASSWORD, queues: ['general'] }]);

beforeAll(async () => {
  page = await suite.newPage({ width: 1440 });
});

describe('manager console in the browser', () => {
  it('edit a routing rule → validation error → fix → draft → dry-run → publish → a new case is routed and explained', async () => {
    // Past cases: two from Acme (billing and general today), one from someone else.
    const acmeInvoice = await newCase({ customer: { email: 'ann@acme.example', organization: 'Acme' }, subject: 'Invoice question', description: 'The invoice total looks wrong' });
    const acmeHello = await newCase({ customer: { email: 'bob@acme.example', organization: 'Acme' }, subject: 'Hello', description: 'How do I export my data?' });
    await newCase({ customer: { email: 'cat@example.com' }, subject: 'Hello', description: 'How do I export my data?' });

    await signIn(page, suite.server, 'maria@casebook.test', PASSWORD);
    await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Rules' }).click();
    await page.waitForURL(/\/manage\/rules$/);
    await page.getByRole('heading', { name: 'Rules', exact: true }).waitFor();
    await expectAccessible('20-manage-rules');

    await page.getByRole('link', { name: 'routing', exact: true }).click();
    await page.waitForURL(/\/manage\/rules\/routing$/);
    await page.getByText('Enterprise customers get premium SLAs', { exact: true }).waitFor();
    await expectAccessible('21-manage-ruleset');

    // Edit: a new first rule, with a queue that does not exist.
    const editor = page.getByLabel('Ruleset routing (JSON)');
    const original = JSON.parse(await editor.inputValue()) as { rules: unknown[] };
    const rule = {
      name: 'Acme goes to technical',
      priority: 50,
      conditions: { all: [{ fact: 'customer', path: '$.organization', operator: 'equal', value: 'Acme' }] },
      event: { type: 'route', params: { queue: 'technicl' } },
    };
    await editor.fill(JSON.stringify({ ...original, rules: [rule, ...original.rules] }, null, 2));
    const problemsList = page.locator('#editor-problems');
    await problemsList.getByText('$.rules[0].event.params.queue').waitFor();
    await expect(problemsList.textContent()).resolves.toContain('unknown queue "technicl"');
    await expectAccessible('22-manage-ruleset-validation-error');

    // Fix it: the problem goes away while typing.
    rule.event.params.queue = 'technical';
    await editor.fill(JSON.stringify({ ...original, rules: [rule, ...original.rules] }, null, 2));
    await problemsList.getByText('No problems found.').waitFor();
    await page.getByLabel('Note for this draft (optional)').fill('Acme is handled by technical');
    await Promise.all([page.waitForURL(/\?saved=2#draft$/), page.getByRole('button', { name: 'Save draft' }).click()]);
    await page.getByText('Draft v2 saved.').waitFor();
    await page.locator('#draft-diff').getByText('"name": "Acme goes to technical",').waitFor();

    // Dry-run over the last cases: exactly the two Acme cases change, progress then results.
    await page.getByLabel('How many (most recent)').fill('100');
    await page.getByRole('button', { name: 'Run the dry-run' }).click();
    const heading = page.locator('#dry-run-heading');
    await heading.waitFor();
    expect(await heading.textContent()).toBe('Dry-run of draft v2: 2 cases of 3 would change');
    const changed = await page.locator('#dry-run-cases tbody .cell-ref a').allTextContents();
    expect(changed.sort()).toEqual([acmeInvoice, acmeHello].sort());
    await page.locator('#dry-run-cases').getByText('billing', { exact: true }).waitFor();
    await expectAccessible('23-manage-ruleset-draft-dry-run');

    // Publish with a note.
    await page.getByLabel('Note (why this change)').fill('Acme asked for technical support on every request');
    await Promise.all([page.waitForURL(/\?published=3$/), page.getByRole('button', { name: 'Publish v2' }).click()]);
    await page.getByText('Published v3 (draft v2).').waitFor();
    await page.locator('#history').getByText('Acme asked for technical support on every request').waitFor();
    await expectAccessible('24-manage-ruleset-published');

    // A new Acme case is routed by the new rule, and the workspace says why.
    const fresh = await newCase({ customer: { email: 'dan@acme.example', organization: 'Acme' }, subject: 'Hello', description: 'Where is the export button?' });
    await page.goto(`${suite.server.url}/cases/${fresh}`);
    const why = page.locator('#case-why');
    await why.waitFor();
    // Routed to technical; matching no known problem, the escalation rules move it on to advanced support.
    await why.getByText('Advanced (tier 2)', { exact: true }).waitFor();
    await why.getByText(/^To Advanced \(tier 2\): Technical problem/).waitFor();
    await why.getByText('routing ruleset, version 3').waitFor();
    await why.getByText('Acme goes to technical').waitFor();
    await screenshot(page, '25-case-routed-by-new-rule');

    expect(suite.problems()).toEqual([]);
  }, 120_000);

  it('the workflow diagram and the SLA calculator', async () => {
    await page.goto(`${suite.server.url}/manage/workflows`);
    await expectAccessible('26-manage-workflows');
    await page.getByRole('link', { name: 'support', exact: true }).click();
    const diagram = page.locator('#workflow-diagram');
    await diagram.waitFor();
    expect(await diagram.locator('[data-state]').count()).toBe(6);
    await expectAccessible('27-manage-workflow');

    await page.goto(`${suite.server.url}/manage/sla`);
    await page.getByLabel('Created at').fill('2026-03-06T16:30');
    await page.getByLabel('Priority').selectOption('high');
    await page.getByRole('button', { name: 'Calculate the due time' }).click();
    await page.locator('#calc-due').getByText('Mon 9 Mar 2026, 10:30').waitFor();
    await page.getByRole('button', { name: 'Preview the changes' }).click();
    await page.locator('#reapply-preview').getByText('0 open cases would move').waitFor();
    await expectAccessible('28-manage-sla');
    expect(suite.problems()).toEqual([]);
  });
});
