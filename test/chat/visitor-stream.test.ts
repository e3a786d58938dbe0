/**
 * The visitor's SSE stream as an attacker would use it: one anonymous token may not hold an
 * unbounded number of streams (each a connection and a read of the chat on every signal), and a
 * stream open when the site is switched off, or its origin removed, stops instead of streaming
 * the agents' replies on (the agent's stream: agent-stream-access.test.ts). And its heartbeat
 * goes out whenever it has been quiet that long, however often the listener's own typing wakes it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { sendMessage } from '../../src/cases/send-message.js';
import { createSite, updateSite, type ChatSite } from '../../src/chat/sites.js';
import { VISITOR_STREAMS } from '../../src/http/chat/visitor.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { chatCaller } from './support.js';

const HOST = 'https://shop.example';
let h: Harness;
let agent: TestActor;
const call = chatCaller(() => h);

async function newSite(): Promise<ChatSite> {
  return createSite(h.services, { name: 'Shop', origins: HOST, greeting: 'Hi!', calendar: '', queue: 'general' });
}

async function start(site: ChatSite, email: string): Promise<string> {
  const res = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, name: 'Vic', email } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

interface SseEvent {
  event: string;
  data: string;
}

/** A stream's events, read as far as asked: `until` reads on until an event matches (or the stream ends) and answers every event so far. */
function sse(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const seen: SseEvent[] = [];
  let buffer = '';
  return {
    async until(match: (e: SseEvent) => boolean): Promise<SseEvent[]> {
      if (seen.some(match)) return seen;
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return seen;
        buffer += decoder.decode(chunk.value, { stream: true });
        const parts = buffer.split('\n\n');
        buffer = parts.pop()!;
        let found = false;
        for (const part of parts) {
          const lines = part.split('\n').filter((l) => !l.startsWith(':'));
          if (lines.length === 0) continue;
          const field = (name: string) => lines.find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1).trim() ?? '';
          seen.push({ event: field('event') || 'message', data: field('data') });
          found ||= match(seen.at(-1)!);
        }
        if (found) return seen;
      }
    },
    close: () => reader.cancel(),
  };
}

const body = (e: SseEvent) => (e.event === 'message' ? (JSON.parse(e.data) as { body: string }).body : null);

beforeAll(() => {
  h = createHarness({ services: { channelsKey: parseChannelsKey('45'.repeat(32)) } });
  standardQueues(h);
  agent = h.agent({ name: 'Alice', queues: ['general'] });
});
afterAll(() => h.close());

