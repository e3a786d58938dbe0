/**
 * "Is anyone there?" counts only agents with the workspace open now (src/chat/agent-presence.ts):
 * a signed-in staff request within CHAT_AGENT_PRESENCE_SECONDS by the server's injected clock,
 * and a sign-in session that has not ended. Available but signed out, or gone quiet, is nobody.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChannelsKey } from '../../src/channels/secrets.js';
import { chatAvailability } from '../../src/chat/availability.js';
import { createSite, updateSite, type ChatSite } from '../../src/chat/sites.js';
import { createServices } from '../../src/compose.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn } from '../support/pages.js';
import { chatCaller } from './support.js';

const KEY = parseChannelsKey('45'.repeat(32));
const HOST = 'https://shop.example';
let h: Harness;
let site: ChatSite;
let agent: TestActor;
const call = chatCaller(() => h);

async function availability(): Promise<{ open: boolean; reason?: string }> {
  const res = await call('GET', `/chat/api/sites/${site.id}/status?host=${encodeURIComponent(HOST)}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { availability: { open: boolean; reason?: string } }).availability;
}

beforeAll(async () => {
  h = createHarness({ services: { channelsKey: KEY } });
  standardQueues(h);
  agent = h.agent({ name: 'Alice', queues: ['general'] });
  site = await createSite(h.services, { name: 'Shop', origins: HOST, greeting: 'Hi!', calendar: '', queue: 'general' });
});
afterAll(() => h.close());

describe('chat availability', () => {
  it('counts an available agent only while their workspace is open, by the server’s clock', async () => {
    // Available, active, in the queue, under every limit — but not signed in: nobody is there.
    expect(await availability()).toEqual({ open: false, reason: 'no-agent', opensAt: null });

    const page = signedIn(h, agent);
    expect((await page.get('/inbox')).status).toBe(200);
    expect(await availability()).toEqual({ open: true });

    // The tab closed (no more polls): still counted for CHAT_AGENT_PRESENCE_SECONDS, then not.
    h.clock.advance(119_000);
    expect(await availability()).toEqual({ open: true });
    h.clock.advance(2_000);
    expect(await availability()).toMatchObject({ open: false, reason: 'no-agent' });

    // The inbox's live poll (a background read, `stamp`) says the tab is open again, though it is not activity for the sign-in.
    expect((await page.get('/inbox?stamp=x')).status).toBe(200);
    expect(await availability()).toEqual({ open: true });

    // Away: not counted, however live the tab.
    expect((await page.post('/availability', { available: 'false' })).status).toBeLessThan(400);
    expect(await availability()).toMatchObject({ open: false, reason: 'no-agent' });
    expect((await page.post('/availability', { available: 'true' })).status).toBeLessThan(400);
    expect(await availability()).toEqual({ open: true });
  });

  it('stops counting an agent at once when they sign out, and not on a request that is not theirs', async () => {
    const page = signedIn(h, agent);
    expect((await page.get('/inbox')).status).toBe(200);
    expect(await availability()).toEqual({ open: true });
    // Signed out everywhere (the other test's sign-in too).
    const other = signedIn(h, agent);
    expect((await page.post('/logout')).status).toBe(303);
    expect(await availability()).toEqual({ open: true }); // `other` is still a sign-in
    await h.services.store.write((q) => q.db.delete(q.tables.sessions));
    expect(await availability()).toMatchObject({ open: false, reason: 'no-agent' });
    // A request with the ended cookie is nobody's: it does not bring the agent back.
    await other.get('/inbox');
    expect(await availability()).toMatchObject({ open: false, reason: 'no-agent' });
  });

  it('keeps counting an agent across a restart or on another instance: a deploy does not say nobody is there until their background tab polls again', async () => {
    h.clock.advance(60_000);
    const page = signedIn(h, agent);
    // The agent waits for chats with the inbox in a background tab: its live poll comes at most once a minute.
    expect((await page.get('/inbox?stamp=x')).status).toBe(200);
    expect(await availability()).toEqual({ open: true });

    // The server restarts (or another instance answers): nothing in its memory, the same database.
    const restarted = createServices(h.services.store, h.clock, { channelsKey: KEY });
    await restarted.definitions.refresh();
    try {
      expect(restarted.chat.agents.live(h.clock.now())).toEqual([]);
      h.clock.advance(59_000); // the background tab has not polled yet
      expect(await chatAvailability(restarted, site)).toEqual({ open: true });
      // Their tab closed before the restart: gone once CHAT_AGENT_PRESENCE_SECONDS passed since the last beat.
      h.clock.advance(61_000);
      expect(await chatAvailability(restarted, site)).toEqual({ open: true });
      h.clock.advance(1_000);
      expect(await chatAvailability(restarted, site)).toMatchObject({ open: false, reason: 'no-agent' });
      // Back (a request on the first instance): the other hears of it; signed out, not counted on the word of a beat written down.
      expect((await page.get('/inbox?stamp=x')).status).toBe(200);
      expect(await chatAvailability(restarted, site)).toEqual({ open: true });
      expect((await page.post('/logout')).status).toBe(303);
      expect(await chatAvailability(restarted, site)).toMatchObject({ open: false, reason: 'no-agent' });
    } finally {
      restarted.outbox.stop();
    }
  });

  it('keeps a site’s hours: an SLA config without the site’s calendar is refused with its path, not published to leave the site open at every hour', async () => {
    const desk = await createSite(h.services, { name: 'Office desk', origins: HOST, greeting: '', calendar: 'office', queue: 'general' });
    const status = async () => ((await (await call('GET', `/chat/api/sites/${desk.id}/status?host=${encodeURIComponent(HOST)}`)).json()) as { availability: { open: boolean; reason?: string } }).availability;
    h.clock.set('2026-03-07T12:00:00Z'); // a Saturday: the office calendar is closed
    expect(await status()).toMatchObject({ open: false, reason: 'outside-hours' });

    // The office calendar renamed (its policies follow): the site would lose its hours.
    const config = ((await (await h.api('GET', '/api/v1/sla-config', { token: ADMIN_TOKEN })).json()) as { config: Record<string, any> }).config;
    const renamed = structuredClone(config);
    renamed.calendars.berlin = renamed.calendars.office;
    delete renamed.calendars.office;
    for (const policy of Object.values(renamed.policies) as { calendar: string }[]) if (policy.calendar === 'office') policy.calendar = 'berlin';
    const refused = await h.api('PUT', '/api/v1/sla-config', { token: ADMIN_TOKEN, body: { config: renamed, note: 'rename' } });
    expect(refused.status).toBe(422);
    const problem = (await refused.json()) as { code: string; problems: { path: string; message: string }[] };
    expect(problem.code).toBe('INVALID_SLA_CONFIG');
    expect(problem.problems).toContainEqual(expect.objectContaining({ path: '$.calendars', message: expect.stringContaining('the chat site "Office desk"') }));
    expect(await status()).toMatchObject({ open: false, reason: 'outside-hours' });

    // The way to rename it: both calendars for a while, the site moved to the new one, then the old one dropped.
    const both = structuredClone(renamed);
    both.calendars.office = config.calendars.office;
    expect((await h.api('PUT', '/api/v1/sla-config', { token: ADMIN_TOKEN, body: { config: both, note: 'both' } })).status).toBe(200);
    await updateSite(h.services, desk.id, { name: 'Office desk', origins: HOST, greeting: '', calendar: 'berlin', queue: 'general' });
    expect((await h.api('PUT', '/api/v1/sla-config', { token: ADMIN_TOKEN, body: { config: renamed, note: 'rename' } })).status).toBe(200);
    expect(await status()).toMatchObject({ open: false, reason: 'outside-hours' });
  });
});
