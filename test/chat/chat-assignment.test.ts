/**
 * Live chats and agents' chat limits (docs/chat.md *Capacity*): when a chat ends, the agent's
 * slot goes to the chat that has waited longest in their queues (not to the next new one), and a
 * live chat is transferred to an agent at their chat limit only by a manager's explicit override.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendMessage } from '../../src/cases/send-message.js';
import { createSite, type ChatSite } from '../../src/chat/sites.js';
import { runChatSweep } from '../../src/chat/sweep.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { chatCaller } from './support.js';

const HOST = 'https://shop.example';
let h: Harness;
let site: ChatSite;

const call = chatCaller(() => h);

/** A visitor's chat with a first message: its token and case id. */
async function chat(email: string, text = 'Hello, a question about my order'): Promise<{ token: string; id: number }> {
  const res = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, name: email.split('@')[0], email } });
  expect(res.status).toBe(201);
  const { token } = (await res.json()) as { token: string };
  const sent = await call('POST', '/chat/api/messages', { token, body: { body: text } });
  expect(sent.status).toBe(201);
  return { token, id: Number(((await sent.json()) as { case: string }).case.slice(2)) };
}

const assignee = async (id: number) => (await h.get<{ assignee_id: number | null }>('SELECT assignee_id FROM cases WHERE id = ?', id))!.assignee_id;
const setChatLimit = (staff: TestActor, limit: number) => h.run('UPDATE staff SET chat_limit = ? WHERE id = ?', limit, staff.id);

beforeAll(async () => {
  h = createHarness({ services: { channelsKey: parseChannelsKey('77'.repeat(32)) } });
  standardQueues(h);
  await h.settled();
  site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue: 'general' });
});
afterAll(() => h.close());

describe('a chat slot freed', () => {
  it('goes to the chat waiting longest when a chat ends (by the visitor or by inactivity), before a newer one', async () => {
    const alice = h.agent({ name: 'Alice', queues: ['general'] });
    await setChatLimit(alice, 1);
    const a = await chat('ann@example.com');
    expect(await assignee(a.id)).toBe(alice.id);
    h.clock.advance(1_000);
    const b = await chat('ben@example.com');
    h.clock.advance(1_000);
    const c = await chat('cat@example.com');
    expect([await assignee(b.id), await assignee(c.id)]).toEqual([null, null]); // both wait for Alice's one slot

    // Ann ends her chat: Ben, who waited longest, is Alice's, assigned by the system; Cat still waits.
    expect((await call('POST', '/chat/api/end', { token: a.token })).status).toBe(200);
    expect(await assignee(b.id)).toBe(alice.id);
    expect(await assignee(c.id)).toBeNull();
    const assigned = (await h.get<{ actor_type: string; data: string | Record<string, unknown> }>("SELECT actor_type, data FROM case_events WHERE case_id = ? AND type = 'case.assigned'", b.id))!;
    expect(assigned.actor_type).toBe('system');
    expect(typeof assigned.data === 'string' ? JSON.parse(assigned.data) : assigned.data).toMatchObject({ assigneeId: alice.id, reason: 'capacity freed' });

    // Alice answers Ben, who goes quiet: his chat ends by inactivity and Cat is next. Cat, waiting
    // for an agent all along, is not inactive however long she waits.
    await sendMessage(h.services, b.id, { body: 'Which order is it?', public: true }, alice);
    await call('POST', '/chat/api/messages', { token: c.token, body: { body: 'Still there?' } });
    h.clock.advance(15 * 60_000);
    expect((await runChatSweep(h.services)).ended).toBe(1); // Ben's, not Cat's
    expect(await assignee(c.id)).toBe(alice.id);
    await h.run('UPDATE staff SET available = FALSE WHERE id = ?', alice.id);
  });
});

describe('transferring a live chat', () => {
  it('to an agent at their chat limit is refused (CAPACITY_EXCEEDED) unless a manager overrides it; an ended chat is a case like any other', async () => {
    const bob = h.agent({ name: 'Bob', queues: ['general'] });
    const carl = h.agent({ name: 'Carl', queues: ['general'] });
    const maria = h.agent({ name: 'Maria', role: 'manager', queues: ['general'] });
    await h.run('UPDATE staff SET available = FALSE WHERE id = ?', maria.id);
    await setChatLimit(bob, 1);
    await setChatLimit(carl, 1);
    const first = await chat('dan@example.com');
    const second = await chat('eve@example.com');
    const onBob = (await assignee(first.id)) === bob.id ? first : second;
    const onCarl = onBob === first ? second : first;
    expect([await assignee(onBob.id), await assignee(onCarl.id)]).toEqual([bob.id, carl.id]);

    const refused = await h.api('POST', `/api/v1/cases/C-${onCarl.id}/assignment`, { token: h.tokenFor(carl), body: { assignee: bob.id } });
    expect(refused.status).toBe(409);
    const problem = (await refused.json()) as { code: string; detail: string };
    expect(problem).toMatchObject({ code: 'CAPACITY_EXCEEDED', detail: 'Bob is at their chat limit (1 of 1 live chats); only a manager can assign beyond it.' });
    expect(await assignee(onCarl.id)).toBe(carl.id);

    const asked = await h.api('POST', `/api/v1/cases/C-${onCarl.id}/assignment`, { token: h.tokenFor(maria), body: { assignee: bob.id } });
    expect(asked.status).toBe(409);
    expect(((await asked.json()) as { detail: string }).detail).toContain('choose "override capacity" to assign anyway');
    const forced = await h.api('POST', `/api/v1/cases/C-${onCarl.id}/assignment`, { token: h.tokenFor(maria), body: { assignee: bob.id, overrideCapacity: true } });
    expect(forced.status).toBe(200);
    const entry = (await h.get<{ data: string | Record<string, unknown> }>("SELECT data FROM case_events WHERE case_id = ? AND type = 'case.assigned' ORDER BY id DESC LIMIT 1", onCarl.id))!;
    expect((typeof entry.data === 'string' ? JSON.parse(entry.data) : entry.data).capacityOverride).toMatchObject({ by: 'Maria', chats: 2, chatLimit: 1 });
    const page = await signedIn(h, maria).get(`/cases/C-${onCarl.id}`);
    expect(await page.text()).toContain('Assigned to Bob beyond the chat limit (2 of 1 live chats): capacity override by Maria');

    // Once its chat has ended, the case moves like any other: the chat limit is about live chats.
    expect((await call('POST', '/chat/api/end', { token: onBob.token })).status).toBe(200);
    await h.run('UPDATE staff SET chat_limit = 0 WHERE id = ?', carl.id);
    const back = await h.api('POST', `/api/v1/cases/C-${onBob.id}/assignment`, { token: h.tokenFor(bob), body: { assignee: carl.id } });
    expect(back.status).toBe(200);
  });
});
