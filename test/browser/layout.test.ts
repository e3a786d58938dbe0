/**
 * Every main page at a laptop (1280×800) and a phone (390×844) in Chromium: nothing wider
 * than the screen, no table cell that breaks a word in the middle ("Subscript ion"), on a phone
 * no navigation strip stretched over empty space above a short page, the
 * workflow diagram's and the report charts' text at 12 px or more, and on a phone the
 * inbox's SLA on screen.
 * With CASEBOOK_SCREENSHOTS=1, screenshots of each page at each size land in
 * /tmp/casebook-layout/ (and in test-results/screenshots/).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SAVE_SCREENSHOTS, SCREENSHOTS, seriousViolations, signIn, useBrowserSuite, type Server } from './support.js';

const PASSWORD = 'browser layout password';
const SHOTS = '/tmp/casebook-layout';
const SIZES = [
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

async function api(server: Server, method: string, url: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await server.api(method, url, body);
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as Record<string, unknown>;
}

let busyCase = '';
let reportId = '';
let agentCase = '';
const suite = useBrowserSuite(
  [
    { email: 'maria@casebook.test', name: 'Maria Manager', role: 'manager', password: PASSWORD },
    { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general', 'billing', 'technical'] },
    { email: 'dana@casebook.test', name: 'Dana Diaz', role: 'advanced', password: PASSWORD, queues: ['advanced'] },
    { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
  ],
  async (server) => {
    // Cases old enough to be breached (long SLA labels), one waiting on the customer, one escalated by the rules (an outage).
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const subjects = [
      'Charged twice for my Subscription renewal, please refund the second payment',
      'Production is down: API returns 500 on every request since this morning',
      'How do I export my data?',
    ];
    const ids: string[] = [];
    for (const subject of subjects) {
      const created = await api(server, 'POST', '/api/v1/cases', {
        customer: { email: 'chloe@example.com' },
        subject,
        description: `${subject}. Since the last update nothing works as described in the documentation.`,
        createdAt: threeDaysAgo,
      });
      ids.push(String(created.id));
    }
    busyCase = ids[0]!;
    await api(server, 'POST', '/api/v1/sla/sweep');
    await api(server, 'POST', `/api/v1/cases/${ids[2]!}/messages`, { body: 'Which format do you need?', public: true });
    await api(server, 'POST', `/api/v1/cases/${ids[2]!}/transitions`, { transition: 'waitOnCustomer' });
    // The breaches escalate those to advanced support; the agent's page needs a fresh one in tier 1.
    const fresh = await api(server, 'POST', '/api/v1/cases', {
      customer: { email: 'chloe@example.com' },
      subject: 'Invoice address on my Subscription is wrong after the renewal',
      description: 'The invoice shows my old address. Please correct it and send the invoice again.',
    });
    agentCase = String(fresh.id);
    const report = await api(server, 'POST', '/api/v1/reports', { from: threeDaysAgo, to: new Date().toISOString() });
    reportId = String(report.id);
  },
);

interface Measured {
  scrollWidth: number;
  viewport: number;
  overflowing: string[];
  brokenWords: string[];
  breakingCells: string[];
  smallestDiagramText: number | null;
  diagramTexts: number;
  smallestChartText: number | null;
  /** Empty space at the bottom of the navigation (on a phone a strip above the page: it must not stretch). */
  navSlack: number;
}

