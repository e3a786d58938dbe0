/**
 * A chat case that is closed while its chat is open (docs/chat.md *The end*): the chat ends in
 * the same transaction (`chat.ended`, `by: "closed"`), the visitor's window is told and a
 * message gets CHAT_ENDED (it was a 409 INVALID_TRANSITION into a chat that stayed open).
 * Resolving alone keeps the chat open: the visitor may still answer, which reopens the case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSite, type ChatSite } from '../../src/chat/sites.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { chatCaller } from './support.js';

const HOST = 'https://shop.example';
let h: Harness;
let site: ChatSite;
let alice: TestActor;

const call = chatCaller(() => h);

const transition = (ref: string, body: Record<string, unknown>) => h.api('POST', `/api/v1/cases/${ref}/transitions`, { token: h.tokenFor(alice), body });

beforeAll(async () => {
  h = createHarness({ services: { channelsKey: parseChannelsKey('88'.repeat(32)) } });
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general'] });
  await h.settled();
  site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue: 'general' });
});
afterAll(() => h.close());

describe('closing a chat case', () => {
  it('ends its open chat: the visitor is told, and a message is CHAT_ENDED, not a refused transition', async () => {
    const res = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, name: 'Vera', email: 'vera@example.com' } });
    const { token } = (await res.json()) as { token: string };
    const sent = await call('POST', '/chat/api/messages', { token, body: { body: 'Where is my parcel?' } });
    const ref = ((await sent.json()) as { case: string }).case;

    expect((await transition(ref, { transition: 'resolve', solution: 'It arrives tomorrow.' })).status).toBe(200);
    const session = async () => ((await (await call('GET', '/chat/api/session', { token })).json()) as { session: { state: string; endedBy: string | null }; lines: { author: string; body: string }[] });
    const resolved = await session();
    expect(resolved.session.state).toBe('open'); // resolved: the visitor may still answer, and is told so
    expect(resolved.lines.at(-1)).toMatchObject({ author: 'system', body: 'This request is resolved.\nSolution: It arrives tomorrow.\nWrite here if you still need help.' });
    expect((await transition(ref, { transition: 'close' })).status).toBe(200);

    const after = await session();
    expect(after.session).toMatchObject({ state: 'ended', endedBy: 'closed' });
    expect(after.lines.at(-1)).toMatchObject({ author: 'system', body: 'The chat ended: this request is closed. Start a new chat to write again.' });
    const ended = await h.all<{ data: string | Record<string, unknown> }>("SELECT data FROM case_events WHERE case_id = ? AND type = 'chat.ended'", Number(ref.slice(2)));
    expect(ended.map((e) => (typeof e.data === 'string' ? JSON.parse(e.data) : e.data))).toEqual([{ by: 'closed', name: 'Alice', messages: 2 }]);

    const refused = await call('POST', '/chat/api/messages', { token, body: { body: 'Hello?' } });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { code: string }).code).toBe('CHAT_ENDED');
    const stream = await call('GET', '/chat/api/stream', { token });
    const text = await readUntil(stream, 'event: ended');
    expect(text).toContain('event: ended\ndata: {"by":"closed"}');

    const page = await (await signedIn(h, alice).get(`/cases/${ref}`)).text();
    expect(page).toContain('Ended when the case was closed. Replies from now on are mailed to vera@example.com.');
    expect(page).toContain('The live chat ended after 2 messages: Alice closed the case');
    // The visitor's rating and transcript still work on the ended chat.
    expect((await call('POST', '/chat/api/rating', { token, body: { satisfied: true } })).status).toBe(200);
  });
});

/** Reads a stream until `marker` has arrived and the event after it is complete. */
async function readUntil(res: Response, marker: string): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!(text.includes(marker) && text.slice(text.indexOf(marker)).includes('\n\n'))) {
    const chunk = await reader.read();
    if (chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  await reader.cancel();
  return text;
}
