/**
 * Reply drafts in Chromium: a reply typed and left survives a reload (saved by htmx a second
 * after typing stops), a note is drafted apart from it (switching the mode swaps the text),
 * and sending clears the draft it was written in while the other one stays. Send pressed at a
 * person's pace while the draft save's answer comes back is not lost.
 */
import { describe, expect, it } from 'vitest';
import { expectAccessible, holdRequests, signIn, useBrowserSuite, type Server } from './support.js';

const PASSWORD = 'browser test password';
const refs: string[] = [];

const suite = useBrowserSuite(
  [
    { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general'] },
    { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
  ],
  async (server: Server) => {
    const res = await server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject: 'Workspace rename', description: 'How does this work?' });
    expect(res.status).toBe(201);
    refs.push(((await res.json()) as { id: string }).id);
    const second = await server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject: 'Workspace colours', description: 'How do I change them?' });
    refs.push(((await second.json()) as { id: string }).id);
    const third = await server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject: 'Workspace logo', description: 'How do I change the logo?' });
    refs.push(((await third.json()) as { id: string }).id);
    const fourth = await server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject: 'Workspace fonts', description: 'Can I use my own font?' });
    refs.push(((await fourth.json()) as { id: string }).id);
    for (const subject of ['Workspace icons', 'Workspace backups', 'Workspace sounds', 'Workspace archive']) {
      const res = await server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject, description: `${subject}: please help.` });
      refs.push(((await res.json()) as { id: string }).id);
    }
    // Resolved already: what is left is Close, after which the case takes no message.
    for (const ref of [refs[5]!, refs[7]!]) {
      const resolved = await server.api('POST', `/api/v1/cases/${ref}/transitions`, { transition: 'resolve', solution: 'Backups run nightly.' });
      expect(resolved.status, await resolved.clone().text()).toBe(200);
    }
  },
);

/** A new page with Alice signed in, on the case `ref`. */
async function aliceOnCase(ref: string) {
  const page = await suite.newPage({ width: 1280, height: 800 });
  page.setDefaultTimeout(15_000);
  await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
  await page.goto(`${suite.server.url}/cases/${ref}`);
  return page;
}

/**
 * Alice on the resolved case `ref` writes `text` as a note with the file `file` and presses Close
 * at a person's pace. No draft save gets through before Close's answer (they wait for `release`):
 * the case comes back closed, without a composer.
 */
async function closeWithNote(ref: string, text: string, file: string) {
  const page = await aliceOnCase(ref);
  const { release } = await holdRequests(page, `**/cases/${ref}/draft`);
  const message = page.getByLabel('Message');
  await page.locator('label[for="composer-visibility-internal"]').click();
  await message.fill(text);
  await page.locator('#composer-files').setInputFiles({ name: file, mimeType: 'text/plain', buffer: Buffer.from('2026-11-28') });
  await page.locator('#transition-close-submit').click({ delay: 150 });
  await page.locator('#case-header').getByText('Closed').first().waitFor();
  return { page, message, release };
}

