/**
 * Files an agent sends during a live chat (docs/chat.md *Becoming a case*): the reply's chat
 * line lists them and the visitor downloads them with their token (`GET /chat/api/files/:id`).
 * Before, the line carried the text alone and the reply was not mailed either ("delivered in
 * the live chat"): the customer never got the file. Only the files of agent lines of the
 * visitor's own chat are theirs to download.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSite, type ChatSite } from '../../src/chat/sites.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { chatCaller, OWN } from './support.js';

const HOST = 'https://shop.example';
let h: Harness;
let site: ChatSite;
let alice: TestActor;

const call = chatCaller(() => h);

async function chat(email: string): Promise<{ token: string; ref: string }> {
  const res = await call('POST', `/chat/api/sites/${site.id}/sessions`, { body: { host: HOST, name: 'Vera', email } });
  const { token } = (await res.json()) as { token: string };
  const sent = await call('POST', '/chat/api/messages', { token, body: { body: 'Can you send me the manual?' } });
  return { token, ref: ((await sent.json()) as { case: string }).case };
}

function reply(ref: string, token: string, body: string, files: { name: string; content: string }[]) {
  const form = new FormData();
  form.append('body', body);
  form.append('public', 'true');
  for (const f of files) form.append('files', new File([f.content], f.name, { type: 'application/pdf' }));
  return h.app.request(`${OWN}/api/v1/cases/${ref}/messages`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form });
}

type Line = { seq: number; author: string; body: string; files?: { id: number; name: string; size: number }[] };

beforeAll(async () => {
  h = createHarness({ services: { channelsKey: parseChannelsKey('99'.repeat(32)) } });
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general'] });
  await h.settled();
  site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue: 'general' });
});
afterAll(() => h.close());

describe('a file sent in a live chat', () => {
  it('is listed on the reply’s line and downloaded by the visitor with their token; no one else’s', async () => {
    const vera = await chat('vera@example.com');
    const res = await reply(vera.ref, h.tokenFor(alice), 'Here is the manual.', [{ name: 'Manual ü.pdf', content: '%PDF-manual' }]);
    expect(res.status).toBe(201);

    const { lines } = (await (await call('GET', '/chat/api/session', { token: vera.token })).json()) as { lines: Line[] };
    const line = lines.at(-1)!;
    expect(line).toMatchObject({ author: 'agent', body: 'Here is the manual.', files: [{ name: 'Manual ü.pdf', size: 11 }] });
    expect(lines[0]!.files).toBeUndefined(); // the visitor's own line has none
    const file = line.files![0]!;

    const got = await call('GET', `/chat/api/files/${file.id}`, { token: vera.token });
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('%PDF-manual');
    expect(got.headers.get('Content-Disposition')).toContain("filename*=UTF-8''Manual%20%C3%BC.pdf");
    expect(got.headers.get('X-Content-Type-Options')).toBe('nosniff');

    // The stream and the polling read carry the files too.
    const polled = (await (await call('GET', `/chat/api/messages?after=${line.seq - 1}`, { token: vera.token })).json()) as { lines: Line[] };
    expect(polled.lines[0]!.files).toEqual(line.files);

    // Another visitor, no token, and a file that is not an agent's line of this chat: not found / refused.
    const other = await chat('otto@example.com');
    expect((await call('GET', `/chat/api/files/${file.id}`, { token: other.token })).status).toBe(404);
    expect((await call('GET', `/chat/api/files/${file.id}`)).status).toBe(403);
    const customer = (await h.get<{ id: number }>("SELECT id FROM customers WHERE email = 'vera@example.com'"))!.id;
    const own = await reply(vera.ref, h.tokenFor({ type: 'customer', id: customer }), 'My receipt', [{ name: 'receipt.pdf', content: '%PDF-receipt' }]);
    expect(own.status).toBe(201);
    const receipt = (await h.get<{ id: number }>("SELECT id FROM attachments WHERE file_name = 'receipt.pdf'"))!.id;
    expect((await call('GET', `/chat/api/files/${receipt}`, { token: vera.token })).status).toBe(404);
    expect((await call('GET', '/chat/api/files/abc', { token: vera.token })).status).toBe(404);
  });
});
