/**
 * /api/docs in Chromium, on the real server: at a laptop and a phone (390 px) nothing is wider
 * than the screen, no CSP violation or page error, no serious accessibility problem, the
 * operations' anchors and the schema links work. Screenshots: test-results/screenshots/.
 */
import { describe, expect, it } from 'vitest';
import { screenshot, seriousViolations, useBrowserSuite } from './support.js';

const suite = useBrowserSuite([]);

describe('the API reference page', () => {
  for (const size of [
    { name: 'laptop', width: 1280, height: 800 },
    { name: 'phone', width: 390, height: 844 },
  ]) {
    it(`reads at ${size.name} width under the CSP`, async () => {
      const page = await suite.newPage({ width: size.width, height: size.height });
      const res = await page.goto(`${suite.server.url}/api/docs`);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
      await expect.poll(() => page.evaluate(() => getComputedStyle(document.querySelector('.operation')!).borderTopStyle)).toBe('solid');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, 'the page is wider than the screen').toBeLessThanOrEqual(0);
      await expect.poll(() => page.getByRole('heading', { name: /POST \/api\/v1\/cases$/ }).isVisible()).toBe(true);
      await screenshot(page, `api-docs-${size.name}-top`, false);
      // An operation in full: parameters, body with its example, answers.
      await page.goto(`${suite.server.url}/api/docs#patchCasesById`);
      const op = page.locator('#patchCasesById');
      await expect.poll(() => op.getByText('If-Match').first().isVisible()).toBe(true);
      await expect.poll(() => op.locator('pre.example').first().textContent()).toContain('"priority"');
      await screenshot(page, `api-docs-${size.name}-operation`, false);
      await page.locator('#getCasesById').getByRole('link', { name: 'Case', exact: true }).first().click();
      await expect.poll(() => page.evaluate(() => location.hash)).toBe('#schema-Case');
      // axe over the whole reference is slow: once, at the phone size.
      if (size.name === 'phone') expect(await seriousViolations(page), 'serious accessibility violations').toEqual([]);
      expect(suite.problems()).toEqual([]);
    });
  }
});
