/**
 * The agent's chat stream is authorized for as long as it runs, not once when it opens: when the
 * case leaves the queues the agent may see, the stream says `gone` and closes before the next
 * visitor line, and a reconnect goes where any request for a case
 * that moved out of sight goes (the inbox, which says where it went): no stream. One sign-in holds
 * at most STAFF_STREAMS streams at once, as a visitor session holds at most VISITOR_STREAMS.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSite, type ChatSite } from '../../src/chat/sites.js';
import { STAFF_STREAMS } from '../../src/http/pages/case-chat.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { deactivateStaff } from '../../src/team/staff-active.js';
import { ADMIN_TOKEN } from '../support/harness.js';
import { setPassword, signedIn, type PageClient } from '../support/pages.js';
import { chatCaller } from './support.js';

const HOST = 'https://shop.example';
let h: Harness;
let site: ChatSite;
let alice: TestActor;
let maria: TestActor;

const call = chatCaller(() => h);

/** Reads a stream until `marker` has arrived and the event after it is complete, or the stream ends. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, marker: string): Promise<{ text: string; done: boolean }> {
  const decoder = new TextDecoder();
  let text = '';
  while (!(text.includes(marker) && text.slice(text.indexOf(marker)).includes('\n\n'))) {
    const chunk = await reader.read();
    if (chunk.done) return { text, done: true };
    text += decoder.decode(chunk.value, { stream: true });
  }
  return { text, done: false };
}

beforeAll(async () => {
  h = createHarness({ services: { channelsKey: parseChannelsKey('77'.repeat(32)) } });
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general'] });
  maria = h.agent({ name: 'Maria', role: 'manager' });
  await h.settled();
  site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue: 'general' });
});
afterAll(() => h.close());

describe("an agent's chat stream", () => {
  it('stops, saying gone, once the case moves to a queue the agent does not work; the visitor\'s next line never reaches them', async () => {
    const res = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, name: 'Vera', email: 'vera@example.com' } });
    const { token } = (await res.json()) as { token: string };
    const ref = ((await (await call('POST', '/chat/api/messages', { token, body: { body: 'Where is my parcel?' } })).json()) as { case: string }).case;
    await h.settled();

    const page = signedIn(h, alice);
    const stream = await page.get(`/cases/${ref}/chat/stream`);
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const first = await readUntil(reader, 'event: message');
    expect(first.text).toContain('Where is my parcel?');

    const moved = await h.api('POST', `/api/v1/cases/${ref}/assignment`, { token: h.tokenFor(maria), body: { queue: 'billing', assignee: null } });
    expect(moved.status).toBe(200);
    expect((await call('POST', '/chat/api/messages', { token, body: { body: 'My card number is 4111' } })).status).toBeLessThan(300);

    const rest = await readUntil(reader, 'event: gone');
    expect(rest.text).toContain('event: gone');
    expect(rest.text).not.toContain('4111');
    expect((await reader.read()).done).toBe(true);
    const again = await page.get(`/cases/${ref}/chat/stream`);
    // As for any case that moved out of sight: to the inbox, which says where it went (no stream).
    expect(again.status).toBe(303);
    expect(again.headers.get('Location')).toBe(`/inbox?moved=${ref}`);
  });
});

describe("an agent's chat stream ends with the sign-in", () => {
  /** A chat in the queue `agent` works, their stream open on it with the first line read. */
  async function watching(email: string) {
    const agent = h.agent({ name: email, email, queues: ['general'] });
    const res = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, name: 'Vera', email: `vera.${email}` } });
    const { token } = (await res.json()) as { token: string };
    const ref = ((await (await call('POST', '/chat/api/messages', { token, body: { body: 'Where is my parcel?' } })).json()) as { case: string }).case;
    await h.settled();
    const page = signedIn(h, agent);
    const stream = await page.get(`/cases/${ref}/chat/stream`);
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    expect((await readUntil(reader, 'event: message')).text).toContain('Where is my parcel?');
    return { agent, page, ref, reader, token };
  }

  const ways: [string, (w: { agent: TestActor; page: PageClient }) => Promise<void>][] = [
    ['signed out', async ({ page }) => void expect((await page.post('/logout', {})).status).toBe(303)],
    [
      'a new password set in another browser',
      async ({ agent }) => {
        await setPassword(h, agent, 'the old password');
        const other = signedIn(h, agent);
        expect((await other.post('/profile/password', { current: 'the old password', next: 'the new password' })).status).toBe(303);
      },
    ],
    ['an admin revoking the access of a compromised account', async ({ agent }) => void expect((await h.api('POST', '/api/v1/users/password-links', { token: ADMIN_TOKEN, body: { email: agent.name, revokeAccess: true } })).status).toBe(201)],
    ['deactivated', async ({ agent }) => void (await deactivateStaff(h.services, agent.id!, maria))],
  ];
  for (const [way, end] of ways) {
    it(`${way}: it says gone before the visitor's next line, which never reaches the window`, async () => {
      const w = await watching(`${way.split(' ').join('-')}@casebook.test`);
      await end(w);
      expect((await call('POST', '/chat/api/messages', { token: w.token, body: { body: 'My card number is 4111' } })).status).toBeLessThan(300);
      const rest = await readUntil(w.reader, 'event: gone');
      expect(rest.text).toContain('event: gone');
      expect(rest.text).not.toContain('4111');
      expect((await w.reader.read()).done).toBe(true);
    });
  }
});

