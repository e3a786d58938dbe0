/**
 * Outbound SMTP that hangs (a firewall dropping packets, a server that accepts the connection
 * and never greets): a reply's attempt fails after the mailer's timeout instead of holding the
 * outbox for minutes, the agent sees "sending failed … will retry", and once the server
 * answers again the retry delivers it, once. A real SMTP sink behind a TCP relay that can be
 * made to go silent.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCaseRef } from '../../src/cases/case-ref.js';
import { createMailer } from '../../src/notifications/mailer.js';
import { retryDelayMs } from '../../src/outbox/outbox.js';
import type { Harness } from '../support/harness.js';
import { startSmtp, type Inbox } from '../support/smtp.js';
import { emailHarness, eventsOf, fixture, postMail, signedIn } from './support.js';

let h: Harness;
let inbox: Inbox;
let relay: net.Server;
let silent = false;
const held: net.Socket[] = [];

beforeAll(async () => {
  inbox = await startSmtp();
  // While `silent`, connections are accepted and never answered; otherwise piped to the sink.
  relay = net.createServer((socket) => {
    if (silent) {
      held.push(socket);
      socket.on('error', () => {});
      return;
    }
    const upstream = net.connect(inbox.port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const port = (relay.address() as AddressInfo).port;
  h = emailHarness({}, { mailer: createMailer(`smtp://127.0.0.1:${port}`, 'Casebook <casebook@example.com>', { timeoutMs: 300 }) });
});
afterAll(async () => {
  h?.close();
  for (const socket of held) socket.destroy();
  await new Promise<void>((resolve) => relay.close(() => resolve()));
  await inbox.close();
});

async function flush(): Promise<void> {
  await h.services.outbox.idle();
  await h.services.outbox.drain();
}

describe('a reply while the mail server hangs', () => {
  it('fails its attempt within the timeout, shows "will retry" to the agent, and is delivered once the server answers', async () => {
    const agent = h.agent({ role: 'manager' });
    const ref = (await postMail(h, fixture('new-request.eml'))).body.case!;
    await flush();
    expect(inbox.messages).toHaveLength(1); // the acknowledgement

    silent = true;
    const res = await h.api('POST', `/api/v1/cases/${ref}/messages`, { token: h.tokenFor(agent), body: { body: 'Your refund is on its way.', public: true } });
    expect(res.status).toBe(201);
    const started = performance.now();
    await flush();
    expect(performance.now() - started).toBeLessThan(5_000);
    const failed = await eventsOf(h, parseCaseRef(ref)!, 'email.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.data).toMatchObject({ kind: 'reply', attempt: 1, retry: true });
    expect(String(failed[0]!.data.error)).toMatch(/timeout|greeting never received/i);
    const page = await (await signedIn(h, agent).get(`/cases/${ref}`)).text();
    expect(page).toContain('sending failed (attempt 1), will retry');

    silent = false;
    h.clock.advance(retryDelayMs(1));
    await flush();
    expect(inbox.messages.map((m) => m.mail.text?.includes('Your refund is on its way.'))).toEqual([false, true]);
    const sent = await eventsOf(h, parseCaseRef(ref)!, 'email.sent');
    expect(sent.map((e) => e.data)).toEqual([expect.objectContaining({ delivered: true, attempts: 2 })]);
  });
});
