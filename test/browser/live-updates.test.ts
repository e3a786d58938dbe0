/**
 * The case page while things change, in Chromium against the real server: an agent who
 * escalates a case lands in the inbox with a message saying where it went (no "Page not
 * found" banner over stale buttons, every 5 s); an agent whose case is moved away by
 * someone else is taken there by the live poll (what they were typing shown there to copy); a "Done" message disappears once the case
 * changes again; a refusal names the transition and the state by their labels; a page sent
 * elsewhere sends no more polls (each would start the navigation again); what was typed or
 * chosen in the Actions panel survives the poll, and the answer to a command sent from another form.
 */
import type { Page, Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot, signIn, useBrowserSuite, type Server } from './support.js';

const PASSWORD = 'browser live password';

async function api(server: Server, method: string, url: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await server.api(method, url, body);
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as Record<string, unknown>;
}

async function newCase(server: Server, subject: string): Promise<string> {
  const created = await api(server, 'POST', '/api/v1/cases', { customer: { email: 'chloe@example.com' }, subject, description: `${subject}: please help.` });
  expect(created.queue).toBe('general');
  return String(created.id);
}

const suite = useBrowserSuite([
  { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', password: PASSWORD, queues: ['general'] },
  { email: 'dana@casebook.test', name: 'Dana Diaz', role: 'advanced', password: PASSWORD, queues: ['advanced'] },
  { email: 'chloe@example.com', name: 'Chloe Carter', role: 'customer', password: PASSWORD },
]);

/** How often the case page and the inbox poll (the server's default `pollSeconds`). */
const POLL_MS = 5_000;

/**
 * The agent's page on the case. Its clock is the test's: a poll the test waits for comes when
 * `nextPoll` moves the clock on, not after seconds of real time.
 */
async function agentOn(ref: string): Promise<Page> {
  const page = await suite.newPage({ width: 1280, height: 800 });
  await page.clock.install();
  await signIn(page, suite.server, 'alice@casebook.test', PASSWORD);
  await page.goto(`${suite.server.url}/cases/${ref}`);
  await page.getByRole('heading', { name: 'Why is this case here?' }).waitFor();
  return page;
}

/** Moves the page's clock to its next poll (each poll timer fires once). */
async function nextPoll(page: Page): Promise<void> {
  await page.clock.runFor(POLL_MS);
}

describe('the case page while the case changes', () => {
  it('escalating takes the agent to the inbox, which says where the case went', async () => {
    const ref = await newCase(suite.server, 'Question about my account settings');
    const page = await agentOn(ref);
    await page.getByText('Escalate to advanced support…').click();
    await page.locator('#transition-escalate-reason').fill('Needs someone with database access');
    await Promise.all([page.waitForURL(/\/inbox\?moved=C-\d+$/), page.locator('#transition-escalate-submit').click()]);
    const notice = page.locator('#moved-notice');
    await expect(notice.textContent()).resolves.toContain(`${ref} was escalated to the Advanced queue (tier 2) and is assigned to Dana Diaz. It is no longer in your queues.`);
    await screenshot(page, 'live-01-escalated-to-inbox');
    // The inbox keeps polling; no "not found" ever shows up.
    const polled = page.waitForResponse((r) => r.url().includes('/inbox?') && r.request().headers()['hx-request'] === 'true');
    await nextPoll(page);
    await polled;
    expect(await page.locator('.alert-error').count()).toBe(0);
    expect(suite.problems()).toEqual([]);
  });

  it('when someone else moves the case away, the open page goes to the inbox on the next poll', async () => {
    const ref = await newCase(suite.server, 'Printer settings question');
    const page = await agentOn(ref);
    await api(suite.server, 'POST', `/api/v1/cases/${ref}/assignment`, { queue: 'advanced', reason: 'Specialist topic' });
    await Promise.all([page.waitForURL(/\/inbox\?moved=C-\d+$/), nextPoll(page)]);
    await expect(page.locator('#moved-notice').textContent()).resolves.toContain(`${ref} was escalated to the Advanced queue (tier 2)`);
    expect(await page.locator('.alert-error').count()).toBe(0);
  });

  it('what the agent was typing when someone else moved the case away is shown in the inbox to copy', async () => {
    const ref = await newCase(suite.server, 'Scanner settings question');
    const page = await agentOn(ref);
    await page.getByLabel('Message').pressSequentially('Hello, the scanner needs', { delay: 10 });
    await api(suite.server, 'POST', `/api/v1/cases/${ref}/assignment`, { queue: 'advanced', reason: 'Specialist topic' });
    await Promise.all([page.waitForURL(/\/inbox\?moved=C-\d+$/), nextPoll(page)]);
    await page.locator('#moved-notice').waitFor();
    expect(await page.locator('#moved-unsent').getByLabel('Your reply').inputValue()).toBe('Hello, the scanner needs');
    // Kept until she dismisses it.
    await page.locator('#moved-unsent').getByRole('button', { name: 'Dismiss' }).click();
    await page.reload();
    await page.locator('#moved-notice').waitFor();
    expect(await page.locator('#moved-unsent').count()).toBe(0);
    expect(suite.problems()).toEqual([]);
  });

  it('a page on its way elsewhere sends nothing more: a poll during the navigation would start a second one and abort the first', async () => {
    const ref = await newCase(suite.server, 'Keyboard layout question');
    const page = await agentOn(ref);
    // The inbox never loads here (204: the browser stays on the page), which holds the page in the
    // state a slow inbox leaves it in: sent elsewhere, still showing the case, its timers running.
    let asked!: () => void;
    const inboxAsked = new Promise<void>((resolve) => (asked = resolve));
    await page.route('**/inbox?moved=*', async (route) => {
      asked();
      await route.fulfill({ status: 204 });
    });
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.resourceType() === 'xhr' || request.resourceType() === 'fetch') sent.push(new URL(request.url()).pathname);
    });
    await api(suite.server, 'POST', `/api/v1/cases/${ref}/assignment`, { queue: 'advanced', reason: 'Specialist topic' });
    // The next poll (of the case or of who is on it) learns that the case left: the page is sent to the inbox.
    await nextPoll(page);
    await inboxAsked;
    const sentWhenLeaving = sent.length;
    // Three more polls come due, sent by htmx as its timer sends them: none goes out.
    await page.evaluate(async () => {
      const htmx = (window as unknown as { htmx: { ajax(verb: string, path: string, context: object): Promise<void> } }).htmx;
      const url = document.getElementById('case-poll')!.getAttribute('hx-get')!;
      for (let i = 0; i < 3; i++) await htmx.ajax('GET', url, { swap: 'none' });
    });
    expect(sent.slice(sentWhenLeaving)).toEqual([]);
    await page.unroute('**/inbox?moved=*');
    expect(suite.problems()).toEqual([]);
  });

  it('drops the answers still under way once one has sent the page elsewhere: a second redirect would abort the first navigation', async () => {
    const ref = await newCase(suite.server, 'Mouse double-clicks');
    const page = await agentOn(ref);
    // Two polls under way at once (the case page has two: the case and who is on it), held here
    // and answered one after the other, each with the redirect the server sends once the case has moved.
    const held: Route[] = [];
    await page.route(/[?&]held=\d/, (route) => {
      held.push(route);
    });
    await page.evaluate(() => {
      type Htmx = { location: unknown; ajax(verb: string, path: string, context: object): Promise<void> };
      const w = window as unknown as { htmx: Htmx; went: string[]; answered: Promise<unknown> };
      // Where htmx sends the page, recorded instead of followed (htmx.location is what it assigns to).
      w.went = [];
      w.htmx.location = {
        set href(url: string) {
          w.went.push(url);
        },
        reload() {
          w.went.push('reload');
        },
      };
      const url = document.getElementById('case-poll')!.getAttribute('hx-get')!;
      const join = url.includes('?') ? '&' : '?';
      w.answered = Promise.all(
        [1, 2].map((n) => {
          const source = document.body.appendChild(document.createElement('div'));
          return w.htmx.ajax('GET', `${url}${join}held=${n}`, { source, swap: 'none' });
        }),
      );
    });
    await expect.poll(() => held.length).toBe(2);
    const went = () => page.evaluate(() => (window as unknown as { went: string[] }).went);
    await held[0]!.fulfill({ status: 200, headers: { 'HX-Redirect': `/inbox?moved=${ref}` }, body: '' });
    // The second answer only once the page has acted on the first: two answers delivered
    // together may be handled in either order (the order, not the drop, once failed a loaded run).
    await expect.poll(went).toEqual([`/inbox?moved=${ref}`]);
    await held[1]!.fulfill({ status: 200, headers: { 'HX-Redirect': `/inbox?moved=${ref}&again=1` }, body: '' });
    await page.evaluate(() => (window as unknown as { answered: Promise<unknown> }).answered);
    expect(await went()).toEqual([`/inbox?moved=${ref}`]);
    expect(suite.problems()).toEqual([]);
  });

  it('a "Done" message goes away when the case changes again, and refusals use labels', async () => {
    const ref = await newCase(suite.server, 'Cannot change my display name');
    const page = await agentOn(ref);
    await page.locator('#transition-waitOnCustomer-submit').click();
    const flash = page.locator('#flash');
    await flash.getByText('Done: the case is now Pending customer.').waitFor();
    await screenshot(page, 'live-02-done-message');

    // Someone resumes work elsewhere: the page catches up and the message about "Pending customer" is gone.
    await api(suite.server, 'POST', `/api/v1/cases/${ref}/transitions`, { transition: 'resume' });
    await nextPoll(page);
    await page.locator('#case-header').getByText('Open', { exact: true }).waitFor();
    await page.waitForFunction(() => (document.getElementById('flash')?.textContent ?? '').trim() === '', null);
    await screenshot(page, 'live-03-message-cleared');

    // A button that went stale before the next poll: the refusal speaks in labels.
    await page.route('**/live?**', (route) => route.abort());
    await api(suite.server, 'POST', `/api/v1/cases/${ref}/transitions`, { transition: 'waitOnCustomer' });
    await page.locator('#transition-waitOnCustomer-submit').click();
    const error = flash.locator('.alert-error');
    await error.waitFor();
    const text = (await error.textContent()) ?? '';
    expect(text).toContain('"Wait on customer" is not possible while the case is Pending customer.');
    expect(text).not.toContain('waitOnCustomer');
    expect(text).not.toMatch(/\bpending\b/);
    await screenshot(page, 'live-04-refusal-in-labels');
    await page.unroute('**/live?**');
  });

  it('text typed into the Actions panel survives the live poll: back in its field, or kept to copy when its form is gone', async () => {
    const ref = await newCase(suite.server, 'Monitor flickers at night');
    await api(suite.server, 'POST', `/api/v1/cases/${ref}/transitions`, { transition: 'waitOnCustomer' });
    const page = await agentOn(ref);
    await page.locator('details:has(#transition-resolve) > summary').click();
    await page.locator('#transition-resolve-solution').fill('Lower the refresh rate to 60 Hz.');
    await page.locator('details:has(#transition-escalate) > summary').click();
    await page.locator('#transition-escalate-reason').fill('Hardware team should look');

    // The case moves on (waiting → open): the poll sends the panel again; the text is where it was.
    await api(suite.server, 'POST', `/api/v1/cases/${ref}/transitions`, { transition: 'resume' });
    await nextPoll(page);
    await page.locator('#case-actions form#transition-waitOnCustomer').waitFor();
    await expect(page.locator('#transition-resolve-solution').inputValue()).resolves.toBe('Lower the refresh rate to 60 Hz.');
    await expect(page.locator('#transition-escalate-reason').inputValue()).resolves.toBe('Hardware team should look');
    expect(await page.locator('#actions-kept-text').count()).toBe(0);

    // A colleague resolves it: neither form is offered now; the typed text is kept to copy.
    await api(suite.server, 'POST', `/api/v1/cases/${ref}/transitions`, { transition: 'resolve', solution: 'Replaced the cable.' });
    await nextPoll(page);
    const kept = page.locator('#actions-kept-text');
    await kept.waitFor();
    await expect(kept.textContent()).resolves.toContain('that form is not offered now');
    const values = await kept.locator('textarea').evaluateAll((areas) => areas.map((a) => (a as HTMLTextAreaElement).value));
    expect(values.sort()).toEqual(['Hardware team should look', 'Lower the refresh rate to 60 Hz.']);
    await screenshot(page, 'live-05-typed-text-kept');
    expect(suite.problems()).toEqual([]);
  });

  it('choices made in the Actions panel survive the live poll too: the priority picked is saved, a reassignment made meanwhile is not overridden', async () => {
    const ref = await newCase(suite.server, 'Mouse wheel scrolls backwards');
    await api(suite.server, 'POST', `/api/v1/cases/${ref}/transitions`, { transition: 'waitOnCustomer' });
    const page = await agentOn(ref);
    await page.locator('details:has(#edit-form) > summary').click();
    await page.locator('#edit-priority').selectOption('urgent');
    await page.locator('#edit-tags').fill('hardware');
    await page.locator('details:has(#reassign-form) > summary').click();
    await page.locator('#reassign-assignee').selectOption('auto');

    // The case moves on (waiting → open): the poll sends the panel again, with the choices in it.
    await api(suite.server, 'POST', `/api/v1/cases/${ref}/transitions`, { transition: 'resume' });
    await nextPoll(page);
    await page.locator('#case-actions form#transition-waitOnCustomer').waitFor();
    await expect(page.locator('#edit-priority').inputValue()).resolves.toBe('urgent');
    await expect(page.locator('#edit-tags').inputValue()).resolves.toBe('hardware');
    await expect(page.locator('#reassign-assignee').inputValue()).resolves.toBe('auto');
    await expect(page.locator('details:has(#reassign-form)').getAttribute('open')).resolves.not.toBeNull();

    // Saving applies both: before, the priority went back to normal unnoticed and only the tag was saved.
    await page.locator('#edit-submit').click();
    await page.locator('#flash').getByText('Case updated').waitFor();
    expect(await api(suite.server, 'GET', `/api/v1/cases/${ref}`)).toMatchObject({ priority: 'urgent', tags: ['hardware'] });
    // The choice made in Reassign… survives that save's answer (the whole case page) too.
    await expect(page.locator('#reassign-assignee').inputValue()).resolves.toBe('auto');
    await expect(page.locator('details:has(#reassign-form)').getAttribute('open')).resolves.not.toBeNull();

    // Reassign… carries where the case was when the choice was made: a colleague's reassignment
    // brought in meanwhile is not overridden by the choice put back; the form says where the case is now.
    const res = await suite.server.api('POST', '/api/v1/users', { email: 'gus@casebook.test', name: 'Gus Green', role: 'agent', password: PASSWORD, queues: ['general'] });
    expect(res.status, await res.clone().text()).toBe(201);
    const gus = ((await res.json()) as { id: number }).id;
    await api(suite.server, 'POST', `/api/v1/cases/${ref}/assignment`, { assignee: gus });
    await nextPoll(page);
    await page.locator('#case-header').getByText('Assigned to Gus Green').waitFor();
    await expect(page.locator('#reassign-assignee').inputValue()).resolves.toBe('auto');
    await page.locator('#reassign-submit').click();
    await page.locator('#reassign-form').getByText('it is now in General, assigned to Gus Green').waitFor();
    expect(await api(suite.server, 'GET', `/api/v1/cases/${ref}`)).toMatchObject({ assignee: { name: 'Gus Green' } });
    expect(suite.problems()).toEqual([]);
  });

  it('tags typed into Edit case… survive a colleague’s change brought in by the poll, and saving keeps the colleague’s change', async () => {
    const ref = await newCase(suite.server, 'Keyboard repeats keys');
    await api(suite.server, 'PATCH', `/api/v1/cases/${ref}`, { tags: ['hardware'] });
    const page = await agentOn(ref);
    await page.locator('details:has(#edit-form) > summary').click();
    await page.locator('#edit-tags').fill('hardware, vip');
    // A colleague adds a tag and raises the priority: the poll sends the form again, with Alice's typing back in it.
    await api(suite.server, 'PATCH', `/api/v1/cases/${ref}`, { tags: ['hardware', 'warranty'], priority: 'high' });
    await nextPoll(page);
    await expect.poll(() => page.locator('#edit-priority').inputValue()).toBe('high');
    await expect(page.locator('#edit-tags').inputValue()).resolves.toBe('hardware, vip');
    await page.locator('#edit-submit').click();
    await page.locator('#flash .alert').waitFor();
    const saved = await api(suite.server, 'GET', `/api/v1/cases/${ref}`);
    expect(saved).toMatchObject({ priority: 'high' });
    expect([...(saved.tags as string[])].sort()).toEqual(['hardware', 'vip', 'warranty']);
    expect(suite.problems()).toEqual([]);
  });

  it('text typed into the Actions panel survives a note sent from the composer meanwhile; the form that was sent is not kept', async () => {
    const ref = await newCase(suite.server, 'Printer prints blank pages');
    const page = await agentOn(ref);
    await page.locator('details:has(#transition-resolve) > summary').click();
    await page.locator('#transition-resolve-solution').fill('Replace the toner cartridge.');
    await page.locator('details:has(#edit-form) > summary').click();
    await page.locator('#edit-tags').fill('printer');

    // Before resolving, a note for colleagues: its answer is the whole case page again.
    await page.locator('label[for="composer-visibility-internal"]').click();
    await page.locator('#composer-body').fill('Toner was replaced in March too.');
    await page.getByRole('button', { name: 'Add note', exact: true }).click({ delay: 150 });
    await page.locator('#flash').getByText('Internal note added.').waitFor();
    await expect(page.locator('#case-timeline').textContent()).resolves.toContain('Toner was replaced in March too.');
    await expect(page.locator('#composer-body').inputValue()).resolves.toBe('');
    await expect(page.locator('#transition-resolve-solution').inputValue()).resolves.toBe('Replace the toner cartridge.');
    await expect(page.locator('details:has(#transition-resolve)').getAttribute('open')).resolves.not.toBeNull();
    await expect(page.locator('#edit-tags').inputValue()).resolves.toBe('printer');

    // Resolving sends the solution: it is used, not kept to copy as if its form had gone.
    await page.locator('#transition-resolve-submit').click({ delay: 150 });
    await page.locator('#case-header').getByText('Resolved').first().waitFor();
    expect(await api(suite.server, 'GET', `/api/v1/cases/${ref}`)).toMatchObject({ status: 'resolved' });
    await expect(page.locator('#edit-tags').inputValue()).resolves.toBe('printer');
    expect(await page.locator('#actions-kept-text').count()).toBe(0);
    expect(suite.problems()).toEqual([]);
  });
});
