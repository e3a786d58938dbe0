/**
 * Reads an IMAP mailbox into the one inbound pipeline. Every mail after the mailbox's UID
 * checkpoint is fetched, goes through `receiveEmail` (which commits what it became), is then
 * marked \Seen or moved, and only then does the checkpoint advance: a restart resumes after
 * the last committed mail, and a mail processed but not yet checkpointed is read again and
 * ignored as a duplicate of its Message-ID. New mail is noticed by IDLE where the server
 * offers it and by polling every `pollSeconds` in any case. Errors (connection, login, a
 * failing mail) are logged and retried with back-off; they never reach the server process.
 */
import type { ImapFlow } from 'imapflow';
import type { MailboxState } from '../../db/schema/index.js';
import type { Services } from '../../services.js';
import { clipText } from '../../text/clip-text.js';
import { beginAttempt, endAttempts, failAttempt, failureWords, type Attempts } from './imap-attempts.js';
import { hasOtherValidity, readCheckpoint, writeCheckpoint } from './imap-checkpoints.js';
import { parseImapUrl, type ImapEndpoint, type ImapMailboxConfig } from './imap-config.js';
import { describeImapError } from './imap-errors.js';
import { logMailOn } from './mail-log.js';
import { headersOnly, loggedMessageId } from './parse-mail.js';
import { receiveEmail } from './receive-email.js';

/** What the poller is doing, in words (the console shows it); `mailAt` when a mail was just received. */
export interface ImapPollerStatus {
  state: Exclude<MailboxState, 'stopped'>;
  text: string;
  mailAt?: number;
}

export interface ImapPollerOptions {
  /** Back-off after an error: first wait, doubled on each further error up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  /** Connection and greeting timeout. */
  timeoutMs?: number;
  /** How long stop() lets the mail in hand and the logout take before cutting the connection (default 5 s). */
  stopGraceMs?: number;
  /**
   * A mail whose processing fails (receiveEmail throws: a database refusal, a defect), or that
   * the server fails to hand over (its FETCH fails: Dovecot, for one, drops the connection when
   * it cannot read a mail's file), is tried again with the back-off; after `maxMailAttempts`
   * failures (default 5) spanning at least `setAsideAfterMs` of the clock (default 10 min) it is
   * set aside: logged as `ignored` with the error, moved to SET_ASIDE_FOLDER, and the mail behind
   * it is read. The attempts are counted in the database (imap-attempts.ts), across restarts;
   * an attempt that never ended (the server died on the mail) counts as a failure.
   */
  maxMailAttempts?: number;
  setAsideAfterMs?: number;
  /** Told whenever the poller connects, waits, receives a mail or fails (the supervisor records it for the console). */
  onStatus?: (status: ImapPollerStatus) => void;
}

export interface ImapPoller {
  /** The mailbox URL without its password. */
  readonly label: string;
  /** Checks the mailbox now (instead of at the next IDLE notice or poll). */
  check(): void;
  stop(): Promise<void>;
}

/** Only the start of a mail over the size limit is fetched: the pipeline logs it as too large from its headers. */
const OVERSIZE_HEAD = 64 * 1024;
/**
 * IDLE is renewed at least this often: before imapflow's 5-minute socket watchdog (which keeps
 * the connection but does not restart IDLE) and well within the 29 minutes servers allow.
 */
const IDLE_RENEW_MS = 4 * 60_000;
/** How long stop() lets the current mail and the logout take before closing the connection. */
const STOP_GRACE_MS = 5_000;

const message = describeImapError;

/** Where a mail that keeps failing is moved (created when missing); moved back to the mailbox, it is read again. */
export const SET_ASIDE_FOLDER = 'Casebook-Failed';
const MAX_MAIL_ATTEMPTS = 5;
const SET_ASIDE_AFTER_MS = 10 * 60_000;

