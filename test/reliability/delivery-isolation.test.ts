/**
 * A receiver that never answers holds up nothing else (src/outbox/lanes.ts): with a webhook
 * subscription and a queue's Slack URL pointing at a real local HTTP server that reads the
 * request and never answers, customer mail still goes out at once (real SMTP server),
 * another subscription's receiver still gets its deliveries, a command answers without
 * waiting for its Slack post, and shutdown aborts what is still in flight after the grace,
 * recording a failed attempt to retry (nothing stays claimed).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queues } from '../../src/db/schema/index.js';
import { guardedPost } from '../../src/net/guarded-post.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { emailHarness, fixture, postMail } from '../email/support.js';
import { startReceiver, type Receiver } from '../integrations/receiver.js';
import { ADMIN_TOKEN, ROOT, type Harness, type TestActor } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';

interface Hanging {
  url: string;
  /** Requests read (bodies complete), none answered. */
  received: string[];
  close(): Promise<void>;
}

/** Reads each request completely and never answers. */
async function startHanging(): Promise<Hanging> {
  const received: string[] = [];
  const server = http.createServer((req) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => received.push(Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Resolves once `ready()` holds; fails the test if it does not within `ms` of real time. */
async function until(ready: () => boolean, what: string, ms = 5000): Promise<number> {
  const started = performance.now();
  while (!ready()) {
    if (performance.now() - started > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - started;
}

let h: Harness;
let smtp: Inbox;
let hanging: Hanging;
let healthy: Receiver;
let agent: TestActor;
let deadHook: number;

beforeAll(async () => {
  [smtp, hanging, healthy] = await Promise.all([startSmtp(), startHanging(), startReceiver()]);
  h = emailHarness(
    {},
    {
      mailer: createMailer(`smtp://127.0.0.1:${smtp.port}`, 'Casebook <casebook@example.com>'),
      // Far beyond the test: the receiver is as good as dead while it runs.
      integrations: { allowPrivateTargets: true, timeoutMs: 60_000, shutdownGraceMs: 200 },
    },
  );
  agent = h.agent({ role: 'manager', name: 'Alice Agent' });
  const subscribe = async (url: string) => {
    const res = await h.api('POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url, events: ['case.created', 'message.created'] } });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: number }).id;
  };
  deadHook = await subscribe(hanging.url);
  await subscribe(healthy.url);
});

afterAll(async () => {
  h.close();
  await Promise.all([smtp.close(), hanging.close(), healthy.close()]);
});

function deliveries(webhook: number): { status: string; attempts: number; log: { error: string | null }[] }[] {
  return h.db.$client
    .prepare('SELECT id, status, attempts FROM webhook_deliveries WHERE subscription_id = ? ORDER BY id')
    .all(webhook)
    .map((d) => {
      const row = d as { id: number; status: string; attempts: number };
      const log = h.db.$client.prepare('SELECT error FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt').all(row.id) as { error: string | null }[];
      return { status: row.status, attempts: row.attempts, log };
    });
}

describe('a receiver that never answers', () => {
  let ref: string;

  it('holds up neither the customer’s mail nor another subscription’s deliveries', async () => {
    const posted = await postMail(h, fixture('new-request.eml'));
    expect(posted.body.result).toBe('created');
    ref = posted.body.case!;
    // The acknowledgement, both case.created deliveries started; one of them never ends.
    await until(() => smtp.messages.length === 1 && healthy.received.length === 1 && hanging.received.length === 1, 'acknowledgement and both deliveries');

    // While that delivery hangs, an agent replies: the reply is mailed at once.
    const res = await h.api('POST', `/api/v1/cases/${ref}/messages`, { token: h.tokenFor(agent), body: { body: 'We are on it.', public: true } });
    expect(res.status).toBe(201);
    // Behind the hanging delivery it would wait its full 60 s; 5 s leaves a loaded machine room.
    await until(() => smtp.messages.length === 2, 'the reply mail');
    expect(smtp.messages[1]!.mail.text).toContain('We are on it.');
    // The other receiver got message.created too; the dead one has both requests in flight.
    await until(() => healthy.received.length === 2 && hanging.received.length === 2, 'message.created to both');
    expect(JSON.parse(healthy.received[1]!.body)).toMatchObject({ type: 'message.created' });
    expect(deliveries(deadHook)).toEqual([
      { status: 'pending', attempts: 0, log: [] },
      { status: 'pending', attempts: 0, log: [] },
    ]);
  });

  it('does not hold up the answer to a command whose rules post to Slack', async () => {
    h.db.update(queues).set({ slackWebhookUrl: hanging.url }).run();
    const routing = JSON.parse(fs.readFileSync(path.join(ROOT, 'rules/routing.json'), 'utf8')) as { rules: unknown[] };
    const toSlack = { name: 'Everything to Slack', priority: 100, conditions: { all: [] }, event: { type: 'notify', params: { to: 'slack', template: 'case-received' } } };
    const published = await h.api('PUT', '/api/v1/rulesets/routing', { token: ADMIN_TOKEN, body: { rules: [...routing.rules, toSlack], note: 'test', overrideFailingExamples: 'test rules' } });
    expect(published.status).toBe(200);
    const before = hanging.received.length;
    const started = performance.now();
    const res = await h.api('POST', '/api/v1/cases', { token: ADMIN_TOKEN, body: { customer: { email: 'dana@example.com' }, subject: 'Printer on fire', description: 'Help' } });
    expect(res.status).toBe(201);
    expect(performance.now() - started).toBeLessThan(5000); // not the post's 60 s
    // The post (and the case.created delivery) went out in the background, and hang there.
    await until(() => hanging.received.length === before + 2, 'the Slack post and the delivery');
    expect(hanging.received.slice(before).map((body) => (JSON.parse(body) as { type?: string; blocks?: unknown }).type ?? 'slack').sort()).toEqual(['case.created', 'slack']);
  });

  it('is aborted at shutdown after the grace: the attempt fails, is retried later, and nothing stays claimed', async () => {
    const started = performance.now();
    h.services.outbox.stop();
    await h.services.outbox.idle();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(3000);
    const dead = deliveries(deadHook);
    expect(dead.length).toBeGreaterThanOrEqual(3);
    for (const d of dead) expect(d).toEqual({ status: 'retrying', attempts: 1, log: [{ error: 'aborted: Casebook is shutting down' }] });
    const pending = h.db.$client.prepare('SELECT type, locked_by, available_at - ? AS wait, last_error FROM outbox WHERE done_at IS NULL AND failed_at IS NULL ORDER BY id').all(h.clock.now()) as {
      type: string;
      locked_by: string | null;
      wait: number;
      last_error: string | null;
    }[];
    expect(pending.every((p) => p.locked_by === null)).toBe(true);
    expect(pending.filter((p) => p.type === 'webhook.deliver').map((p) => p.wait)).toEqual(dead.map(() => 5_000));
    expect(pending.filter((p) => p.type === 'im.post')).toEqual([{ type: 'im.post', locked_by: null, wait: 30_000, last_error: 'slack post failed: aborted: Casebook is shutting down' }]);
  });
});

describe('guardedPost', () => {
  it('opens a connection per attempt, never reusing one the receiver may be closing as idle', async () => {
    let connections = 0;
    const server = http.createServer((_req, res) => res.end('ok'));
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      for (let i = 0; i < 3; i++) expect(await guardedPost(url, '{}', { allowPrivate: true, timeoutMs: 5000 })).toMatchObject({ ok: true });
      expect(connections).toBe(3);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('gives up on a receiver that trickles its answer at the deadline, whatever it sends meanwhile', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200);
      const tick = setInterval(() => res.write('.'), 20);
      res.on('close', () => clearInterval(tick));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const result = await guardedPost(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, '{}', { allowPrivate: true, timeoutMs: 200 });
      expect(result).toMatchObject({ ok: false, error: 'no answer within 200 ms' });
      expect(result.durationMs).toBeLessThan(1000);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
