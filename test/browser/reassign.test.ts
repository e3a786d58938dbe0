/**
 * The case page's Reassign form in Chromium: a manager assigns a full agent only by ticking
 * "Override capacity" (the timeline says so); an agent moving a case to the tier-2 queue is
 * asked for a reason and the move escalates the case. Checked with axe-core. What the agent was
 * writing in the composer when the move took the case out of their reach is shown in the inbox.
 */
import { describe, expect, it } from 'vitest';
import { expectAccessible, holdRequests, signIn, useBrowserSuite, type Server } from './support.js';

const PASSWORD = 'browser test password';
const refs: string[] = [];

async function user(server: Server, body: Record<string, unknown>): Promise<void> {
  const res = await server.api('POST', '/api/v1/users', { password: PASSWORD, ...body });
  expect(res.status, await res.clone().text()).toBe(201);
}

const suite = useBrowserSuite([], async (server) => {
  await user(server, { email: 'alice@casebook.test', name: 'Alice Archer', role: 'agent', queues: ['general'], capacity: 5 });
  await user(server, { email: 'bob@casebook.test', name: 'Bob Baker', role: 'agent', queues: ['general'], capacity: 1 });
  await user(server, { email: 'dana@casebook.test', name: 'Dana Diaz', role: 'advanced', queues: ['advanced'], capacity: 5 });
  await user(server, { email: 'mia@casebook.test', name: 'Mia Moss', role: 'manager', queues: [] });
  // Alice gets the first and third case, Bob (capacity 1) the second: he is full.
  for (const subject of ['Workspace rename', 'Profile picture', 'Export settings', 'Dashboard layout']) {
    const res = await server.api('POST', '/api/v1/cases', { customer: { email: 'chloe@example.com', name: 'Chloe' }, subject, description: 'How does this work?' });
    expect(res.status).toBe(201);
    refs.push(((await res.json()) as { id: string }).id);
  }
});

describe('reassigning in the browser', () => {
  it('a manager overrides capacity explicitly; an agent escalates by moving to tier 2 with a reason', async () => {
    const manager = await suite.newPage();
    await signIn(manager, suite.server, 'mia@casebook.test', PASSWORD);
    await manager.goto(`${suite.server.url}/cases/${refs[2]}`);
    await manager.locator('summary', { hasText: 'Reassign' }).click();
    const assignee = manager.getByLabel('Assignee (members of general)');
    await assignee.selectOption({ label: 'Bob Baker (1/1, at capacity)' });
    await manager.locator('#reassign-submit').click();
    await manager.locator('#reassign-assignee-error').getByText('Bob Baker is at capacity (1 of 1 open cases)').waitFor();
    await expectAccessible(manager, '50-reassign-capacity-refused');

    await manager.getByLabel('Override capacity').check();
    await manager.getByLabel('Reason (required when moving to a higher tier').fill('Bob knows this customer');
    await manager.locator('#reassign-submit').click();
    await manager.locator('#flash').getByText('Reassigned.').waitFor();
    await manager.locator('#case-timeline').getByText('Assigned to Bob Baker beyond capacity (2 of 1): capacity override by Mia Moss').waitFor();
    await expectAccessible(manager, '51-reassign-capacity-override');

    const agent = await suite.newPage();
    await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
    await agent.goto(`${suite.server.url}/cases/${refs[0]}`);
    await agent.locator('summary', { hasText: 'Reassign' }).click();
    await expect(agent.getByLabel('Override capacity').count()).resolves.toBe(0);
    await agent.getByLabel('Queue').selectOption('advanced');
    await agent.locator('#reassign-submit').click();
    await agent.locator('#reassign-reason-error').waitFor();
    await expectAccessible(agent, '52-reassign-escalation-needs-reason');
    await agent.locator('#reassign-reason').fill('Needs a database fix');
    await agent.locator('#reassign-submit').click();
    // The case left Alice's queues: she is taken to her inbox, told where it went.
    await agent.waitForURL(/\/inbox\?moved=/);
    await agent.locator('#moved-notice').getByText(`${refs[0]} was escalated to the Advanced queue (tier 2)`).waitFor();
    expect(suite.problems()).toEqual([]);
  });

  it('what the agent was writing when their move took the case out of their reach is shown in the inbox to copy, even with a draft save on its way', async () => {
    const ref = refs[3]!;
    const agent = await suite.newPage({ width: 1280, height: 800 });
    await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
    await agent.goto(`${suite.server.url}/cases/${ref}`);
    // Draft saves are held (never answered here): the command goes at once all the same.
    const drafts = await holdRequests(agent, `**/cases/${ref}/draft`);
    // A note first, then the reply (the mode switch saves the note: held too), neither saved.
    const message = agent.getByLabel('Message');
    await agent.locator('label[for="composer-visibility-internal"]').click();
    await message.fill('Customer moved offices in May.');
    await agent.locator('label[for="composer-visibility-public"]').click();
    await expect(message.inputValue()).resolves.toBe('');
    await message.pressSequentially('Dear Chloe, the new address is', { delay: 10 });
    await agent.locator('summary', { hasText: 'Reassign' }).click();
    await agent.getByLabel('Queue').selectOption('advanced');
    await agent.locator('#reassign-reason').fill('Billing system change');
    await agent.locator('#reassign-submit').click({ delay: 150 });
    await agent.waitForURL(/\/inbox\?moved=/);
    await agent.locator('#moved-notice').getByText(`${ref} was escalated to the Advanced queue (tier 2)`).waitFor();
    // Before, both texts were gone: never saved, and the case is not hers to open now.
    const kept = agent.locator('#moved-unsent');
    await kept.getByText(`Not sent: what you were writing on ${ref}.`).waitFor();
    expect(await kept.getByLabel('Your reply').inputValue()).toBe('Dear Chloe, the new address is');
    expect(await kept.getByLabel('Your internal note').inputValue()).toBe('Customer moved offices in May.');
    expect(drafts.asked()).toBeGreaterThan(0);
    await expectAccessible(agent, '53-reassign-left-behind');
    // Kept in this tab: a reload shows it again. Signing out forgets it (Clear-Site-Data: the next person to sign in here must not see it).
    const movedUrl = agent.url();
    await agent.reload();
    await kept.getByLabel('Your reply').waitFor();
    await Promise.all([agent.waitForURL(/\/login/), agent.locator('#sign-out').click()]);
    await signIn(agent, suite.server, 'alice@casebook.test', PASSWORD);
    await agent.goto(movedUrl);
    await agent.locator('#moved-notice').waitFor();
    expect(await kept.count()).toBe(0);
    expect(suite.problems()).toEqual([]);
  });
});
