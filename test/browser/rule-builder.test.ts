/**
 * The rule builder in Chromium, with JavaScript (htmx: each change re-renders the builder
 * in place) and without it (each change is a form post that brings the page back): every
 * shipped ruleset saved unchanged (byte for byte), a nested rule built from nothing, an
 * unknown construct kept intact, a past case kept as an example in one click, and publish
 * refused by a failing example (then overridden with a recorded note). axe-core on the
 * pages, no CSP violation, screenshots at 1280×800 and 390×844 in test-results/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { canonicalJson } from '../../src/definitions/diff.js';
import { ROOT } from '../support/harness.js';
import { expectAccessible, screenshot, signIn, useBrowserSuite, type BrowserSuite, type Server } from './support.js';

const PASSWORD = 'browser test password';
const MARIA = { email: 'maria@casebook.test', name: 'Maria Manager', role: 'manager' as const, password: PASSWORD, queues: ['general'] };
/** Each describe has its own server, so both start from the shipped rulesets. */
let suite: BrowserSuite;

interface Version {
  version: number;
  state: string;
  rules: unknown[];
  examples: unknown[];
  examplesOverride: { note: string } | null;
}

async function version(server: Server, name: string, v?: number): Promise<Version> {
  const res = await server.api('GET', `/api/v1/rulesets/${name}${v ? `?version=${v}` : ''}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Version;
}

async function versions(server: Server, name: string): Promise<{ version: number; state: string }[]> {
  return (await (await server.api('GET', `/api/v1/rulesets/${name}/versions`)).json()) as { version: number; state: string }[];
}

/** The body as rules/<name>.json holds it: what the API answers, in the file's shape. */
function asFile(v: Version, name: string, description: string): string {
  return canonicalJson({ ruleset: name, description, rules: v.rules });
}

async function newCase(body: unknown): Promise<string> {
  const res = await suite.server.api('POST', '/api/v1/cases', body);
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function manager(js: boolean, width = 1280, height = 800): Promise<Page> {
  const page = await suite.newPage({ javaScriptEnabled: js, width, height });
  // Counts htmx swaps that settled, so a test waits for the builder its command brought back.
  await page.addInitScript(() => {
    const w = window as unknown as { settled: number };
    w.settled = 0;
    document.addEventListener('htmx:afterSettle', () => {
      w.settled++;
    });
  });
  await signIn(page, suite.server, 'maria@casebook.test', PASSWORD);
  return page;
}

/** Clicks a builder command and waits for the builder to come back (htmx swap or a new page). */
async function command(page: Page, js: boolean, click: () => Promise<unknown>): Promise<void> {
  if (js) {
    const before = await page.evaluate(() => (window as unknown as { settled: number }).settled);
    await click();
    await page.waitForFunction(
      (b) => (window as unknown as { settled: number }).settled > b && !document.getElementById('builder-form')?.classList.contains('htmx-request'),
      before,
    );
  } else {
    await Promise.all([page.waitForLoadState('load'), page.waitForResponse((r) => r.url().endsWith('/builder')), click()]);
  }
}

async function roundTrip(page: Page, js: boolean, name: string): Promise<void> {
  const before = await versions(suite.server, name);
  await page.goto(`${suite.server.url}/manage/rules/${name}`);
  await Promise.all([page.waitForURL(/\?saved=\d+#builder-panel$/), page.locator('#builder-save').click()]);
  const after = await versions(suite.server, name);
  expect(after.length).toBe(before.length + 1);
  const draft = await version(suite.server, name, after[0]!.version);
  expect(draft.state).toBe('draft');
  const file = fs.readFileSync(path.join(ROOT, 'rules', `${name}.json`), 'utf8');
  const description = (JSON.parse(file) as { description: string }).description;
  expect(asFile(draft, name, description), `${name} after a no-op save (JavaScript ${js ? 'on' : 'off'})`).toBe(file);
  expect(draft.examples).toEqual([]);
}

describe('the rule builder with JavaScript', () => {
  const own = useBrowserSuite([MARIA]);
  beforeAll(() => {
    suite = own;
  });
  it('saves every shipped ruleset unchanged, builds a nested rule from nothing, keeps an unknown construct intact', async () => {
    const page = await manager(true);
    for (const name of ['routing', 'escalation']) await roundTrip(page, true, name);

    await page.goto(`${suite.server.url}/manage/rules/routing`);
    await expectAccessible(page, '60-rule-builder-1280');
    const start = (await version(suite.server, 'routing', (await versions(suite.server, 'routing'))[0]!.version)).rules.length;
    const n = start;
    await command(page, true, () => page.locator('#add-rule').click());
    const card = page.locator(`#rule-card-${n}`);
    await card.waitFor();
    await card.getByLabel(`Rule ${n + 1}: name`).fill('VIP refunds');
    await command(page, true, () => card.getByLabel(`Rule ${n + 1}: name`).press('Tab'));
    // Words as chips: typed, then Enter.
    const words = card.getByLabel(`Rule ${n + 1}, condition 1: value: add (comma separated)`);
    await words.fill('refund, money back');
    await command(page, true, () => words.press('Enter'));
    await card.locator('.chip', { hasText: 'money back' }).waitFor();
    // A group: customer tier is enterprise, or the priority is one of urgent, high.
    await command(page, true, () => card.getByRole('button', { name: `+ Group in the conditions of rule ${n + 1}` }).click());
    await command(page, true, () => card.getByLabel(`Rule ${n + 1}, condition 2.1: field`).selectOption({ label: 'Customer tier' }));
    await command(page, true, () => card.getByLabel(`Rule ${n + 1}, condition 2.1: value`).selectOption('enterprise'));
    await command(page, true, () => card.getByRole('button', { name: `+ Condition in group 2 of rule ${n + 1}` }).click());
    await command(page, true, () => card.getByLabel(`Rule ${n + 1}, condition 2.2: field`).selectOption({ label: 'Priority' }));
    await command(page, true, () => card.getByLabel(`Rule ${n + 1}, condition 2.2: comparison`).selectOption({ label: 'is one of' }));
    const priorities = card.getByLabel(`Rule ${n + 1}, condition 2.2: value: add (comma separated)`);
    await priorities.fill('urgent, high');
    await command(page, true, () => priorities.press('Enter'));
    // Then: add the tag vip.
    await command(page, true, () => card.getByLabel(`Rule ${n + 1}: action`).selectOption({ label: 'add tags' }));
    const tags = card.getByLabel(`Rule ${n + 1}: tags: add (comma separated)`);
    await tags.fill('vip');
    await command(page, true, () => tags.press('Enter'));
    await card.locator('.rule-sentence').getByText('if the subject has any of the words “refund”, “money back” and (the customer\'s tier is enterprise or the priority is urgent or high) → tag it vip').waitFor();
    // The JSON view followed every change.
    expect(await page.locator('#definition-json').inputValue()).toContain('"name": "VIP refunds"');
    await expectAccessible(page, '61-rule-builder-nested-rule-1280');
    await Promise.all([page.waitForURL(/\?saved=\d+#builder-panel$/), page.locator('#builder-save').click()]);
    const saved = await version(suite.server, 'routing', (await versions(suite.server, 'routing'))[0]!.version);
    expect(saved.rules[n]).toEqual({
      name: 'VIP refunds',
      conditions: {
        all: [
          { fact: 'case', path: '$.subject', operator: 'textHasAnyWord', value: ['refund', 'money back'] },
          {
            any: [
              { fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' },
              { fact: 'case', path: '$.priority', operator: 'in', value: ['urgent', 'high'] },
            ],
          },
        ],
      },
      event: { type: 'addTags', params: { tags: ['vip'] } },
    });

    // Keyboard: Alt+↑ moves the new rule up, and the focus goes with it.
    await page.locator(`#rule-${n}-apply`).focus();
    await command(page, true, () => page.keyboard.press('Alt+ArrowUp'));
    expect(await page.locator(`#rule-${n - 1}-title`).textContent()).toContain('VIP refunds');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(`rule-${n - 1}-move-up`);
    // Dragging its heading onto the first rule puts it first (drag events as the browser sends them).
    const drag = (from: string, to: string) =>
      page.evaluate(
        ([f, t]) => {
          const source = document.querySelector(f!)!;
          const target = document.querySelector(t!)!;
          const dataTransfer = new DataTransfer();
          source.dispatchEvent(new DragEvent('dragstart', { bubbles: true, cancelable: true, dataTransfer }));
          target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer }));
          target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer }));
          source.dispatchEvent(new DragEvent('dragend', { bubbles: true, dataTransfer }));
        },
        [from, to],
      );
    await command(page, true, () => drag(`#rule-${n - 1}-title`, '#rule-card-0'));
    expect(await page.locator('#rule-0-title').textContent()).toContain('VIP refunds');
    await command(page, true, () => drag('#rule-0-title', `#rule-card-${n - 1} .rule-meta-fields`));
    expect(await page.locator(`#rule-${n - 1}-title`).textContent()).toContain('VIP refunds');

    // An unknown construct (a comparison with another fact) stays exactly as it is.
    const odd = { fact: 'customer', path: '$.openCases', operator: 'greaterThan', value: { fact: 'case', path: '$.reopenCount' } };
    // The JSON view is the one the last command brought back (the rule in its place), not an older text.
    await page.waitForFunction((i) => (JSON.parse((document.getElementById('definition-json') as HTMLTextAreaElement).value) as { rules: { name: string }[] }).rules[i]?.name === 'VIP refunds', n - 1);
    const json = JSON.parse(await page.locator('#definition-json').inputValue()) as { rules: { conditions: { all: unknown[] } }[] };
    json.rules[n - 1]!.conditions.all.push(odd);
    await page.locator('#definition-json').fill(JSON.stringify(json, null, 2));
    const marked = page.locator(`#rule-card-${n - 1} .json-node`);
    await marked.getByText('shown as JSON').waitFor();
    await screenshot(page, '62-rule-builder-unknown-construct-1280');
    await page.getByLabel(`Rule ${n}: name`).fill('VIP refunds and reopeners');
    await command(page, true, () => page.getByLabel(`Rule ${n}: name`).press('Tab'));
    await Promise.all([page.waitForURL(/\?saved=\d+#builder-panel$/), page.locator('#builder-save').click()]);
    const kept = await version(suite.server, 'routing', (await versions(suite.server, 'routing'))[0]!.version);
    expect((kept.rules[n - 1] as { name: string; conditions: { all: unknown[] } }).conditions.all[2]).toEqual(odd);
    expect((kept.rules[n - 1] as { name: string }).name).toBe('VIP refunds and reopeners');

    const phone = await manager(true, 390, 844);
    await phone.goto(`${suite.server.url}/manage/rules/routing`);
    await expectAccessible(phone, '63-rule-builder-390');
    expect(suite.problems()).toEqual([]);
  }, 180_000);

  it('a field typed and a button clicked at a person\'s pace: the click is not lost to the field\'s own update', async () => {
    // A person holds the button ~100 ms. The press used to move the focus, the field's change
    // post came back and replaced the builder (the button with it) before the release: the
    // command, or Save, silently did nothing.
    const page = await manager(true);
    await page.goto(`${suite.server.url}/manage/rules/routing`);
    const n = (await version(suite.server, 'routing', (await versions(suite.server, 'routing'))[0]!.version)).rules.length;
    await command(page, true, () => page.locator('#add-rule').click());
    const card = page.locator(`#rule-card-${n}`);
    await card.getByLabel(`Rule ${n + 1}: name`).fill('Typed, then a group');
    await command(page, true, () => card.getByRole('button', { name: `+ Group in the conditions of rule ${n + 1}` }).click({ delay: 150 }));
    await expect(card.getByLabel(`Rule ${n + 1}, condition 2.1: field`).count()).resolves.toBe(1);
    await expect(card.getByLabel(`Rule ${n + 1}: name`).inputValue()).resolves.toBe('Typed, then a group');
    // Save, the same way, on a rule that is complete.
    await page.goto(`${suite.server.url}/manage/rules/routing`);
    await page.getByLabel('Rule 1: name').fill('Typed, then saved');
    await Promise.all([page.waitForURL(/\?saved=\d+#builder-panel$/), page.locator('#builder-save').click({ delay: 150 })]);
    const saved = await version(suite.server, 'routing', (await versions(suite.server, 'routing'))[0]!.version);
    expect((saved.rules[0] as { name: string }).name).toBe('Typed, then saved');
    expect(suite.problems()).toEqual([]);
  }, 120_000);

  it('typing on in the next field while the last change is on its way: the builder that comes back keeps what was typed', async () => {
    const page = await manager(true);
    await page.goto(`${suite.server.url}/manage/rules/routing`);
    const priority = page.locator('#f-n-rules-0-priority');
    const before = await priority.inputValue();
    // The answer to the name's change is held until the next field has been typed in.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let answers = 0;
    await page.route('**/manage/rules/routing/builder', async (route) => {
      if (answers++ === 0) await held;
      await route.continue();
    });
    await page.getByLabel('Rule 1: name').fill('Renamed while typing on');
    await page.getByLabel('Rule 1: name').press('Tab');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('f-n-rules-0-priority');
    await page.keyboard.type('42');
    const settled = await page.evaluate(() => (window as unknown as { settled: number }).settled);
    release();
    await page.waitForFunction((b) => (window as unknown as { settled: number }).settled > b && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling'), settled);
    // The name's change came back (the JSON view has it); the number typed since is still there, caret and all.
    expect(await page.locator('#definition-json').inputValue()).toContain('"name": "Renamed while typing on"');
    await expect(priority.inputValue()).resolves.toBe('42');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('f-n-rules-0-priority');
    await page.keyboard.type('7');
    await expect(priority.inputValue()).resolves.toBe('427');
    expect(answers).toBe(1);
    // Leaving the field posts it, once.
    await command(page, true, () => page.keyboard.press('Tab'));
    expect(await page.locator('#definition-json').inputValue()).toMatch(/"priority": 427\b/);
    expect(answers).toBe(2);
    expect(before).not.toBe('427');
    expect(suite.problems()).toEqual([]);
  }, 120_000);

  it('typing in the forms while the JSON view\'s answer is on its way: the forms it brings back keep what was typed', async () => {
    // Typing in the JSON view redraws the forms (out of band, with the problems) 400 ms after
    // the last key; a manager who moved on to a field of the forms meanwhile kept typing there.
    const page = await manager(true);
    await page.goto(`${suite.server.url}/manage/rules/routing`);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let answers = 0;
    await page.route('**/manage/rules/routing/validate', async (route) => {
      answers++;
      await held;
      await route.continue();
    });
    const json = page.locator('#definition-json');
    const text = await json.inputValue();
    const description = (JSON.parse(text) as { description: string }).description;
    await json.fill(text.replace(JSON.stringify(description), JSON.stringify('Typed in the JSON view')));
    await page.waitForFunction(() => document.getElementById('definition-json')?.classList.contains('htmx-request'));
    // The page marks the request at once; the route here counts it once Playwright has handed it over.
    await expect.poll(() => answers).toBe(1);
    const name = page.getByLabel('Rule 2: name');
    await name.click();
    await name.press('End');
    await page.keyboard.type(', typed on');
    const settled = await page.evaluate(() => (window as unknown as { settled: number }).settled);
    release();
    await page.waitForFunction((b) => (window as unknown as { settled: number }).settled > b && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling'), settled);
    // The forms came back from the JSON (their document has the new description); the name typed since is still there, caret and all.
    const doc = JSON.parse(await page.locator('#builder-form input[name="doc"]').inputValue()) as { description: string; rules: { name: string }[] };
    expect(doc.description).toBe('Typed in the JSON view');
    await expect(name.inputValue()).resolves.toBe(`${doc.rules[1]!.name}, typed on`);
    await expect(page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id)).resolves.toBe(await name.evaluate((e) => e.getAttribute('aria-label') ?? e.id));
    await page.keyboard.type('!');
    // Leaving the field posts it: the JSON view follows, with the description typed there kept.
    await command(page, true, () => page.keyboard.press('Tab'));
    const after = JSON.parse(await json.inputValue()) as { description: string; rules: { name: string }[] };
    expect(after.description).toBe('Typed in the JSON view');
    expect(after.rules[1]!.name).toBe(`${doc.rules[1]!.name}, typed on!`);
    expect(suite.problems()).toEqual([]);
  }, 120_000);

  it('keeps a past case as an example in one click; publish is refused while an example fails, then overridden with a note', async () => {
    const ref = await newCase({ customer: { email: 'ann@example.com' }, subject: 'Invoice question', description: 'The invoice total looks wrong' });
    const page = await manager(true);
    await page.goto(`${suite.server.url}/cases/${ref}`);
    await Promise.all([page.waitForURL(/\/manage\/rules\/routing\?saved=\d+#example-0$/), page.locator('#keep-example').getByRole('button', { name: 'routing' }).click()]);
    const example = page.locator('#example-0');
    await example.getByText('passes').first().waitFor();
    await expect(example.getByLabel('Example 1: expected queue').inputValue()).resolves.toBe('billing');
    await expectAccessible(page, '64-rule-builder-example-1280');

    // The expected queue changed to one the rules do not pick: the example fails beside the editor.
    await command(page, true, () => example.getByLabel('Example 1: expected queue').selectOption('technical'));
    await page.locator('#example-results').getByText('1 failing').waitFor();
    await page.locator('#example-0-result').getByText('queue: expected technical, got billing').waitFor();
    await Promise.all([page.waitForURL(/\?saved=\d+#builder-panel$/), page.locator('#builder-save').click()]);
    const draft = (await versions(suite.server, 'routing'))[0]!.version;
    await page.locator('#publish-examples').getByText('1 failing').waitFor();
    await page.getByLabel('Note (why this change)').fill('Keep the invoice example');
    await page.getByRole('button', { name: `Publish v${draft}` }).click();
    await page.locator('#publish-form').getByText(`1 of 1 example of the ruleset "routing" fails: "${ref}: Invoice question" (queue: expected technical, got billing)`, { exact: false }).waitFor();
    expect((await versions(suite.server, 'routing'))[0]!.state).toBe('draft');
    await expectAccessible(page, '65-rule-builder-publish-refused-1280');

    await page.getByLabel('Note (why this change)').fill('Keep the invoice example');
    await page.getByLabel('Publish even though examples fail').check();
    await page.getByLabel('Why publish with failing examples (recorded)').fill('technical takes invoices from next week');
    await Promise.all([page.waitForURL(/\?published=\d+$/), page.getByRole('button', { name: `Publish v${draft}` }).click()]);
    const published = await version(suite.server, 'routing');
    expect(published.examplesOverride?.note).toBe('technical takes invoices from next week');
    await page.locator('#history').getByText('examples overridden').waitFor();
    expect(suite.problems()).toEqual([]);
  }, 120_000);
});

describe('the rule builder without JavaScript', () => {
  const own = useBrowserSuite([MARIA]);
  beforeAll(() => {
    suite = own;
  });
  // axe-core runs inside the page, so it needs JavaScript: the same pages are checked above.
  it('the same: round trip, a rule built with form posts, an example from a past case, publish refused by a failing example', async () => {
    const page = await manager(false);
    for (const name of ['routing', 'escalation']) await roundTrip(page, false, name);

    await page.goto(`${suite.server.url}/manage/rules/routing`);
    const n = (await page.locator('#builder-rules > li.rule-card').count());
    await command(page, false, () => page.locator('#add-rule').click());
    const card = page.locator(`#rule-card-${n}`);
    await card.getByLabel(`Rule ${n + 1}: name`).fill('Chat is urgent');
    await card.getByLabel(`Rule ${n + 1}, condition 1: field`).selectOption({ label: 'Channel' });
    await command(page, false, () => card.getByRole('button', { name: `Apply changes to rule ${n + 1}` }).click());
    // The field changed to a choice: its value is a select now, with the channels.
    await card.getByLabel(`Rule ${n + 1}, condition 1: value`).selectOption('chat');
    await card.getByLabel(`Rule ${n + 1}: action`).selectOption({ label: 'set the priority to' });
    await command(page, false, () => card.getByRole('button', { name: `+ Group in the conditions of rule ${n + 1}` }).click());
    await card.getByLabel(`Rule ${n + 1}, condition 2.1: field`).selectOption({ label: 'Customer tier' });
    await command(page, false, () => card.getByRole('button', { name: `Apply changes to rule ${n + 1}` }).click());
    await card.getByLabel(`Rule ${n + 1}, condition 2.1: value`).selectOption('enterprise');
    await card.getByLabel(`Rule ${n + 1}: priority`).selectOption('urgent');
    await command(page, false, () => card.getByRole('button', { name: `Apply changes to rule ${n + 1}` }).click());
    await card.locator('.rule-sentence').getByText("if the channel is chat and the customer's tier is enterprise → set the priority to urgent").waitFor();
    await screenshot(page, '66-rule-builder-no-js-1280');

    // A past case kept as an example from the builder, by its reference.
    const ref = await newCase({ customer: { email: 'bob@example.com' }, subject: 'Payment failed', description: 'My payment failed at checkout' });
    await page.getByLabel('or keep a past case as an example:').fill(ref);
    await command(page, false, () => page.getByRole('button', { name: 'Add from case' }).click());
    const example = page.locator('.example-card').last();
    await example.getByText('passes').first().waitFor();
    await example.getByLabel(/expected priority/).selectOption('urgent');
    await Promise.all([page.waitForURL(/\?saved=\d+#builder-panel$/), page.locator('#builder-save').click()]);
    const draft = (await versions(suite.server, 'routing'))[0]!.version;
    const saved = await version(suite.server, 'routing', draft);
    expect(saved.rules[n]).toEqual({
      name: 'Chat is urgent',
      conditions: { all: [{ fact: 'case', path: '$.channel', operator: 'equal', value: 'chat' }, { any: [{ fact: 'customer', path: '$.tier', operator: 'equal', value: 'enterprise' }] }] },
      event: { type: 'setPriority', params: { priority: 'urgent' } },
    });
    await page.getByLabel('Note (why this change)').fill('Chat is urgent');
    await page.getByRole('button', { name: `Publish v${draft}` }).click();
    await page.locator('#publish-form').getByText('priority: expected urgent, got normal').first().waitFor();
    expect((await versions(suite.server, 'routing'))[0]!.state).toBe('draft');
    await screenshot(page, '67-rule-builder-no-js-publish-refused-1280');

    const phone = await manager(false, 390, 844);
    await phone.goto(`${suite.server.url}/manage/rules/routing`);
    await screenshot(phone, '68-rule-builder-no-js-390');
    expect(suite.problems()).toEqual([]);
  }, 180_000);
});