describe("an agent's chat streams, per sign-in", () => {
  it(`are at most ${STAFF_STREAMS} at once: the next is 429, a closed one frees its place, another sign-in has its own`, async () => {
    const res = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, name: 'Tab', email: 'tabs@example.com' } });
    const { token } = (await res.json()) as { token: string };
    const ref = ((await (await call('POST', '/chat/api/messages', { token, body: { body: 'Hello?' } })).json()) as { case: string }).case;
    await h.settled();

    const page = signedIn(h, maria);
    const open = await Promise.all(Array.from({ length: STAFF_STREAMS + 2 }, () => page.get(`/cases/${ref}/chat/stream`)));
    expect(open.map((r) => r.status).sort()).toEqual([...Array<number>(STAFF_STREAMS).fill(200), 429, 429]);
    expect(open.find((r) => r.status === 429)!.headers.get('Retry-After')).toBe('60');
    // Another sign-in (another browser) has places of its own.
    const other = await signedIn(h, maria).get(`/cases/${ref}/chat/stream`);
    expect(other.status).toBe(200);

    const streams = open.filter((r) => r.status === 200);
    const first = streams[0]!.body!.getReader();
    expect((await readUntil(first, 'event: ready')).done).toBe(false);
    await first.cancel(); // the tab went away
    await vi.waitFor(async () => {
      const again = await page.get(`/cases/${ref}/chat/stream`);
      expect(again.status).toBe(200);
      streams[0] = again;
    });
    expect((await page.get(`/cases/${ref}/chat/stream`)).status).toBe(429);

    // A window whose stream fell silent (cut by a proxy; this side cannot tell) connects again
    // naming it, as public/chat-agent.js does: that one is closed and its place is the new one's.
    const silent = streams[1]!.body!.getReader();
    const ready = await readUntil(silent, 'event: ready');
    const id = (JSON.parse(/event: ready\ndata: (.*)/.exec(ready.text)![1]!) as { stream: string }).stream;
    // Another sign-in's window cannot close it: its stream takes a place of its own, this sign-in's are all still held.
    const elsewhere = await signedIn(h, maria).get(`/cases/${ref}/chat/stream?after=0&replaces=${id}`);
    expect(elsewhere.status).toBe(200);
    expect((await page.get(`/cases/${ref}/chat/stream`)).status).toBe(429);
    const replacing = await page.get(`/cases/${ref}/chat/stream?after=0&replaces=${id}`);
    expect(replacing.status).toBe(200);
    expect((await readUntil(silent, 'never sent')).done).toBe(true);
    expect((await page.get(`/cases/${ref}/chat/stream`)).status).toBe(429);
    await silent.cancel();
    for (const s of [...streams.slice(2), streams[0]!, other, elsewhere, replacing]) await s.body!.cancel();
  });
});