describe('the visitor stream', () => {
  it(`holds at most ${VISITOR_STREAMS} streams per visitor at once: the next is 429 (the window polls), a closed one frees its place`, async () => {
    const site = await newSite();
    const token = await start(site, 'tabs@example.com');
    const open = await Promise.all(Array.from({ length: VISITOR_STREAMS + 3 }, () => Promise.resolve(call('GET', '/chat/api/stream', { token }))));
    expect(open.map((r) => r.status).sort()).toEqual([...Array<number>(VISITOR_STREAMS).fill(200), 429, 429, 429]);
    const refused = open.find((r) => r.status === 429)!;
    expect(refused.headers.get('Retry-After')).toBe('60');
    // Polling still works for the refused window.
    expect((await call('GET', '/chat/api/messages', { token })).status).toBe(200);
    // Another visitor is not affected.
    expect((await call('GET', '/chat/api/stream', { token: await start(site, 'other@example.com') })).status).toBe(200);

    const streams = open.filter((r) => r.status === 200);
    const first = sse(streams[0]!);
    await first.until((e) => e.event === 'ready');
    await first.close(); // the window went away
    await vi.waitFor(async () => {
      const again = await call('GET', '/chat/api/stream', { token });
      expect(again.status).toBe(200);
      streams[0] = again;
    });
    expect((await call('GET', '/chat/api/stream', { token })).status).toBe(429);
    for (const s of streams) await s.body!.cancel();
  });

  it('a window that connects again naming the stream it gave up on (cut without a word) gets that one closed and its place, every place taken', async () => {
    const site = await newSite();
    const token = await start(site, 'cut@example.com');
    const open = await Promise.all(Array.from({ length: VISITOR_STREAMS }, () => Promise.resolve(call('GET', '/chat/api/stream', { token }))));
    expect(open.map((r) => r.status)).toEqual(Array<number>(VISITOR_STREAMS).fill(200));
    const streams = open.map(sse);
    const ids: string[] = [];
    for (const s of streams) ids.push((JSON.parse((await s.until((e) => e.event === 'ready')).at(-1)!.data) as { stream: string }).stream);
    expect(new Set(ids).size).toBe(VISITOR_STREAMS);
    expect((await call('GET', '/chat/api/stream', { token })).status).toBe(429);
    // Another visitor's stream is not one to replace.
    const other = await start(site, 'cut-other@example.com');
    const theirs = sse(await call('GET', '/chat/api/stream', { token: other }));
    const theirId = (JSON.parse((await theirs.until((e) => e.event === 'ready')).at(-1)!.data) as { stream: string }).stream;
    expect((await call('GET', `/chat/api/stream?replaces=${theirId}`, { token })).status).toBe(429);

    // The second window's stream went silent; it connects again and names it.
    const again = await call('GET', `/chat/api/stream?replaces=${encodeURIComponent(ids[1]!)}`, { token });
    expect(again.status).toBe(200);
    // Read to its end: the server closed it (the greeting, then nothing more).
    expect((await streams[1]!.until(() => false)).map((e) => e.event)).toEqual(['ready', 'message']);
    // The same id again (a retry of that reconnect) frees nothing more.
    expect((await call('GET', `/chat/api/stream?replaces=${encodeURIComponent(ids[1]!)}`, { token })).status).toBe(429);
    await again.body!.cancel();
    for (const [i, s] of streams.entries()) if (i !== 1) await s.close();
    await theirs.close();
  });

  it.each([
    ['the site is switched off', (site: ChatSite) => updateSite(h.services, site.id, { name: site.name, origins: HOST, greeting: 'Hi!', calendar: '', queue: 'general', active: false })],
    ['its origin is removed', (site: ChatSite) => updateSite(h.services, site.id, { name: site.name, origins: 'https://other.example', greeting: 'Hi!', calendar: '', queue: 'general' })],
  ])('stops an open stream, without the replies after, once %s', async (_what, revoke) => {
    const site = await newSite();
    const token = await start(site, `revoked-${site.id}@example.com`);
    const sent = await call('POST', '/chat/api/messages', { token, body: { body: 'Where is my order?' } });
    const caseId = Number(((await sent.json()) as { case: string }).case.slice(2));
    const res = await call('GET', '/chat/api/stream', { token, headers: { 'Last-Event-ID': '2' } });
    expect(res.status).toBe(200);
    const stream = sse(res);
    await sendMessage(h.services, caseId, { body: 'Before: on its way.', public: true }, agent);
    await stream.until((e) => body(e) === 'Before: on its way.');
    await revoke(site);
    await sendMessage(h.services, caseId, { body: 'After: the secret tracking code.', public: true }, agent);
    const got = await stream.until((e) => e.event === 'gone' || body(e)?.startsWith('After') === true);
    expect(got.filter((e) => e.event === 'message').map(body)).toEqual(['Before: on its way.']);
    expect(got.at(-1)!.event).toBe('gone');
    // Its reconnect is refused (the window forgets the chat).
    expect([403, 404]).toContain((await call('GET', '/chat/api/stream', { token })).status);
  });
});

describe('the stream’s heartbeat', () => {
  it('goes out once the stream has been quiet a heartbeat long, even while the listener’s own typing keeps waking it (and is never sent back)', async () => {
    // A heartbeat of a fifth of a second: the stream's wait is real time (a connection's), not the services' clock.
    const quick = createHarness({ services: { channelsKey: parseChannelsKey('45'.repeat(32)), chat: { heartbeatSeconds: 0.2 } } });
    const callQuick = chatCaller(() => quick);
    let typing: ReturnType<typeof setInterval> | undefined;
    try {
      standardQueues(quick);
      quick.agent({ name: 'Alice', queues: ['general'] });
      const site = await createSite(quick.services, { name: 'Shop', origins: HOST, greeting: 'Hi!', calendar: '', queue: 'general' });
      const started = await callQuick('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, name: 'Vic', email: 'vic.typing@example.com' } });
      const token = ((await started.json()) as { token: string }).token;
      const res = await callQuick('GET', '/chat/api/stream', { token });
      expect(res.status).toBe(200);
      const stream = sse(res);
      const [ready] = await stream.until((e) => e.event === 'ready');
      expect(JSON.parse(ready!.data)).toMatchObject({ heartbeatSeconds: 0.2 });
      // The visitor types on and on: their own signal, every 50 ms, wakes the stream and writes nothing.
      const session = (await quick.get<{ id: number }>('SELECT id FROM chat_sessions ORDER BY id DESC LIMIT 1'))!;
      typing = setInterval(() => quick.services.chat.hub.publish(session.id, null, { kind: 'typing', who: 'visitor', name: 'Vic' }), 50);
      let heartbeats = 0;
      const seen = await Promise.race([
        stream.until((e) => e.event === 'heartbeat' && ++heartbeats >= 3),
        new Promise<SseEvent[]>((_, reject) => setTimeout(() => reject(new Error('no third heartbeat within 5 s while the visitor typed')), 5_000)),
      ]);
      expect(seen.filter((e) => e.event === 'heartbeat')).toHaveLength(3);
      expect(seen.filter((e) => e.event === 'typing')).toEqual([]);
      await stream.close();
    } finally {
      clearInterval(typing);
      quick.close();
    }
  });
});