describe('reply drafts', () => {
  it('a draft survives a reload, a note is drafted apart, and sending clears the draft', async () => {
    const ref = refs[0]!;
    const page = await aliceOnCase(ref);
    const message = page.getByLabel('Message');

    await message.pressSequentially('Hello Chloe, rename it under Settings');
    await page.locator('#composer-draft-saved').getByText('Draft reply saved').waitFor();
    await expectAccessible(page, '74-composer-draft');
    await page.reload();
    await expect(message.inputValue()).resolves.toBe('Hello Chloe, rename it under Settings');

    // The note has its own draft: switching swaps the text, and back.
    await page.locator('label[for="composer-visibility-internal"]').click();
    await expect(message.inputValue()).resolves.toBe('');
    await message.pressSequentially('Checked: Settings is on the new plan only');
    await page.locator('#composer-draft-saved').getByText('Draft internal note saved').waitFor();
    await page.locator('label[for="composer-visibility-public"]').click();
    await expect(message.inputValue()).resolves.toBe('Hello Chloe, rename it under Settings');
    await page.locator('#composer-draft-saved').getByText('Draft reply saved').waitFor();

    // Both survive a reload: the one last worked on (the reply) opens, the note is one click away.
    await page.reload();
    await expect(message.inputValue()).resolves.toBe('Hello Chloe, rename it under Settings');
    await page.locator('#composer-draft-other').getByText('You also have an unsent internal note on this case').waitFor();
    await page.locator('label[for="composer-visibility-internal"]').click();
    await expect(message.inputValue()).resolves.toBe('Checked: Settings is on the new plan only');
    await page.locator('label[for="composer-visibility-public"]').click();
    await expect(message.inputValue()).resolves.toBe('Hello Chloe, rename it under Settings');

    // Sent: the reply's draft is gone; the note's stays.
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.locator('#flash').getByText('Reply sent.').waitFor();
    await expect(message.inputValue()).resolves.toBe('');
    await page.reload();
    await expect(message.inputValue()).resolves.toBe('Checked: Settings is on the new plan only');
    await page.locator('label[for="composer-visibility-public"]').click();
    await expect(message.inputValue()).resolves.toBe('');
    await page.locator('#composer-draft-other').getByText('You also have an unsent internal note on this case').waitFor();
    await expect(page.locator('#composer-draft-saved').count()).resolves.toBe(0);
  });

  it('Send pressed while the draft save answers is not lost: the drafts line that answer adds no longer moves the button away before the release', async () => {
    const ref = refs[1]!;
    const page = await aliceOnCase(ref);
    // The draft save (a second after typing stops) is held until Send is pressed.
    const { release } = await holdRequests(page, `**/cases/${ref}/draft`);
    const saving = page.waitForRequest((r) => r.url().endsWith(`/cases/${ref}/draft`));
    await page.getByLabel('Message').fill('Colours are under Settings, Appearance.');
    await saving;

    const send = page.getByRole('button', { name: 'Send', exact: true });
    const box = (await send.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    // The answer comes while the button is held: its "Draft reply saved" line is above the button.
    const answered = page.evaluate(() => new Promise<void>((resolve) => document.body.addEventListener('htmx:afterRequest', () => resolve(), { once: true })));
    release();
    await answered;
    await page.mouse.up();
    await page.locator('#flash').getByText('Reply sent.').waitFor();
    await expect(page.locator('#case-timeline').textContent()).resolves.toContain('Colours are under Settings, Appearance.');
    expect(suite.problems()).toEqual([]);
  });

  it('a note typed just before Edit case… is saved stays in the composer, in its mode and with its file', async () => {
    const ref = refs[2]!;
    const page = await aliceOnCase(ref);
    // No draft save gets through before the edit's answer (typing that never paused a second, or a slow save).
    const { release } = await holdRequests(page, `**/cases/${ref}/draft`);
    const message = page.getByLabel('Message');
    await page.locator('label[for="composer-visibility-internal"]').click();
    await message.fill('Called Chloe: she will send the logo as a PNG.');
    await page.locator('#composer-files').setInputFiles({ name: 'call-notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Rue de la Paix 1') });

    await page.locator('summary', { hasText: 'Edit case' }).click();
    await page.locator('#edit-priority').selectOption('high');
    await page.locator('#edit-submit').click();
    await page.locator('#case-header').getByText('high priority').waitFor();
    // Before, the composer came back as the server last saved it: empty, a reply.
    await expect.poll(() => message.inputValue()).toBe('Called Chloe: she will send the logo as a PNG.');
    expect(await page.locator('#composer-visibility-internal').isChecked()).toBe(true);
    expect(await page.locator('#composer-files').evaluate((input: HTMLInputElement) => Array.from(input.files ?? []).map((f) => f.name))).toEqual(['call-notes.txt']);

    // And it is saved as the note's draft from the new composer.
    release();
    await page.locator('#composer-draft-saved').getByText('Draft internal note saved').waitFor();
    await page.unroute(`**/cases/${ref}/draft`);
    await page.reload();
    expect(await message.inputValue()).toBe('Called Chloe: she will send the logo as a PNG.');
    expect(await page.locator('#composer-visibility-internal').isChecked()).toBe(true);
    expect(suite.problems()).toEqual([]);
  });

  it('the same when the answer of Edit case… comes while the mouse is pressed in the composer (the swap waits for the release)', async () => {
    const ref = refs[3]!;
    const page = await aliceOnCase(ref);
    const { release: releaseDrafts } = await holdRequests(page, `**/cases/${ref}/draft`);
    const { release: releaseEdit } = await holdRequests(page, `**/cases/${ref}/edit`);
    const message = page.getByLabel('Message');
    await message.fill('Custom fonts come with the Business plan.');
    await page.locator('summary', { hasText: 'Edit case' }).click();
    await page.locator('#edit-priority').selectOption('high');
    const sent = page.waitForRequest((r) => r.url().endsWith(`/cases/${ref}/edit`));
    await page.locator('#edit-submit').click();
    await sent;
    // The agent goes back to the composer: the answer comes while the mouse is down in it.
    await message.scrollIntoViewIfNeeded();
    const box = (await message.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    const answered = page.evaluate(
      () =>
        new Promise<void>((resolve) =>
          document.addEventListener('htmx:beforeSwap', (e) => {
            if ((e as CustomEvent<{ target: Element }>).detail.target.id === 'case-page') resolve();
          }),
        ),
    );
    releaseEdit();
    await answered;
    await page.mouse.up();
    await page.locator('#case-header').getByText('high priority').waitFor();
    // Before, the page held until the release came without the text (the composer as last saved: empty).
    await expect.poll(() => message.inputValue()).toBe('Custom fonts come with the Business plan.');
    releaseDrafts();
    await page.locator('#composer-draft-saved').getByText('Draft reply saved').waitFor();
    expect(suite.problems()).toEqual([]);
  });

  it('a reply typed just before Resolve is sent stays in the composer of the resolved case', async () => {
    const ref = refs[4]!;
    const page = await aliceOnCase(ref);
    const { release } = await holdRequests(page, `**/cases/${ref}/draft`);
    const message = page.getByLabel('Message');
    await message.fill('The icons come from the theme you chose.');
    await page.locator('details:has(#transition-resolve) > summary').click();
    await page.locator('#transition-resolve-solution').fill('Pick another theme.');
    await page.locator('#transition-resolve-submit').click({ delay: 150 });
    await page.locator('#case-header').getByText('Resolved').first().waitFor();
    await expect.poll(() => message.inputValue()).toBe('The icons come from the theme you chose.');
    release();
    await page.locator('#composer-draft-saved').getByText('Draft reply saved').waitFor();
    expect(suite.problems()).toEqual([]);
  });

  it('a note typed just before Close is saved as the draft and the closed case shows it, in its mode and with its file', async () => {
    const ref = refs[5]!;
    const { page, message, release } = await closeWithNote(ref, 'Chloe asked for a copy of last week’s backup.', 'backup-list.txt');
    // Before, the composer was gone with the text typed since the last save.
    release();
    await expect.poll(() => message.inputValue()).toBe('Chloe asked for a copy of last week’s backup.');
    expect(await page.locator('#composer-visibility-internal').isChecked()).toBe(true);
    expect(await page.locator('#composer-files').evaluate((input: HTMLInputElement) => Array.from(input.files ?? []).map((f) => f.name))).toEqual(['backup-list.txt']);
    await page.locator('#flash').getByText(/closed/i).waitFor();
    await page.unroute(`**/cases/${ref}/draft`);
    await page.reload();
    expect(await message.inputValue()).toBe('Chloe asked for a copy of last week’s backup.');
    expect(await page.locator('#composer-visibility-internal').isChecked()).toBe(true);
    expect(suite.problems()).toEqual([]);
  });

  it('a note typed just before Close keeps its file when the live poll answers while the case comes back with the draft', async () => {
    const ref = refs[7]!;
    const { page, message, release: releaseDrafts } = await closeWithNote(ref, 'Chloe wants the archive from March.', 'archive-list.txt');
    // The draft is saved; the case is asked for again, and its answer waits.
    const caseAgain = await holdRequests(page, new RegExp(`/cases/${ref}\\?mode=`));
    const asked = page.waitForRequest(new RegExp(`/cases/${ref}\\?mode=`));
    releaseDrafts();
    await asked;
    // Meanwhile the live poll answers with the changed parts (out of band; its target is the case
    // page too). Before, that answer's htmx:afterSwap was taken for the case's: the file went into
    // no composer, and the one that came next had the draft's text without it (CI once).
    const polled = page.waitForResponse((r) => r.url().includes(`/cases/${ref}/live`) && r.status() === 200);
    await page.evaluate(() => {
      const poller = document.getElementById('case-poll')!;
      const htmx = (window as unknown as { htmx: { ajax(verb: string, url: string, options: object): Promise<void> } }).htmx;
      void htmx.ajax('GET', poller.getAttribute('hx-get')!.replace(/stamp=[^&]*/, 'stamp=0'), { source: poller, swap: 'none' });
    });
    await polled;
    caseAgain.release();
    await expect.poll(() => message.inputValue()).toBe('Chloe wants the archive from March.');
    expect(await page.locator('#composer-visibility-internal').isChecked()).toBe(true);
    expect(await page.locator('#composer-files').evaluate((input: HTMLInputElement) => Array.from(input.files ?? []).map((f) => f.name))).toEqual(['archive-list.txt']);
    expect(suite.problems()).toEqual([]);
  });

  it('a reply typed just before following a link (Merge…) is saved as the page goes', async () => {
    const ref = refs[6]!;
    const page = await aliceOnCase(ref);
    const message = page.getByLabel('Message');
    await message.fill('Sounds are under Settings, Notifications.');
    // At once, before the save a second after typing stops: before, the words were gone.
    await Promise.all([page.waitForURL(new RegExp(`/cases/${ref}/merge$`)), page.locator('#merge-link').click()]);
    await page.goBack();
    await page.waitForURL(new RegExp(`/cases/${ref}$`));
    await page.reload();
    await expect.poll(() => message.inputValue()).toBe('Sounds are under Settings, Notifications.');
    expect(suite.problems()).toEqual([]);
  });
});
