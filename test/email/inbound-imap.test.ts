/**
 * Reading an IMAP mailbox, against a real Dovecot started for these tests: new mail becomes a
 * case, a restart neither repeats nor loses mail (UID checkpoints in the database), processed
 * mail is flagged \Seen or moved, a new UIDVALIDITY re-reads the mailbox safely, and a server
 * that refuses the login is logged and retried while Casebook keeps serving.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { beginAttempt, CUT_SHORT } from '../../src/channels/email/imap-attempts.js';
import { SET_ASIDE_FOLDER, startImapPoller, type ImapPoller } from '../../src/channels/email/imap.js';
import type { ImapMailboxConfig } from '../../src/channels/email/imap-config.js';
import { createLogger } from '../../src/logger.js';
import { createMailer, type Mailer } from '../../src/notifications/mailer.js';
import { startDovecot, type Dovecot } from '../support/dovecot.js';
import type { Harness } from '../support/harness.js';
import { startSmtp } from '../support/smtp.js';
import { acceptCases, emailHarness, refuseCases } from './support.js';

let dovecot: Dovecot;
beforeAll(async () => {
  dovecot = await startDovecot();
}, 30_000);
afterAll(async () => {
  await dovecot?.stop();
});

let h: Harness;
const allCases = () => h.query((q) => q.db.select().from(q.tables.cases).orderBy(q.tables.cases.id));
const mailLog = () => h.query((q) => q.db.select().from(q.tables.inboundMail).orderBy(q.tables.inboundMail.id));
const checkpoints = () => h.query((q) => q.db.select().from(q.tables.imapCheckpoints));
let logs: { level: string; msg: string; [key: string]: unknown }[];
const pollers: ImapPoller[] = [];
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((p) => p.stop()));
  h?.close();
});

function harness(settings: Parameters<typeof emailHarness>[0] = {}, mailer?: Mailer): Harness {
  logs = [];
  h = emailHarness(settings, { logger: createLogger('debug', (line) => logs.push(JSON.parse(line) as (typeof logs)[number])), ...(mailer ? { mailer } : {}) });
  return h;
}

function start(mailbox: Partial<ImapMailboxConfig> = {}, options: Parameters<typeof startImapPoller>[2] = {}): ImapPoller {
  const poller = startImapPoller(h.services, { url: dovecot.url(), processed: { kind: 'seen' }, pollSeconds: 60, ...mailbox }, { retryMs: 50, maxRetryMs: 200, ...options });
  pollers.push(poller);
  return poller;
}

async function stop(poller: ImapPoller): Promise<void> {
  pollers.splice(pollers.indexOf(poller), 1);
  await poller.stop();
}

/** Waits (for the real server and the poller, never for a clock) until `check` holds. */
/**
 * The mailbox's first mail keeps failing (`failures`, the log lines): retried quickly, it is not
 * set aside while less than 10 minutes have passed (nothing filed, no checkpoint past it); 11
 * minutes later it is, and the mail `behind` it is filed, the checkpoint past both.
 */
