/**
 * Casebook's own SMTP receiver, driven by nodemailer over a real socket: mail for the
 * support address and its plus-addresses goes through the pipeline before the 250; other
 * recipients are refused at RCPT; mail over the size limit is refused.
 */
import { eq } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { headersOnly } from '../../src/channels/email/parse-mail.js';
import { makeReplyAddress } from '../../src/channels/email/reply-address.js';
import { startSmtpReceiver, type SmtpReceiver } from '../../src/channels/email/smtp-receiver.js';
import { createLogger } from '../../src/logger.js';
import type { Harness } from '../support/harness.js';
import { acceptCases, EMAIL_SECRET, emailHarness, fixture, refuseCases } from './support.js';

type Transport = ReturnType<typeof nodemailer.createTransport>;

let h: Harness;
const allCases = () => h.query((q) => q.db.select().from(q.tables.cases).orderBy(q.tables.cases.id));
const mailLog = () => h.query((q) => q.db.select().from(q.tables.inboundMail).orderBy(q.tables.inboundMail.id));
let receiver: SmtpReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
  h?.close();
});

let logs: { level: string; msg: string; [key: string]: unknown }[];

async function start(settings: Parameters<typeof emailHarness>[0] = {}): Promise<Transport> {
  logs = [];
  h = emailHarness(settings, { logger: createLogger('debug', (line) => logs.push(JSON.parse(line) as (typeof logs)[number])) });
  receiver = await startSmtpReceiver(h.services, { port: 0, host: '127.0.0.1' });
  return nodemailer.createTransport({ host: '127.0.0.1', port: receiver.port, secure: false, ignoreTLS: true });
}

function send(transport: Transport, raw: Buffer | string, to: string[], from = 'chloe@example.com') {
  return transport.sendMail({ envelope: { from, to }, raw });
}

describe('the SMTP receiver', () => {
  it('accepts mail for the support address only once the case is stored, and logs it as smtp', async () => {
    const transport = await start();
    const info = await send(transport, fixture('new-request.eml'), ['support@example.com']);
    expect(info.accepted).toEqual(['support@example.com']);
    // The 250 came after the commit: the case is there when sendMail resolves.
    const all = await allCases();
    expect(all).toHaveLength(1);
    expect(info.response).toContain(`C-${all[0]!.id}`);
    expect(all[0]!.channel).toBe('email');
    expect(await mailLog()).toEqual([expect.objectContaining({ via: 'smtp', outcome: 'created' })]);
    // Delivered again (the sender did not see our 250): accepted, and ignored as a duplicate.
    await send(transport, fixture('new-request.eml'), ['support@example.com']);
    expect(await allCases()).toHaveLength(1);
    expect((await mailLog()).map((r) => r.reason)).toEqual([null, 'duplicate']);
  });

  it('answers 451 when the mail cannot be stored, so the sender tries again later, and files it once it can', async () => {
    const transport = await start();
    await refuseCases(h);
    const raw = fixture('new-request.eml');
    await expect(send(transport, raw, ['support@example.com'])).rejects.toMatchObject({ responseCode: 451 });
    expect(await allCases()).toEqual([]);
    expect(await mailLog()).toEqual([]);
    // The server log says which mail (not who sent it or what about), for the operator to follow.
    const failed = logs.filter((l) => l.msg.startsWith('email: inbound SMTP mail failed'));
    expect(failed).toEqual([expect.objectContaining({ level: 'error', messageId: headersOnly(raw).messageId, size: raw.length })]);
    expect(String(failed[0]!.error)).toContain('database or disk is full');
    expect(JSON.stringify(failed[0])).not.toContain('chloe');

    await acceptCases(h);
    const info = await send(transport, raw, ['support@example.com']);
    expect(info.accepted).toEqual(['support@example.com']);
    expect(await allCases()).toHaveLength(1);
    expect(await mailLog()).toEqual([expect.objectContaining({ via: 'smtp', outcome: 'created' })]);
  });

  it('refuses other recipients at RCPT with 550', async () => {
    const transport = await start();
    await expect(send(transport, fixture('new-request.eml'), ['sales@example.com'])).rejects.toMatchObject({ responseCode: 550 });
    await expect(send(transport, fixture('new-request.eml'), ['support@example.org'])).rejects.toMatchObject({ responseCode: 550 });
    expect(await allCases()).toHaveLength(0);
  });

  it('threads a reply sent to the signed plus-address in the envelope only', async () => {
    const transport = await start();
    await send(transport, fixture('new-request.eml'), ['support@example.com']);
    const id = (await allCases())[0]!.id;
    const address = makeReplyAddress('support@example.com', EMAIL_SECRET, id);
    // The To header names the plain address (a relay rewrote it); the envelope has the signed one.
    const raw = fixture('reply-apple.eml', { REPLY_ADDRESS: 'support@example.com' });
    await send(transport, raw, [address]);
    const replies = (await h.query((q) => q.db.select().from(q.tables.caseEvents).where(eq(q.tables.caseEvents.caseId, id)).orderBy(q.tables.caseEvents.id))).filter((e) => e.type === 'customer.replied');
    expect(replies).toHaveLength(1);
    expect(await allCases()).toHaveLength(1);
  });

  it('refuses a mail over the size limit (552) and logs it as too-large', async () => {
    const transport = await start({ maxBytes: 8192 });
    const raw = Buffer.concat([fixture('forwarded.eml'), Buffer.from(`${'x'.repeat(76)}\r\n`.repeat(200))]);
    await expect(send(transport, raw, ['support@example.com'], 'omar@example.net')).rejects.toMatchObject({ responseCode: 552 });
    expect(await allCases()).toHaveLength(0);
    expect(await mailLog()).toEqual([expect.objectContaining({ via: 'smtp', outcome: 'ignored', reason: 'too-large', fromAddress: 'omar@example.net' })]);
  });
});
