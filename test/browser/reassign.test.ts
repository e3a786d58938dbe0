/**
 * The case page's Reassign form in Chromium: a manager assigns a full agent only by ticking
 * "Override capacity" (the timeline says so); an agent moving a case to the tier-2 queue is
 * asked for a reason and the move escalates the case. Checked with axe-core.
 */
import { describe, expect, it } from 'vitest';
import { expectAccessible, signIn, useBrowserSuite, type Server } from './support.js';

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
  for (const subject of ['Workspace rename', 'Profile picture', 'Export settings']) {
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
});