export function startImapPoller(services: Services, mailbox: ImapMailboxConfig, options: ImapPollerOptions = {}): ImapPoller {
  const endpoint: ImapEndpoint = 'endpoint' in mailbox ? mailbox.endpoint : parseImapUrl(mailbox.url);
  const { logger, store } = services;
  const report = (status: ImapPollerStatus) => {
    try {
      options.onStatus?.(status);
    } catch (error) {
      logger.warn('email: recording the IMAP mailbox status failed', { mailbox: endpoint.label, error: message(error) });
    }
  };
  const where = mailbox.console ? { defaultQueue: mailbox.console.queue, mailboxId: mailbox.console.id, mailboxName: mailbox.console.name } : {};
  const firstRetry = options.retryMs ?? 1_000;
  const maxRetry = options.maxRetryMs ?? 5 * 60_000;
  const pollMs = mailbox.pollSeconds * 1000;
  const log = { mailbox: endpoint.label };
  const maxAttempts = Math.max(1, options.maxMailAttempts ?? MAX_MAIL_ATTEMPTS);
  const setAsideAfter = options.setAsideAfterMs ?? SET_ASIDE_AFTER_MS;
  /** A mail failed often enough, for long enough, to be set aside (its attempts are in the database: imap-attempts.ts). */
  const givenUp = (a: Attempts) => a.failures >= maxAttempts && a.firstFailedAt !== null && services.clock.now() - a.firstFailedAt >= setAsideAfter;

  let stopped = false;
  let client: ImapFlow | null = null;
  let pending = false;
  let wake: (() => void) | null = null;
  const nudge = () => {
    pending = true;
    wake?.();
  };
  /** Waits for `ms`, a nudge (new mail, check(), stop()) or whichever comes first. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (pending || stopped) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  /** Everything after the checkpoint, oldest first; returns when the mailbox is read to its end. */
  async function drain(c: ImapFlow): Promise<void> {
    while (!stopped) {
      pending = false;
      // Ends an IDLE in progress and brings the message count up to date on servers without IDLE.
      await c.noop();
      const info = c.mailbox;
      if (!info) throw new Error('the mailbox is not open');
      const uidValidity = String(info.uidValidity);
      let last = await store.query((q) => readCheckpoint(q, endpoint.label, uidValidity));
      // The very first read of a mailbox skips mail someone already read (\Seen): an old
      // mailbox's history does not become a flood of cases. After a UIDVALIDITY change every
      // mail is read again (those already received are only logged as duplicates).
      let firstRead = false;
      if (last === null) {
        if (await store.query((q) => hasOtherValidity(q, endpoint.label, uidValidity))) logger.warn('email: IMAP UIDVALIDITY changed; reading the mailbox again (mail already received is ignored as duplicate)', { ...log, uidValidity });
        else firstRead = true;
        last = 0;
      }
      const found: { uid: number; size: number; seen: boolean }[] = [];
      if (info.exists > 0) {
        for await (const m of c.fetch(`${last + 1}:*`, { uid: true, size: true, flags: true }, { uid: true })) {
          if (m.uid > last) found.push({ uid: m.uid, size: m.size ?? 0, seen: m.flags?.has('\\Seen') ?? false });
        }
      }
      found.sort((a, b) => a.uid - b.uid);
      if (firstRead) {
        const skipped = found.filter((m) => m.seen);
        if (skipped.length > 0) logger.info('email: first read of the IMAP mailbox; mail already read (\\Seen) is left alone', { ...log, skipped: skipped.length });
      }
      // The first read writes its checkpoint only once it is complete: interrupted, it starts
      // over as a first read, and the mail it already filed is \Seen (or moved) by then.
      for (const { uid, size, seen } of found) {
        if (stopped) return;
        if (!(firstRead && seen)) await processOne(c, uidValidity, uid, size, !firstRead);
      }
      if (firstRead || (await store.query((q) => readCheckpoint(q, endpoint.label, uidValidity))) === null) {
        const at = services.clock.now();
        await store.write((q) => writeCheckpoint(q, endpoint.label, uidValidity, found.at(-1)?.uid ?? 0, at));
      }
      if (found.length === 0) return;
    }
  }

  async function processOne(c: ImapFlow, uidValidity: string, uid: number, size: number, checkpoint: boolean): Promise<void> {
    const tooLarge = size > services.email.maxBytes;
    const ref = { mailbox: endpoint.label, uidValidity, uid };
    /** The mail is done with (received, set aside or gone): the checkpoint passes it and its attempts are forgotten, together. */
    const passed = () =>
      store.write(async (q) => {
        if (checkpoint) await writeCheckpoint(q, endpoint.label, uidValidity, uid, services.clock.now());
        await endAttempts(q, ref);
      });
    /** Sets the mail aside and passes it: the mail behind it is read. */
    const giveUp = async (raw: Buffer | null, failed: Attempts): Promise<void> => {
      await setAside(c, uid, raw, size, failed.failures, failureWords(failed));
      await passed();
    };
    /**
     * Counts the failure of the attempt in hand. Null when even that cannot be written (the
     * database refuses writes): the attempt stays in hand and the next one counts it as cut
     * short; the caller goes on with the mail's own error.
     */
    const counted = (stage: 'fetch' | 'receive', error: unknown): Promise<Attempts | null> =>
      store
        .write((q) => failAttempt(q, ref, stage, message(error), services.clock.now()))
        .catch((countError: unknown) => {
          logger.warn('email: could not count the failed attempt at an IMAP mail', { ...log, uid, error: message(countError) });
          return null;
        });
    // In hand from here until it is passed or its failure is counted: cut short (the server
    // killed on this very mail, say), the next attempt counts it.
    const before = await store.write((q) => beginAttempt(q, ref, services.clock.now()));
    if (givenUp(before) && before.stage !== 'receive') {
      // Not fetched again: with Dovecot every try at a mail it cannot read costs the connection,
      // and a mail whose attempts never ended may be what brought the server down. Set aside
      // as it is, unread.
      await giveUp(null, before);
      return;
    }
    let fetched;
    try {
      fetched = await c.fetchOne(String(uid), { uid: true, source: tooLarge ? { start: 0, maxLength: OVERSIZE_HEAD } : true }, { uid: true });
    } catch (error) {
      // Counted against this mail; a connection lost by chance at this moment is counted too,
      // which the span of setAsideAfter (many retries, minutes apart) makes harmless.
      const failed = await counted('fetch', error);
      // Said with the mail's UID: "Connection not available" alone does not tell the operator which mail.
      throw new Error(`the server did not hand over mail UID ${uid} (attempt ${failed?.failures ?? before.failures + 1}): ${message(error)}`, { cause: error });
    }
    if (fetched && fetched.source) {
      // Storing it failed often enough already (the set-aside was cut short, or the limits
      // changed): set aside with its headers in the log line, without storing it again.
      if (givenUp(before)) return giveUp(fetched.source, before);
      let outcome;
      try {
        outcome = await receiveEmail(services, fetched.source, { via: 'imap', mailbox: endpoint.label, ...where, ...(tooLarge ? { size } : {}) });
      } catch (error) {
        const failed = await counted('receive', error);
        // A passing fault (a busy or briefly unreachable database) is retried; only a mail that
        // fails again and again, for long enough, is set aside so the mail behind it is read.
        if (!failed || !givenUp(failed)) throw error;
        await giveUp(fetched.source, failed);
        return;
      }
      services.outbox.kick();
      report({ state: 'connected', text: `Reading ${endpoint.path}`, mailAt: services.clock.now() });
      logger.info('email: IMAP mail received', { ...log, uid, result: outcome.result, ...(outcome.case ? { case: outcome.case } : {}), ...(outcome.reason ? { reason: outcome.reason } : {}) });
      if (mailbox.processed.kind === 'move') {
        const moved = await c.messageMove(String(uid), mailbox.processed.folder, { uid: true });
        if (!moved) throw new Error(`could not move mail ${uid} to ${mailbox.processed.folder}`);
      } else {
        await c.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
      }
    }
    // Gone meanwhile (deleted by someone else): nothing to receive, the checkpoint passes it.
    await passed();
  }

  /**
   * Logs the mail as `ignored` with the error (the console's mail log shows it) and moves it to
   * SET_ASIDE_FOLDER, unread: moved back into the mailbox after the cause is fixed, it is read
   * as new mail. The log line is written first: when even that fails (the database is down),
   * nothing is set aside and the mail is tried again. `raw` null: the server never handed the
   * mail over, so the line names it by its place (`imap-<UIDVALIDITY>-<UID>@<host>`), with no
   * sender or subject.
   */
  async function setAside(c: ImapFlow, uid: number, raw: Buffer | null, size: number, attempts: number, error: string): Promise<void> {
    const head = raw ? headersOnly(raw) : { messageId: null, from: null, subject: null };
    const messageId = raw ? loggedMessageId(raw, head) : `imap-${c.mailbox ? String(c.mailbox.uidValidity) : 'unknown'}-${uid}@${endpoint.host}`;
    const reason = clipText(`failed after ${attempts} attempts: ${error}`, 300);
    await store.query((q) =>
      logMailOn(q, { via: 'imap', mailbox: endpoint.label, mailboxId: where.mailboxId ?? null, messageId, from: head.from, subject: head.subject, size: Math.max(size, raw?.length ?? 0), outcome: 'ignored', reason, caseId: null, at: services.clock.now() }),
    );
    logger.error('email: IMAP mail set aside after repeated failures; the mail behind it is read', { ...log, uid, attempts, error, folder: SET_ASIDE_FOLDER });
    await c.mailboxCreate(SET_ASIDE_FOLDER).catch(() => undefined);
    const moved = await c.messageMove(String(uid), SET_ASIDE_FOLDER, { uid: true }).catch(() => false);
    if (!moved) logger.warn('email: could not move the mail set aside; it stays unread in the mailbox', { ...log, uid, folder: SET_ASIDE_FOLDER });
  }

  async function session(): Promise<void> {
    // Loaded only when a mailbox is read.
    const { ImapFlow } = await import('imapflow');
    const c = new ImapFlow({
      host: endpoint.host,
      port: endpoint.port,
      secure: endpoint.secure,
      auth: { user: endpoint.user, pass: endpoint.pass },
      logger: false,
      // IDLE is entered by the wait below as soon as the mailbox is read, not after imapflow's 15 s delay.
      disableAutoIdle: true,
      ...(options.timeoutMs ? { connectionTimeout: options.timeoutMs, greetingTimeout: options.timeoutMs } : {}),
    });
    client = c;
    let closed!: () => void;
    const gone = new Promise<void>((resolve) => (closed = resolve));
    c.on('error', (error: unknown) => logger.warn('email: IMAP connection error', { ...log, error: message(error) }));
    let active = true;
    c.on('close', () => {
      closed();
      // Only this session's own wait is cut short; a late close must not shorten the back-off.
      if (active) wake?.();
    });
    c.on('exists', nudge);
    try {
      // After a failure the reason stays visible while the next attempt connects (a silent host can take a while).
      report({ state: 'connecting', text: `Connecting to ${endpoint.host}:${endpoint.port}${lastError ? ` again; the last attempt failed: ${lastError}` : ''}` });
      await c.connect();
      if (mailbox.processed.kind === 'move') {
        // The folder is created once if missing (an existing folder answers ALREADYEXISTS).
        await c.mailboxCreate(mailbox.processed.folder).catch(() => undefined);
      }
      const lock = await c.getMailboxLock(endpoint.path);
      try {
        const idle = c.capabilities.has('IDLE');
        logger.info('email: reading IMAP mailbox', { ...log, idle });
        lastError = null;
        report({ state: 'connected', text: `Reading ${endpoint.path}` });
        let open = true;
        void gone.then(() => (open = false));
        while (!stopped && open) {
          await drain(c);
          // The back-off starts over only once the mailbox was read to its end (a mail that keeps
          // failing keeps the waits growing).
          retry = firstRetry;
          if (stopped || !open) break;
          // IDLE until new mail (an EXISTS notice nudges), check(), stop() or the poll interval;
          // the next command ends the IDLE.
          report({ state: 'idle', text: idle ? `Waiting for new mail in ${endpoint.path} (IDLE; also checked every ${mailbox.pollSeconds} s)` : `Checking ${endpoint.path} every ${mailbox.pollSeconds} s (the server has no IDLE)` });
          if (idle) c.idle().catch((error: unknown) => logger.debug('email: IMAP IDLE ended', { ...log, error: message(error) }));
          await pause(idle ? Math.min(pollMs, IDLE_RENEW_MS) : pollMs);
        }
        if (!stopped && !open) throw new Error('the server closed the connection');
      } finally {
        lock.release();
      }
      if (c.usable) await c.logout();
    } finally {
      active = false;
      client = null;
      if (c.usable) c.close();
    }
  }

  let retry = firstRetry;
  let lastError: string | null = null;
  const running = (async () => {
    while (!stopped) {
      try {
        await session();
      } catch (error) {
        if (stopped) break;
        lastError = message(error);
        logger.error('email: IMAP mailbox failed; retrying', { ...log, error: lastError, retryInSeconds: Math.round(retry / 1000) });
        report({ state: 'error', text: `${message(error)}. Retrying in ${retry < 1000 ? `${retry} ms` : `${Math.round(retry / 1000)} s`}.` });
        await pause(retry);
        pending = false;
        retry = Math.min(retry * 2, maxRetry);
      }
    }
  })();

  return {
    label: endpoint.label,
    check: nudge,
    async stop() {
      stopped = true;
      wake?.();
      // The mail in hand is finished and the session logs out; a server that does not answer is cut off.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), options.stopGraceMs ?? STOP_GRACE_MS)));
      if ((await Promise.race([running, late])) === 'late') {
        // Also a connection still being set up (connect() waiting for a silent server).
        try {
          client?.close();
        } catch {
          // already closed
        }
        await running;
      }
      clearTimeout(timer);
    },
  };
}
