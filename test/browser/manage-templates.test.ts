/**
 * Mail templates in Chromium: a manager opens the resolved mail's customer version from the
 * navigation, types a staff-only variable (the live preview lists the problem), fixes it (the
 * preview shows the new wording), saves, and resets; without JavaScript the Preview button
 * renders the preview. axe-core on the pages, no CSP violation, screenshots.
 */
import { describe, expect, it } from 'vitest';
import { expectAccessible, signIn, useBrowserSuite } from './support.js';

const PASSWORD = 'browser test password';

const suite = useBrowserSuite([{ email: 'maria@casebook.test', name: 'Maria Manager', role: 'manager', password: PASSWORD }]);

describe('mail templates in the browser', () => {
  it('edit with a live preview, save, reset', async () => {
    const page = await suite.newPage({ width: 1440 });
    await signIn(page, suite.server, 'maria@casebook.test', PASSWORD);
    await page.getByRole('navigation', { name: 'Workspace' }).getByRole('link', { name: 'Mail templates' }).click();
    await page.waitForURL(/\/manage\/templates$/);
    await expectAccessible(page, '50-manage-templates');

    await page.locator('#edit-case-resolved-customer').click();
    await page.waitForURL(/\/manage\/templates\/case-resolved\/customer$/);
    await expect.poll(() => page.locator('#preview-subject').textContent()).toBe('[C-1042] Resolved: Invoice 2026-03 charged twice');

    const body = page.getByLabel('Text');
    await body.fill('Hi {{customer.firstName}} from {{case.queue}}');
    await page.locator('#template-preview').getByText('{{case.queue}} is for staff only').waitFor();
    await body.fill('Hi {{customer.firstName}},\n\n{{#csat}}\nHappy? {{csat.yesUrl}}\n{{/csat}}\n');
    await expect.poll(() => page.locator('#preview-text').textContent()).toContain('Hi Chloe,');
    expect(await page.locator('#preview-text').textContent()).toContain('/csat/example?answer=yes');
    await expectAccessible(page, '51-manage-template-edit');

    await Promise.all([page.waitForURL(/done=saved/), page.getByRole('button', { name: 'Save' }).click()]);
    await page.getByText('Saved: mails use your wording from now on.').waitFor();
    expect(await page.getByLabel('Text').inputValue()).toBe('Hi {{customer.firstName}},\n\n{{#csat}}\nHappy? {{csat.yesUrl}}\n{{/csat}}\n');

    await Promise.all([page.waitForURL(/done=reset/), page.getByRole('button', { name: 'Reset to the default' }).click()]);
    expect(await page.getByLabel('Subject').inputValue()).toBe('[{{case.id}}] Resolved: {{case.subject}}');
    expect(suite.problems()).toEqual([]);
  });

  it('previews without JavaScript', async () => {
    const page = await suite.newPage({ javaScriptEnabled: false });
    await signIn(page, suite.server, 'maria@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/manage/templates/case-pending/customer`);
    await page.getByLabel('Subject').fill('Your turn: {{case.subject}}');
    await Promise.all([page.waitForURL(/\/preview$/), page.getByRole('button', { name: 'Preview' }).click()]);
    expect(await page.locator('#preview-subject').textContent()).toBe('[C-1042] Your turn: Invoice 2026-03 charged twice');
    // Nothing was saved: the list still says default.
    await page.goto(`${suite.server.url}/manage/templates`);
    expect(await page.locator('#template-case-pending').textContent()).toContain('default');
  });
});