/** What the checks need, measured in the page. */
function measure(page: Page): Promise<Measured> {
  return page.evaluate(() => {
    const viewport = window.innerWidth;
    const overflowing: string[] = [];
    for (const el of Array.from(document.querySelectorAll('main *, header *, nav *'))) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > viewport + 0.5 && !el.closest('.table-wrap, .diagram, .code-block, .diff-wrap')) {
        overflowing.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${String(el.getAttribute('class') ?? '')} → ${Math.round(r.right)}px`);
      }
    }
    // A word split over two lines has two client rects. Hyphens and slashes may break.
    const brokenWords: string[] = [];
    const breakingCells: string[] = [];
    const range = document.createRange();
    for (const cell of Array.from(document.querySelectorAll('td, th'))) {
      const style = getComputedStyle(cell);
      if (style.overflowWrap === 'anywhere' || style.wordBreak === 'break-all' || style.wordBreak === 'break-word') {
        breakingCells.push(`${cell.tagName.toLowerCase()} "${(cell.textContent ?? '').trim().slice(0, 30)}": overflow-wrap ${style.overflowWrap}, word-break ${style.wordBreak}`);
      }
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode() as Text | null; node; node = walker.nextNode() as Text | null) {
        const words = /[^\s\-/–—]+/g;
        for (let m = words.exec(node.data); m; m = words.exec(node.data)) {
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const lines = new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (lines.size > 1) brokenWords.push(m[0]);
        }
      }
    }
    const rendered = (selector: string) =>
      (Array.from(document.querySelectorAll(selector)) as SVGTextElement[]).map((t) => parseFloat(getComputedStyle(t).fontSize) * (t.getScreenCTM()?.a ?? 1));
    const sizes = rendered('#workflow-diagram text');
    const chartSizes = rendered('svg.chart text');
    const nav = document.querySelector('.shell > nav');
    const navBottom = nav?.lastElementChild ? nav.lastElementChild.getBoundingClientRect().bottom + parseFloat(getComputedStyle(nav).paddingBottom) : 0;
    return {
      navSlack: nav ? Math.round(nav.getBoundingClientRect().bottom - navBottom) : 0,
      scrollWidth: document.scrollingElement!.scrollWidth,
      viewport,
      overflowing: overflowing.slice(0, 8),
      brokenWords: [...new Set(brokenWords)],
      breakingCells: breakingCells.slice(0, 8),
      smallestDiagramText: sizes.length ? Math.min(...sizes) : null,
      diagramTexts: sizes.length,
      smallestChartText: chartSizes.length ? Math.min(...chartSizes) : null,
    };
  });
}

async function shoot(page: Page, name: string): Promise<void> {
  if (!SAVE_SCREENSHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  fs.copyFileSync(path.join(SHOTS, `${name}.png`), path.join(SCREENSHOTS, `layout-${name}.png`));
}

const PAGES: { who: string; name: string; url: () => string }[] = [
  { who: 'alice@casebook.test', name: 'inbox-agent', url: () => '/inbox?view=queues' },
  { who: 'alice@casebook.test', name: 'case-agent', url: () => `/cases/${agentCase}` },
  { who: 'maria@casebook.test', name: 'inbox-manager', url: () => '/inbox?view=all' },
  { who: 'maria@casebook.test', name: 'case-manager', url: () => `/cases/${busyCase}` },
  { who: 'maria@casebook.test', name: 'manage-home', url: () => '/manage' },
  { who: 'maria@casebook.test', name: 'team', url: () => '/manage/team' },
  { who: 'maria@casebook.test', name: 'rules-history', url: () => '/manage/rules/routing' },
  { who: 'maria@casebook.test', name: 'sla-history', url: () => '/manage/sla' },
  { who: 'maria@casebook.test', name: 'problems', url: () => '/manage/team/problems' },
  { who: 'maria@casebook.test', name: 'reports', url: () => '/manage/reports' },
  { who: 'maria@casebook.test', name: 'sla-reports', url: () => '/manage/reports/sla' },
  { who: 'maria@casebook.test', name: 'sla-report', url: () => `/manage/reports/sla/${reportId}` },
  { who: 'maria@casebook.test', name: 'workflow-diagram', url: () => '/manage/workflows/support' },
  { who: 'chloe@example.com', name: 'portal', url: () => '/portal' },
  { who: 'chloe@example.com', name: 'portal-case', url: () => `/cases/${busyCase}` },
  { who: 'alice@casebook.test', name: 'search-agent', url: () => '/search?q=invoice' },
  { who: 'maria@casebook.test', name: 'search-manager', url: () => '/search?q=chloe' },
  { who: 'chloe@example.com', name: 'search-portal', url: () => '/search?q=subscription' },
  { who: 'chloe@example.com', name: 'search-portal-none', url: () => '/search?q=nothingmatchesthis' },
];

describe('page layout at 1280×800 and 390×844', () => {
  for (const size of SIZES) {
    it(`every main page fits a ${size.name} screen (${size.width}×${size.height})`, async () => {
      const pages = new Map<string, Page>();
      const failures: string[] = [];
      for (const p of PAGES) {
        let page = pages.get(p.who);
        if (!page) {
          page = await suite.newPage({ width: size.width, height: size.height });
          await signIn(page, suite.server, p.who, PASSWORD);
          pages.set(p.who, page);
        }
        const res = await page.goto(`${suite.server.url}${p.url()}`);
        expect(res?.status(), `${p.name}: ${p.url()}`).toBe(200);
        await shoot(page, `${p.name}-${size.width}`);
        const m = await measure(page);
        const where = `${p.name} at ${size.width}px`;
        if (m.scrollWidth > m.viewport) failures.push(`${where}: page is ${m.scrollWidth}px wide: ${m.overflowing.join('; ')}`);
        if (size.name === 'phone' && m.navSlack > 24) failures.push(`${where}: the navigation strip has ${m.navSlack}px of empty space below its links`);
        if (m.brokenWords.length > 0) failures.push(`${where}: words broken in table cells: ${m.brokenWords.join(', ')}`);
        if (m.breakingCells.length > 0) failures.push(`${where}: cells that may break inside words: ${m.breakingCells.join('; ')}`);
        if (p.name === 'workflow-diagram') {
          expect(m.diagramTexts, where).toBeGreaterThan(10);
          if (m.smallestDiagramText! < 11.95) failures.push(`${where}: diagram text is ${m.smallestDiagramText!.toFixed(1)}px`);
        }
        if (m.smallestChartText !== null && m.smallestChartText < 11.95) failures.push(`${where}: chart text is ${m.smallestChartText.toFixed(1)}px`);
      }
      expect(failures).toEqual([]);
      expect(suite.problems()).toEqual([]);
    }, 120_000);
  }

  it('on a phone the inbox shows each case as a card with its SLA on screen', async () => {
    const page = await suite.newPage({ width: 390, height: 844 });
    await signIn(page, suite.server, 'maria@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/inbox?view=all`);
    const slaCells = page.locator('#inbox-results td[data-label="SLA"]');
    expect(await slaCells.count()).toBeGreaterThan(0);
    for (const box of await slaCells.evaluateAll((cells) => cells.map((c) => c.getBoundingClientRect().toJSON() as DOMRect))) {
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.right).toBeLessThanOrEqual(390);
    }
    await expect(page.locator('#inbox-results td[data-label="SLA"]').first().textContent()).resolves.toMatch(/Breached|At risk|On time|Paused/);
    // the cards are still a table to assistive technology: no serious accessibility problem
    expect(await seriousViolations(page)).toEqual([]);
    await page.goto(`${suite.server.url}/manage`);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('Chromium gets compressed scripts and styles, and the page has an icon', async () => {
    const page = await suite.newPage({ width: 1280, height: 800 });
    const assets = new Map<string, string>();
    page.on('response', (r) => {
      if (r.url().includes('/assets/')) assets.set(new URL(r.url()).pathname, r.headers()['content-encoding'] ?? 'none');
    });
    await page.goto(`${suite.server.url}/login`);
    await page.waitForLoadState('load');
    expect(assets.get('/assets/htmx.min.js')).toMatch(/^(br|gzip)$/);
    expect(assets.get('/assets/app.css')).toMatch(/^(br|gzip)$/);
    const icon = await page.evaluate(async () => {
      const links = Array.from(document.querySelectorAll('link[rel="icon"]')).map((l) => (l as HTMLLinkElement).href);
      const answers = await Promise.all(links.map(async (href) => (await fetch(href)).headers.get('content-type')));
      return answers;
    });
    expect(icon).toEqual(['image/x-icon', 'image/svg+xml']);
  });

  it('the case page keeps the SLA badges inside the "why" panel at 1280 px', async () => {
    const page = await suite.newPage({ width: 1280, height: 800 });
    await signIn(page, suite.server, 'maria@casebook.test', PASSWORD);
    await page.goto(`${suite.server.url}/cases/${busyCase}`);
    const { panel, badges } = await page.evaluate(() => {
      const why = document.getElementById('case-why')!;
      return {
        panel: why.getBoundingClientRect().toJSON() as DOMRect,
        badges: Array.from(why.querySelectorAll('.badge')).map((b) => b.getBoundingClientRect().toJSON() as DOMRect),
      };
    });
    expect(badges.length).toBeGreaterThan(0);
    for (const b of badges) expect(b.right).toBeLessThanOrEqual(panel.right);
  });
});
