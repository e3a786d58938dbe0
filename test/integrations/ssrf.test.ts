/**
 * SSRF: with WEBHOOKS_ALLOW_PRIVATE unset, webhooks and chat posts never reach loopback,
 * private, link-local (cloud metadata) or ULA addresses — as IP literals (IPv4, IPv6, IPv4 in
 * IPv6) or behind a host name that resolves there — and a live receiver on 127.0.0.1 gets
 * nothing. Pure address checks are table-driven.
 */
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCase } from '../../src/cases/create-case.js';
import { blockedAddressReason } from '../../src/net/address-guard.js';
import { guardedPost } from '../../src/net/guarded-post.js';
import { ADMIN_TOKEN, createHarness, standardQueues, type Harness } from '../support/harness.js';
import { startReceiver, type Receiver } from './receiver.js';

let h: Harness;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  h = createHarness();
  standardQueues(h);
});

afterAll(async () => {
  h.close();
  await receiver.close();
});

describe('the address guard', () => {
  it.each([
    '127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::ffff:a9fe:a9fe', '64:ff9b::7f00:1', '2002:a00:1::', 'ff02::1',
    // IPv4-translated (SIIT) loopback and metadata, other ::/8 forms, Teredo
    '::ffff:0:7f00:1', '::ffff:0:a9fe:a9fe', '0:0:0:0:1::7f00:1', '::1:7f00:1', '2001:0:4136:e378:8000:63bf:3fff:fdd2',
  ])('refuses %s', (address) => {
    expect(blockedAddressReason(address)).not.toBeNull();
  });

  it.each(['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (address) => {
    expect(blockedAddressReason(address)).toBeNull();
  });
});

describe('outbound posts with WEBHOOKS_ALLOW_PRIVATE unset', () => {
  const port = () => receiver.port;
  it.each([
    ['loopback', () => `http://127.0.0.1:${port()}/hook`],
    ['a private 10.x address', () => 'http://10.1.2.3/hook'],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/'],
    ['IPv6 loopback', () => `http://[::1]:${port()}/hook`],
    ['IPv4-mapped loopback', () => `http://[::ffff:127.0.0.1]:${port()}/hook`],
    ['loopback written as a number', () => `http://2130706433:${port()}/hook`],
  ])('refuses %s before connecting', async (_name, url) => {
    const before = receiver.received.length;
    const result = await guardedPost(url(), '{}', { allowPrivate: false, timeoutMs: 1000 });
    expect(result.ok).toBe(false);
    expect(result.status).toBeNull();
    expect(result.error).toMatch(/^refused/);
    expect(receiver.received.length).toBe(before);
  });

  it('refuses a host name that resolves to loopback (checked at connect time)', async () => {
    // This machine's own name resolves to a loopback (or private) address in /etc/hosts.
    const host = os.hostname();
    const result = await guardedPost(`http://${host}:${receiver.port}/hook`, '{}', { allowPrivate: false, timeoutMs: 1000 });
    expect(result.error, host).toMatch(new RegExp(`^refused: ${host} resolves to \\S+ is an? (loopback|private)`));
    expect(receiver.received).toHaveLength(0);
  });

  it('reaches the same receiver when private targets are allowed (the test setting)', async () => {
    const result = await guardedPost(receiver.url, '{}', { allowPrivate: true, timeoutMs: 1000 });
    expect(result).toMatchObject({ ok: true, status: 200 });
    receiver.received.length = 0;
  });

  it('refuses a webhook subscription to a private address (422), and never delivers to one resolved at send time', async () => {
    for (const url of ['http://127.0.0.1/x', 'http://10.0.0.8/x', 'http://169.254.169.254/x', 'http://[::1]/x', 'http://localhost/x']) {
      const res = await h.api('POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url, events: ['case.created'] } });
      expect(res.status, url).toBe(422);
      expect(JSON.stringify(await res.json())).toContain('refused');
    }
    // A name that passes the form but resolves to loopback when the delivery is made.
    const res = await h.api('POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url: `http://${os.hostname()}:${receiver.port}/hook`, events: ['case.created'] } });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };
    const customer = h.customer({ email: 'pat@example.com' });
    await createCase(h.services, { subject: 'Hi', description: 'there' }, customer, { customerId: customer.id });
    await h.services.outbox.drain();
    expect(receiver.received).toHaveLength(0);
    const [delivery] = (await (await h.api('GET', `/api/v1/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).json()) as { log: { error: string; responseStatus: null }[] }[];
    expect(delivery!.log[0]).toMatchObject({ responseStatus: null });
    expect(delivery!.log[0]!.error).toMatch(new RegExp(`^refused: ${os.hostname()} resolves to`));
    expect(await h.query((q) => q.db.select().from(q.tables.webhookSubscriptions))).toHaveLength(1);
  });
});
