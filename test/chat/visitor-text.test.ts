/**
 * What a visitor types, as it is stored (docs/chat.md *Widget, window and the visitor's
 * session*): control characters are removed from names, messages, left messages and rating
 * comments, as from mail (NUL cannot be stored on PostgreSQL: it was a 500 there), and a chat
 * case's subject is cut between characters, never inside an emoji.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSite, type ChatSite } from '../../src/chat/sites.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createHarness, standardQueues, type Harness } from '../support/harness.js';
import { chatCaller, OWN } from './support.js';

const HOST = 'https://shop.example';
let h: Harness;
let site: ChatSite;

const call = chatCaller(() => h);

async function start(email: string, name: string): Promise<string> {
  const res = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, name, email } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

async function send(token: string, body: string): Promise<{ status: number; caseId: number }> {
  const res = await call('POST', '/chat/api/messages', { token, body: { body } });
  const json = (await res.json()) as { case?: string };
  return { status: res.status, caseId: json.case ? Number(json.case.slice(2)) : 0 };
}

beforeAll(async () => {
  h = createHarness({ services: { channelsKey: parseChannelsKey('66'.repeat(32)) } });
  standardQueues(h);
  h.agent({ name: 'Alice', queues: ['general'] });
  await h.settled();
  site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue: 'general' });
});
afterAll(() => h.close());

describe('control characters', () => {
  it('are removed from the visitor’s name, messages, left message and rating comment (never a 500)', async () => {
    const token = await start('nul@example.com', 'N\u0000ina \u001b[31mNul\u0007');
    const first = await send(token, 'first \u0000line\r\nsecond\u001b[0m line\u007f');
    expect(first.status).toBe(201);
    const later = await send(token, 'again\u0000');
    expect(later.status).toBe(201);
    expect((await send(token, '\u0000\u0007 \u001b[31m')).status).toBe(422); // nothing left: "write a message first"

    const lines = await h.all<{ author_name: string; body: string }>("SELECT author_name, body FROM chat_messages WHERE author = 'visitor' ORDER BY seq");
    expect(lines).toEqual([
      { author_name: 'Nina Nul', body: 'first line\nsecond line' },
      { author_name: 'Nina Nul', body: 'again' },
    ]);
    const row = (await h.get<{ subject: string; description: string }>('SELECT subject, description FROM cases WHERE id = ?', first.caseId))!;
    expect(row).toEqual({ subject: 'Chat: first line second line', description: 'first line\nsecond line' });

    expect((await call('POST', '/chat/api/end', { token })).status).toBe(200);
    expect((await call('POST', '/chat/api/rating', { token, body: { satisfied: true, comment: 'fine\u0000 thanks' } })).status).toBe(200);
    expect((await h.get<{ comment: string }>('SELECT comment FROM case_ratings WHERE case_id = ?', first.caseId))!.comment).toBe('fine thanks');

    const left = await call('POST', `/chat/api/sites/${site.id}/offline`, { body: { host: HOST, name: 'Off\u0000 Line', email: 'off@example.com', message: 'call\u0000 me\u001b[1m back' } });
    expect(left.status).toBe(201);
    const leftId = Number(((await left.json()) as { case: string }).case.slice(2));
    expect(await h.get('SELECT c.description, cu.name FROM cases c JOIN customers cu ON cu.id = c.customer_id WHERE c.id = ?', leftId)).toEqual({ description: 'call me back', name: 'Off Line' });
    const blank = await call('POST', `/chat/api/sites/${site.id}/offline`, { body: { host: HOST, name: '\u0000', email: 'off@example.com', message: '\u0007' } });
    expect(blank.status).toBe(422);
    expect(((await blank.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['name', 'message']);
  });
});

describe('half an emoji (a lone surrogate, which JSON can carry)', () => {
  it('is replaced by U+FFFD in a name and messages (never a 500)', async () => {
    const raw = (path: string, body: string, token?: string) =>
      h.app.request(`${OWN}${path}`, { method: 'POST', headers: { Origin: OWN, 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) }, body });
    const started = await raw(`/chat/api/sites/${site.id}/sessions`, `{"host":"${HOST}","name":"Lone \\ud83d","email":"lone@example.com"}`);
    expect(started.status).toBe(201);
    const { token } = (await started.json()) as { token: string };
    const first = await raw('/chat/api/messages', '{"body":"first \\ud83d half"}', token);
    expect(first.status).toBe(201);
    expect((await raw('/chat/api/messages', '{"body":"then \\udc00 the other"}', token)).status).toBe(201);
    const session = (await h.get<{ id: number }>("SELECT id FROM chat_sessions WHERE email = 'lone@example.com'"))!;
    const lines = await h.all<{ author_name: string; body: string }>("SELECT author_name, body FROM chat_messages WHERE session_id = ? AND author = 'visitor' ORDER BY seq", session.id);
    expect(lines).toEqual([
      { author_name: 'Lone \uFFFD', body: 'first \uFFFD half' },
      { author_name: 'Lone \uFFFD', body: 'then \uFFFD the other' },
    ]);
  });
});

describe('a chat case’s subject', () => {
  it('is cut between characters, never inside an emoji or a letter with its accent (chat and left message)', async () => {
    const token = await start('emoji@example.com', 'Emma');
    const text = `${'a'.repeat(78)}😀😀 and more`;
    const sent = await send(token, text);
    expect(sent.status).toBe(201);
    const subject = (await h.get<{ subject: string }>('SELECT subject FROM cases WHERE id = ?', sent.caseId))!.subject;
    expect(subject).toBe(`Chat: ${'a'.repeat(78)}…`);
    expect(subject).not.toContain('\uFFFD');

    const accent = `${'b'.repeat(78)}e\u0301tude`; // "é" as e + combining acute at the cut
    const left = await call('POST', `/chat/api/sites/${site.id}/offline`, { body: { host: HOST, name: 'Emma', email: 'emoji@example.com', message: accent } });
    expect(left.status).toBe(201);
    const leftSubject = (await h.get<{ subject: string }>('SELECT subject FROM cases WHERE id = ?', Number(((await left.json()) as { case: string }).case.slice(2))))!.subject;
    expect(leftSubject).toBe(`Message from the chat: ${'b'.repeat(78)}…`);

    const api = await h.api('GET', `/api/v1/cases/C-${sent.caseId}`, { token: h.tokenFor(h.agent({ name: 'Reader', role: 'manager' })) });
    expect(((await api.json()) as { subject: string }).subject).toBe(`Chat: ${'a'.repeat(78)}…`);
  });
});
