/**
 * A live chat goes to an agent with the workspace open now (src/chat/agent-presence.ts), before
 * a fairer one who is away (src/assignment/pick-agent.ts); when no one who fits is there, to the
 * first who fits, as any case. Presence is the server's clock: a beat older than
 * CHAT_AGENT_PRESENCE_SECONDS counts for nothing, and so does a recent one of an agent whose
 * sign-in ended (signed out, access revoked).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSite } from '../../src/chat/sites.js';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { createServices } from '../../src/compose.js';
import { createApp } from '../../src/http/app.js';
import { ADMIN_TOKEN, createHarness, type Harness } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { chatCaller } from './support.js';

const HOST = 'https://shop.example';
let h: Harness;
afterEach(() => h?.close());
const harnessCall = chatCaller(() => h);

async function chatCase(siteId: string, email: string, call = harnessCall): Promise<number> {
  const res = await call('POST', `/chat/api/sites/${siteId}/sessions`, { body: { host: HOST, name: email.split('@')[0], email } });
  expect(res.status).toBe(201);
  const { token } = (await res.json()) as { token: string };
  const sent = await call('POST', '/chat/api/messages', { token, body: { body: 'Hello, a question about my order' } });
  expect(sent.status).toBe(201);
  return Number(((await sent.json()) as { case: string }).case.slice(2));
}
const assignee = async (id: number) => (await h.get<{ assignee_id: number | null }>('SELECT assignee_id FROM cases WHERE id = ?', id))!.assignee_id;

describe('a live chat’s agent', () => {
  it('is one with the workspace open when one fits, else the first who fits', async () => {
    h = createHarness({ services: { channelsKey: parseChannelsKey('78'.repeat(32)) } });
    const queue = h.queue('shopchat');
    await h.settled();
    const site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue });
    // Bob is first by fairness (lower id, never assigned); Dana has the workspace open.
    const bob = h.agent({ name: 'Bob', queues: [queue] });
    const dana = h.agent({ name: 'Dana', queues: [queue] });
    const bobPage = signedIn(h, bob);
    const danaPage = signedIn(h, dana);
    expect((await danaPage.get('/inbox?stamp=x')).status).toBe(200);
    expect(await assignee(await chatCase(site.id, 'ann@example.com'))).toBe(dana.id);

    // Dana's beat ages past the presence window: no one is there, the chat goes to the fairest who fits.
    h.clock.advance(h.services.chat.agents.ttlMs + 1_000);
    expect(await assignee(await chatCase(site.id, 'ben@example.com'))).toBe(bob.id);

    // Both there: fairness decides as for any case (one case each; Dana was assigned longer ago).
    expect((await bobPage.get('/inbox?stamp=x')).status).toBe(200);
    expect((await danaPage.get('/inbox?stamp=x')).status).toBe(200);
    expect(await assignee(await chatCase(site.id, 'cat@example.com'))).toBe(dana.id);
  });

  it('is not one who signed out, or whose access was revoked, though their last beat is recent', async () => {
    h = createHarness({ services: { channelsKey: parseChannelsKey('78'.repeat(32)) } });
    const queue = h.queue('shopchat');
    const bob = h.agent({ name: 'Bob', queues: [queue] });
    const dana = h.agent({ name: 'Dana', queues: [queue] });
    const cleo = h.agent({ name: 'Cleo', email: 'cleo@casebook.test', queues: [queue] });
    await h.settled();
    const site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue });
    expect(bob.id).toBeLessThan(dana.id); // Bob first by fairness, then Dana
    expect(dana.id).toBeLessThan(cleo.id);
    const bobPage = signedIn(h, bob);
    const danaPage = signedIn(h, dana);
    const cleoPage = signedIn(h, cleo);
    for (const page of [bobPage, danaPage, cleoPage]) expect((await page.get('/inbox?stamp=x')).status).toBe(200);
    // Bob ends his shift: signed out a second after his inbox last polled. The chat waits for nobody with him.
    h.clock.advance(1_000);
    expect((await bobPage.post('/logout')).status).toBe(303);
    expect(await assignee(await chatCase(site.id, 'ann@example.com'))).toBe(dana.id);
    // Cleo's account is compromised: an admin revokes its access (every session ends). Dana has one chat now, Cleo none.
    const revoked = await h.api('POST', '/api/v1/users/password-links', { token: ADMIN_TOKEN, body: { email: 'cleo@casebook.test', revokeAccess: true } });
    expect(revoked.status).toBe(201);
    expect(await assignee(await chatCase(site.id, 'ben@example.com'))).toBe(dana.id);
  });

  it('is one with the workspace open across a restart: the beat written down counts until the next one comes', async () => {
    h = createHarness({ services: { channelsKey: parseChannelsKey('78'.repeat(32)) } });
    const queue = h.queue('shopchat');
    const bob = h.agent({ name: 'Bob', queues: [queue] });
    const dana = h.agent({ name: 'Dana', queues: [queue] });
    await h.settled();
    const site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: '', calendar: '', queue });
    expect(bob.id).toBeLessThan(dana.id); // Bob first by fairness
    expect((await signedIn(h, dana).get('/inbox?stamp=x')).status).toBe(200);
    // A restarted instance on the same database (nothing in its memory) takes the chat, half a minute later.
    const restarted = createServices(h.services.store, h.clock, { channelsKey: parseChannelsKey('78'.repeat(32)) });
    await restarted.definitions.refresh();
    try {
      h.clock.advance(30_000);
      const app = createApp(restarted, { adminToken: ADMIN_TOKEN });
      expect(await assignee(await chatCase(site.id, 'dee@example.com', chatCaller(() => ({ app }) as Harness)))).toBe(dana.id);
    } finally {
      restarted.outbox.stop();
    }
  });
});
