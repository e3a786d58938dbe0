/**
 * Messages left in the chat window when nobody is available (docs/chat.md "Nobody available")
 * as an attacker would use them: each mails the typed address at once, quoting the message's
 * start in the subject, so one address gets at most a few an hour, whoever leaves them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createSite, type ChatSite } from '../../src/chat/sites.js';
import { createHarness, standardQueues, type Harness } from '../support/harness.js';
import { chatCaller } from './support.js';

const HOST = 'https://shop.example';
let h: Harness;
let site: ChatSite;
const call = chatCaller(() => h);

function leave(email: string) {
  return call('POST', `/chat/api/sites/${site.id}/offline`, { body: { host: HOST, name: 'Support Team', email, message: 'Your account is locked: call +1 555 0100.' } });
}

beforeAll(async () => {
  h = createHarness({ services: { channelsKey: parseChannelsKey('46'.repeat(32)) } });
  standardQueues(h);
  site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue: 'general' });
});
afterAll(() => h.close());

describe('messages left for one address', () => {
  it('are at most 3 an hour (the limit is the address’s, not the client’s); other addresses are not affected', async () => {
    for (let i = 0; i < 3; i++) expect((await leave('victim@example.com')).status).toBe(201);
    const refused = await leave('VICTIM@Example.com '); // the same address, written otherwise
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/^Too many messages left for this e-mail address: at most 3/);
    expect((await leave('someone.else@example.com')).status).toBe(201);
    h.clock.advance(3_600_000);
    expect((await leave('victim@example.com')).status).toBe(201);
  });
});