async function waitedOutThenPassed(failures: () => unknown[], failingUid: number, behind: { subject: string; uid: number }): Promise<void> {
  await until(() => failures().length >= 4, 'repeated failures');
  expect(await allCases()).toEqual([]);
  expect((await checkpoints()).every((r) => r.lastUid < failingUid)).toBe(true);
  h.clock.advanceMinutes(11);
  await until(async () => (await allCases()).length === 1, 'the mail behind the failing one filed');
  expect((await allCases()).map((c) => c.subject)).toEqual([behind.subject]);
  await until(async () => (await checkpoints()).some((r) => r.lastUid === behind.uid), 'the checkpoint past both');
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${dovecot.log().slice(-2000)}\n${JSON.stringify(logs.slice(-10))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let serial = 0;
function mail(subject: string, from = 'chloe@example.com'): { raw: string; messageId: string } {
  serial += 1;
  const messageId = `<imap-${Date.now()}-${serial}@mail.example.com>`;
  const raw = [
    `From: Chloe Martin <${from}>`,
    'To: Casebook Support <support@example.com>',
    `Subject: ${subject}`,
    'Date: Mon, 2 Mar 2026 09:58:12 +0100',
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset="UTF-8"',
    '',
    `Hello, this is about: ${subject}.`,
    '',
  ].join('\r\n');
  return { raw, messageId };
}

async function flagsOf(mailbox: string): Promise<{ uid: number; seen: boolean; messageId: string | undefined }[]> {
  const client = await dovecot.connect();
  try {
    const lock = await client.getMailboxLock(mailbox);
    try {
      const out: { uid: number; seen: boolean; messageId: string | undefined }[] = [];
      if (client.mailbox && client.mailbox.exists > 0) {
        for await (const m of client.fetch('1:*', { uid: true, flags: true, envelope: true })) out.push({ uid: m.uid, seen: m.flags?.has('\\Seen') ?? false, messageId: m.envelope?.messageId });
      }
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

/** Moves every mail of `from` into `to`, as an operator would from a mail client. */
async function moveAll(from: string, to: string): Promise<void> {
  const client = await dovecot.connect();
  try {
    const lock = await client.getMailboxLock(from);
    try {
      await client.messageMove('1:*', to);
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

async function uidValidityOf(mailbox: string): Promise<string> {
  const client = await dovecot.connect();
  try {
    const status = await client.status(mailbox, { uidValidity: true });
    if (!status) throw new Error(`no STATUS for ${mailbox}`);
    return String(status.uidValidity);
  } finally {
    await client.logout();
  }
}

async function recreate(mailbox: string): Promise<void> {
  const client = await dovecot.connect();
  try {
    await client.mailboxDelete(mailbox).catch(() => undefined);
    await client.mailboxCreate(mailbox);
  } finally {
    await client.logout();
  }
}

/** The files of a mailbox's mail in Dovecot's maildir (INBOX at the root, other folders as `.Name`). */
function mailFiles(mailbox: string): string[] {
  const folder = path.join(dovecot.dir, 'mail', dovecot.user, 'Maildir', mailbox === 'INBOX' ? '' : `.${mailbox}`);
  return ['new', 'cur'].flatMap((sub) => {
    const dir = path.join(folder, sub);
    return fs.existsSync(dir) ? fs.readdirSync(dir).map((name) => path.join(dir, name)) : [];
  });
}

/** Storing a case with this subject fails with "value too long for the index"; every other mail is fine. */
async function refuseSubject(subject: string): Promise<void> {
  if (h.dialect === 'sqlite') {
    await h.run(`CREATE TRIGGER refuse_poison BEFORE INSERT ON cases WHEN NEW.subject = '${subject}' BEGIN SELECT RAISE(ABORT, 'value too long for the index'); END`);
  } else {
    await h.run(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.subject = '${subject}' THEN RAISE EXCEPTION 'value too long for the index'; END IF; RETURN NEW; END $$`);
    await h.run('CREATE TRIGGER refuse_poison BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION refuse_poison()');
  }
}

const label = (mailbox = 'INBOX') => `imap://casebook@127.0.0.1:${dovecot.port}/${mailbox}`;

describe('reading an IMAP mailbox', () => {
  it('files new mail as a case, flags it \\Seen and stores the UID checkpoint under the mailbox URL without the password', async () => {
    harness();
    await recreate('First');
    const first = mail('Invoice charged twice');
    const uid = await dovecot.deliver(first.raw, 'First');
    start({ url: dovecot.url('First') });
    await until(async () => (await allCases()).length === 1, 'the first case');
    const c = (await allCases())[0]!;
    expect(c.channel).toBe('email');
    expect(c.subject).toBe('Invoice charged twice');
    const log = await mailLog();
    expect(log).toEqual([expect.objectContaining({ via: 'imap', mailbox: label('First'), outcome: 'created', messageId: first.messageId.slice(1, -1) })]);
    expect(log[0]!.mailbox).not.toContain('secret');

    await until(async () => (await checkpoints()).some((r) => r.lastUid === uid), 'the checkpoint');
    expect(await checkpoints()).toEqual([expect.objectContaining({ mailbox: label('First'), uidValidity: await uidValidityOf('First'), lastUid: uid })]);
    expect(await flagsOf('First')).toEqual([expect.objectContaining({ uid, seen: true })]);

    // A mail arriving while the poller waits is noticed (IDLE on Dovecot) without a restart.
    const second = mail('Second question');
    await dovecot.deliver(second.raw, 'First');
    await until(async () => (await allCases()).length === 2, 'the second case');
  });

  it('after a restart neither repeats nor loses mail, also when a mail was committed but not yet checkpointed', async () => {
    harness();
    await recreate('Restart');
    const restart = { url: dovecot.url('Restart') };
    const a = mail('Before the restart');
    await dovecot.deliver(a.raw, 'Restart');
    let poller = start(restart);
    await until(async () => (await allCases()).length === 1, 'the case of the first mail');
    await until(async () => (await checkpoints()).some((r) => r.lastUid > 0), 'the checkpoint');
    await stop(poller);

    // Appended while Casebook was down.
    const b = mail('While stopped');
    await dovecot.deliver(b.raw, 'Restart');
    // The checkpoint of the first mail was lost (a crash between commit and checkpoint): it is read again.
    const [row] = await checkpoints();
    await h.services.store.write((q) => q.db.update(q.tables.imapCheckpoints).set({ lastUid: row!.lastUid - 1 }));

    poller = start(restart);
    await until(async () => (await allCases()).length === 2, 'the case of the mail sent while stopped');
    await until(async () => (await mailLog()).length === 3, 'the log of both mails');
    expect((await allCases()).map((c) => c.subject).sort()).toEqual(['Before the restart', 'While stopped']);
    const outcomes = (await mailLog()).map((r) => [r.subject, r.outcome, r.reason]);
    expect(outcomes).toEqual(expect.arrayContaining([['Before the restart', 'created', null], ['Before the restart', 'ignored', 'duplicate'], ['While stopped', 'created', null]]));

    // Another restart with the checkpoint intact reads nothing again.
    await stop(poller);
    start(restart);
    const c = mail('After the second restart');
    await dovecot.deliver(c.raw, 'Restart');
    await until(async () => (await allCases()).length === 3, 'the third case');
    expect(await mailLog()).toHaveLength(4);
  });

  it('on its first read of a mailbox leaves mail someone already read alone, and files the unread', async () => {
    harness();
    await recreate('Old');
    const read = mail('Read long ago');
    const unread = mail('Still waiting');
    await dovecot.deliver(read.raw, 'Old', ['\\Seen']);
    const last = await dovecot.deliver(unread.raw, 'Old');
    start({ url: dovecot.url('Old') });
    await until(async () => (await checkpoints()).some((r) => r.lastUid === last), 'the checkpoint');
    expect((await allCases()).map((c) => c.subject)).toEqual(['Still waiting']);
    expect(logs.find((l) => l.msg.includes('first read'))).toMatchObject({ skipped: 1 });
  });

  it('starts an interrupted first read over as a first read: mail already read stays alone', async () => {
    harness();
    await recreate('Interrupted');
    await refuseCases(h);
    await dovecot.deliver(mail('Read before').raw, 'Interrupted', ['\\Seen']);
    await dovecot.deliver(mail('Unread').raw, 'Interrupted');
    const last = await dovecot.deliver(mail('Read as well').raw, 'Interrupted', ['\\Seen']);
    start({ url: dovecot.url('Interrupted') }, { retryMs: 50, maxRetryMs: 100 });
    await until(() => logs.some((l) => l.level === 'error' && String(l.error).includes('disk is full')), 'the interrupted first read');
    await acceptCases(h);
    await until(async () => (await checkpoints()).some((r) => r.lastUid === last), 'the checkpoint');
    expect((await allCases()).map((c) => c.subject)).toEqual(['Unread']);
  });

  it('moves processed mail to a folder when IMAP_PROCESSED is move:Folder', async () => {
    harness();
    await recreate('Support');
    const m = mail('Please move me');
    await dovecot.deliver(m.raw, 'Support');
    start({ url: dovecot.url('Support'), processed: { kind: 'move', folder: 'Processed' } });
    await until(async () => (await allCases()).length === 1, 'the case');
    const moved = async () => (await flagsOf('Processed')).some((f) => f.messageId === m.messageId);
    const deadline = Date.now() + 10_000;
    while (!(await moved()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await moved()).toBe(true);
    expect(await flagsOf('Support')).toEqual([]);
  });

  it('re-reads a mailbox whose UIDVALIDITY changed, filing only mail not received before', async () => {
    harness();
    await recreate('Sales');
    const old = mail('Received before the change');
    await dovecot.deliver(old.raw, 'Sales');
    let poller = start({ url: dovecot.url('Sales') });
    await until(async () => (await allCases()).length === 1, 'the first case');
    await until(async () => (await checkpoints()).some((r) => r.lastUid > 0), 'the checkpoint');
    await stop(poller);
    const firstValidity = (await checkpoints())[0]!.uidValidity;

    // The mailbox is rebuilt (a server migration): new UIDVALIDITY, the old mail again plus a new one.
    let validity = firstValidity;
    while (validity === firstValidity) {
      await recreate('Sales');
      validity = await uidValidityOf('Sales');
    }
    await dovecot.deliver(old.raw, 'Sales');
    const fresh = mail('After the change');
    await dovecot.deliver(fresh.raw, 'Sales');
    poller = start({ url: dovecot.url('Sales') });
    await until(async () => (await allCases()).length === 2, 'the case of the new mail');
    await until(async () => (await mailLog()).length === 3, 'both mails logged');
    expect((await allCases()).map((c) => c.subject).sort()).toEqual(['After the change', 'Received before the change']);
    expect((await mailLog()).filter((r) => r.reason === 'duplicate').map((r) => r.subject)).toEqual(['Received before the change']);
    expect((await checkpoints()).map((r) => r.uidValidity).sort()).toEqual([firstValidity, validity].sort());
    expect(logs.some((l) => l.msg.includes('UIDVALIDITY changed'))).toBe(true);
  });

  it('fetches only the start of a mail over the size limit, logs it as too-large and tells the sender', async () => {
    const sink = await startSmtp();
    harness({ maxBytes: 4096 }, createMailer(`smtp://127.0.0.1:${sink.port}`, 'Casebook <support@example.com>'));
    await recreate('Big');
    const big = mail('A huge attachment');
    await dovecot.deliver(`${big.raw}${'x'.repeat(76)}\r\n`.repeat(1) + `${'y'.repeat(76)}\r\n`.repeat(200), 'Big');
    start({ url: dovecot.url('Big') });
    await until(async () => (await mailLog()).length === 1, 'the log entry');
    expect(await mailLog()).toEqual([expect.objectContaining({ via: 'imap', outcome: 'ignored', reason: 'too-large', subject: 'A huge attachment', fromAddress: 'chloe@example.com' })]);
    expect((await mailLog())[0]!.size).toBeGreaterThan(15_000);
    expect(await allCases()).toHaveLength(0);
    await h.services.outbox.idle();
    await h.services.outbox.drain();
    await sink.close();
    expect(sink.messages.map((m) => [m.to, m.mail.subject, m.mail.headers.get('auto-submitted')])).toEqual([[['chloe@example.com'], 'Your mail was too large to receive: A huge attachment', 'auto-replied']]);
  });

  it('leaves a mail that could not be stored unmarked and behind the checkpoint, and files it once storing works again', async () => {
    harness();
    await recreate('Faulty');
    // The database refuses new cases (a full disk, say) until the trigger is dropped.
    await refuseCases(h);
    const m = mail('Stored at the second try');
    const uid = await dovecot.deliver(m.raw, 'Faulty');
    start({ url: dovecot.url('Faulty') }, { retryMs: 50, maxRetryMs: 400 });
    const failures = () => logs.filter((l) => l.level === 'error' && String(l.error).includes('disk is full'));
    await until(() => failures().length >= 4, 'the failure logged and retried');
    // Reading the mailbox again does not restart the back-off while the mail keeps failing: 50, 100, 200 ms …
    const at = failures().map((l) => Date.parse(l.time as string));
    expect(at[3]! - at[2]!).toBeGreaterThanOrEqual(195);
    expect((await checkpoints()).every((r) => r.lastUid < uid)).toBe(true);
    expect(await flagsOf('Faulty')).toEqual([expect.objectContaining({ uid, seen: false })]);

    await acceptCases(h);
    await until(async () => (await checkpoints()).some((r) => r.lastUid === uid), 'the checkpoint after the retry');
    expect((await allCases()).map((c) => c.subject)).toEqual(['Stored at the second try']);
    expect(await flagsOf('Faulty')).toEqual([expect.objectContaining({ uid, seen: true })]);
  });

  it('sets a mail that keeps failing aside after repeated attempts, reads the mail behind it, and reads it again once moved back', async () => {
    harness();
    await recreate('Poison');
    await recreate(SET_ASIDE_FOLDER);
    // This one mail fails on every attempt (a defect its content triggers, say); every other mail is fine.
    await refuseSubject('Poison pill');
    const poison = mail('Poison pill');
    const poisonUid = await dovecot.deliver(poison.raw, 'Poison');
    const behind = mail('Printer on fire');
    const behindUid = await dovecot.deliver(behind.raw, 'Poison');
    start({ url: dovecot.url('Poison') }, { retryMs: 20, maxRetryMs: 40, maxMailAttempts: 3, setAsideAfterMs: 10 * 60_000 });
    const failures = () => logs.filter((l) => l.level === 'error' && String(l.error).includes('value too long'));
    // Failing quickly, three attempts and more are not enough while less than 10 minutes have passed: a passing fault is waited out.
    await waitedOutThenPassed(failures, poisonUid, { subject: 'Printer on fire', uid: behindUid });
    const failedLine = (await mailLog()).find((l) => l.messageId === poison.messageId.slice(1, -1));
    expect(failedLine).toMatchObject({ via: 'imap', outcome: 'ignored', fromAddress: 'chloe@example.com', subject: 'Poison pill', caseId: null });
    expect(failedLine!.reason).toMatch(/^failed after \d+ attempts: .*value too long for the index/);
    expect(logs.some((l) => l.msg.includes('set aside'))).toBe(true);
    // Set aside unread in its folder, out of the mailbox; the good mail is \Seen in place.
    expect(await flagsOf(SET_ASIDE_FOLDER)).toEqual([expect.objectContaining({ seen: false, messageId: poison.messageId })]);
    expect(await flagsOf('Poison')).toEqual([expect.objectContaining({ uid: behindUid, seen: true })]);

    // The cause fixed, the operator moves it back: it is new mail to the poller and is filed.
    await h.run(h.dialect === 'sqlite' ? 'DROP TRIGGER refuse_poison' : 'DROP TRIGGER refuse_poison ON cases');
    await moveAll(SET_ASIDE_FOLDER, 'Poison');
    await until(async () => (await allCases()).length === 2, 'the mail moved back filed');
    expect((await allCases()).map((c) => c.subject)).toEqual(['Printer on fire', 'Poison pill']);
  });

  it('counts a mail\'s failures across a restart: set aside by the next poller without being stored again', async () => {
    harness();
    await recreate('Restarted');
    await recreate(SET_ASIDE_FOLDER);
    await refuseSubject('Poison pill');
    const poison = mail('Poison pill');
    const poisonUid = await dovecot.deliver(poison.raw, 'Restarted');
    const behind = mail('Printer on fire');
    const behindUid = await dovecot.deliver(behind.raw, 'Restarted');
    const options = { retryMs: 20, maxRetryMs: 40, maxMailAttempts: 3, setAsideAfterMs: 10 * 60_000 };
    // The attempts' failures (the line that sets the mail aside repeats the error: not counted).
    const failures = () => logs.filter((l) => l.level === 'error' && String(l.error).includes('value too long') && !l.msg.includes('set aside'));
    const first = start({ url: dovecot.url('Restarted') }, options);
    await until(() => failures().length >= 3, 'three failures');
    await stop(first);
    const failed = failures().length;
    expect(await h.query((q) => q.db.select().from(q.tables.imapMailAttempts))).toEqual([
      expect.objectContaining({ mailbox: label('Restarted'), uidValidity: await uidValidityOf('Restarted'), uid: poisonUid, failures: failed, stage: 'receive', inHand: false }),
    ]);
    expect(await allCases()).toEqual([]);

    // Restarted 11 minutes later: the failures before count, so the mail is set aside at once,
    // without another try at storing it, and the mail behind it is filed.
    h.clock.advanceMinutes(11);
    start({ url: dovecot.url('Restarted') }, options);
    await until(async () => (await allCases()).length === 1, 'the mail behind the failing one filed');
    expect((await allCases()).map((c) => c.subject)).toEqual(['Printer on fire']);
    expect(failures()).toHaveLength(failed);
    const line = (await mailLog()).find((l) => l.outcome === 'ignored');
    expect(line).toMatchObject({ via: 'imap', messageId: poison.messageId.slice(1, -1), fromAddress: 'chloe@example.com', subject: 'Poison pill', caseId: null });
    expect(line!.reason).toMatch(new RegExp(`^failed after ${failed} attempts: .*value too long for the index`));
    expect(await flagsOf(SET_ASIDE_FOLDER)).toEqual([expect.objectContaining({ seen: false, messageId: poison.messageId })]);
    await until(async () => (await checkpoints()).some((r) => r.lastUid === behindUid), 'the checkpoint past both');
    expect(await h.query((q) => q.db.select().from(q.tables.imapMailAttempts))).toEqual([]);
  });

  it('marks a mail in hand while it is stored, counts an attempt that never ended as a failure, and sets such a mail aside unread', async () => {
    harness();
    await recreate('Crashing');
    await recreate(SET_ASIDE_FOLDER);
    // While a mail is stored, its attempt is already marked in hand (committed before): what a
    // server killed at that moment leaves behind. A case insert copies the mark aside.
    if (h.dialect === 'sqlite') {
      await h.run('CREATE TABLE marks (mailbox TEXT, uid INTEGER, in_hand INTEGER)');
      await h.run('CREATE TRIGGER copy_marks AFTER INSERT ON cases BEGIN INSERT INTO marks SELECT mailbox, uid, in_hand FROM imap_mail_attempts; END');
    } else {
      await h.run('CREATE TABLE marks (mailbox TEXT, uid BIGINT, in_hand BOOLEAN)');
      await h.run('CREATE FUNCTION copy_marks() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO marks SELECT mailbox, uid, in_hand FROM imap_mail_attempts; RETURN NEW; END $$');
      await h.run('CREATE TRIGGER copy_marks AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION copy_marks()');
    }
    const fine = mail('Printer on fire');
    const fineUid = await dovecot.deliver(fine.raw, 'Crashing');
    const poller = start({ url: dovecot.url('Crashing') }, { maxMailAttempts: 3, setAsideAfterMs: 10 * 60_000 });
    await until(async () => (await allCases()).length === 1, 'the first mail filed');
    await until(async () => (await checkpoints()).some((r) => r.lastUid === fineUid), 'its checkpoint');
    await stop(poller);
    const marks = await h.all<{ mailbox: string; uid: number; in_hand: unknown }>('SELECT mailbox, uid, in_hand FROM marks');
    expect(marks.map((m) => ({ ...m, uid: Number(m.uid), in_hand: Boolean(m.in_hand) }))).toEqual([{ mailbox: label('Crashing'), uid: fineUid, in_hand: true }]);
    expect(await h.query((q) => q.db.select().from(q.tables.imapMailAttempts))).toEqual([]);

    // A mail that brings the server down: three servers took it in hand and never ended (the
    // same calls as the poller's, minutes apart), and a fourth starts 13 minutes after the first.
    const killer = mail('Brings the server down');
    const killerUid = await dovecot.deliver(killer.raw, 'Crashing');
    const behind = mail('Scanner offline');
    await dovecot.deliver(behind.raw, 'Crashing');
    const ref = { mailbox: label('Crashing'), uidValidity: await uidValidityOf('Crashing'), uid: killerUid };
    for (let i = 0; i < 3; i++) {
      await h.services.store.write((q) => beginAttempt(q, ref, h.clock.now()));
      h.clock.advanceMinutes(1);
    }
    h.clock.advanceMinutes(10);
    start({ url: dovecot.url('Crashing') }, { maxMailAttempts: 3, setAsideAfterMs: 10 * 60_000 });
    await until(async () => (await allCases()).length === 2, 'the mail behind it filed');
    expect((await allCases()).map((c) => c.subject)).toEqual(['Printer on fire', 'Scanner offline']);
    // Set aside as it is, never fetched again: the log line names it by its place, with no sender or subject.
    const line = (await mailLog()).find((l) => l.outcome === 'ignored');
    expect(line).toMatchObject({ via: 'imap', messageId: `imap-${ref.uidValidity}-${killerUid}@127.0.0.1`, fromAddress: null, subject: null, caseId: null });
    expect(line!.reason).toBe(`failed after 3 attempts: ${CUT_SHORT}`);
    expect(await flagsOf(SET_ASIDE_FOLDER)).toEqual([expect.objectContaining({ seen: false, messageId: killer.messageId })]);
    expect(await h.query((q) => q.db.select().from(q.tables.imapMailAttempts))).toEqual([]);
  });

  it('sets a mail the server cannot hand over aside after repeated attempts (Dovecot drops the connection at its FETCH), and reads the mail behind it', async () => {
    harness();
    await recreate('Unreadable');
    await recreate(SET_ASIDE_FOLDER);
    const broken = mail('Lost in the server');
    const brokenUid = await dovecot.deliver(broken.raw, 'Unreadable');
    const behind = mail('Scanner offline');
    const behindUid = await dovecot.deliver(behind.raw, 'Unreadable');
    // The broken mail's file cannot be read by the server (a disk error, a bad restore): its
    // FETCH fails, and Dovecot answers that by closing the connection.
    const files = mailFiles('Unreadable').filter((f) => fs.readFileSync(f, 'utf8').includes(broken.messageId));
    expect(files).toHaveLength(1);
    const inode = fs.statSync(files[0]!).ino;
    fs.chmodSync(files[0]!, 0);
    start({ url: dovecot.url('Unreadable') }, { retryMs: 20, maxRetryMs: 40, maxMailAttempts: 3, setAsideAfterMs: 10 * 60_000 });
    const failures = () => logs.filter((l) => l.level === 'error' && l.msg.includes('IMAP mailbox failed'));
    // Failing quickly, three attempts and more are not enough while less than 10 minutes have passed: a passing fault is waited out.
    await waitedOutThenPassed(failures, brokenUid, { subject: 'Scanner offline', uid: behindUid });
    expect(failures()[0]!.error).toMatch(new RegExp(`^the server did not hand over mail UID ${brokenUid} \\(attempt 1\\): `));
    const validity = await uidValidityOf('Unreadable');
    const line = (await mailLog()).find((l) => l.outcome === 'ignored');
    expect(line).toMatchObject({ via: 'imap', messageId: `imap-${validity}-${brokenUid}@127.0.0.1`, fromAddress: null, subject: null, caseId: null });
    expect(line!.reason).toMatch(/^failed after \d+ attempts: the server could not hand it over: /);
    expect(logs.some((l) => l.msg.includes('set aside'))).toBe(true);
    // Set aside unread in its folder (the same file), out of the mailbox; the good mail is \Seen in place.
    expect(mailFiles(SET_ASIDE_FOLDER).map((f) => fs.statSync(f).ino)).toEqual([inode]);
    expect(await flagsOf('Unreadable')).toEqual([expect.objectContaining({ uid: behindUid, seen: true })]);

    // The file mended, the operator moves it back: it is new mail to the poller and is filed.
    fs.chmodSync(mailFiles(SET_ASIDE_FOLDER)[0]!, 0o600);
    expect(await flagsOf(SET_ASIDE_FOLDER)).toEqual([expect.objectContaining({ seen: false, messageId: broken.messageId })]);
    await moveAll(SET_ASIDE_FOLDER, 'Unreadable');
    await until(async () => (await allCases()).length === 2, 'the mail moved back filed');
    expect((await allCases()).map((c) => c.subject)).toEqual(['Scanner offline', 'Lost in the server']);
  });

  it('logs a refused login and retries with back-off while the server keeps serving', async () => {
    harness();
    start({ url: dovecot.url('INBOX', 'wrong-password') });
    await until(() => logs.filter((l) => l.level === 'error' && l.msg.includes('IMAP mailbox failed')).length >= 2, 'two failed attempts', 30_000);
    const failures = logs.filter((l) => l.msg.includes('IMAP mailbox failed'));
    expect(failures[0]).toMatchObject({ level: 'error', mailbox: label() });
    expect(JSON.stringify(failures)).not.toContain('wrong-password');
    const health = await h.app.request('/health');
    expect(health.status).toBe(200);
    expect(await allCases()).toHaveLength(0);
  }, 60_000);
});

describe('reading an IMAP mailbox from a server without IDLE', () => {
  let plain: Dovecot;
  beforeAll(async () => {
    plain = await startDovecot({ extraConfig: ['imap_capability = IMAP4rev1 LITERAL+ UIDPLUS MOVE'] });
  }, 30_000);
  afterAll(async () => {
    await plain?.stop();
  });

  it('polls every IMAP_POLL_SECONDS', async () => {
    harness();
    const poller = startImapPoller(h.services, { url: plain.url(), processed: { kind: 'seen' }, pollSeconds: 1 }, { retryMs: 50 });
    pollers.push(poller);
    await until(() => logs.some((l) => l.msg === 'email: reading IMAP mailbox'), 'the session');
    expect(logs.find((l) => l.msg === 'email: reading IMAP mailbox')).toMatchObject({ idle: false });
    await plain.deliver(mail('Found by polling').raw);
    await until(async () => (await allCases()).length === 1, 'the case');
  });
});

describe('an IMAP server that goes away', () => {
  it('is reconnected to with back-off, and mail delivered meanwhile is read once it is back', async () => {
    harness();
    let server = await startDovecot();
    const port = server.port;
    try {
      const poller = startImapPoller(h.services, { url: server.url(), processed: { kind: 'seen' }, pollSeconds: 60 }, { retryMs: 50, maxRetryMs: 500 });
      pollers.push(poller);
      await server.deliver(mail('Before the outage').raw);
      await until(async () => (await allCases()).length === 1, 'the first case');
      await server.stop();
      await until(() => logs.filter((l) => l.level === 'error' && l.msg.includes('IMAP mailbox failed')).length >= 5, 'the outage logged, and retried');
      // Each attempt waited 50 ms, then 100, 200, 400 (the back-off doubles up to 500 ms).
      const at = logs.filter((l) => l.msg.includes('IMAP mailbox failed')).map((l) => Date.parse(l.time as string));
      for (let i = 1; i < 5; i += 1) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(Math.min(50 * 2 ** (i - 1), 500) - 5);
      server = await startDovecot({ port, mailOf: server }); // the same server back, its mailbox kept
      await server.deliver(mail('After the outage').raw);
      await until(async () => (await allCases()).length === 2, 'the case after the outage', 20_000);
      expect((await allCases()).map((c) => c.subject).sort()).toEqual(['After the outage', 'Before the outage']);
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('the test Dovecot', () => {
  it('fails, never skips, when Dovecot is not installed, naming the command that installs it', async () => {
    await expect(startDovecot({ binary: '/nonexistent/sbin/dovecot' })).rejects.toThrow('Install it with: sudo apt-get install -y dovecot-imapd');
  });
});

describe('stopping', () => {
  it('does not wait for a server that accepted the connection but never answers', async () => {
    harness();
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const poller = startImapPoller(h.services, { url: `imap://u:p@127.0.0.1:${port}/INBOX`, processed: { kind: 'seen' }, pollSeconds: 60 }, { stopGraceMs: 100 });
      await until(() => sockets.length === 1, 'the connection');
      const started = Date.now();
      await poller.stop();
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
