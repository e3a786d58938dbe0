/**
 * Runs one IMAP poller per enabled console mailbox. `start()` starts them all (main.ts, after
 * the server listens); `changed(id)` — called by the console after a mailbox is added,
 * edited, enabled, disabled or deleted — stops that mailbox's poller and starts it again with
 * what is stored now, without a server restart; `stop()` stops them all on shutdown.
 * Changes to one mailbox are applied one after the other, in order.
 *
 * What each poller does (connecting, waiting for mail, an error and its back-off, the last
 * mail) is written to the mailbox's status columns for the console. A password that cannot
 * be opened — no CHANNELS_KEY, another key, altered — is logged at start-up and shown as the
 * mailbox's error; that mailbox is not read, the others are.
 *
 * Several instances on PostgreSQL each run a poller per enabled mailbox (the Message-ID makes
 * a mail one case whichever reads it). A console change reaches only the instance that made
 * it, so with a relay `changed(id)` also signals the mailbox's id to the other instances,
 * whose supervisors restart or stop its poller in turn (and re-read every mailbox after a
 * resync); before, a mailbox disabled, deleted or pointed at another queue through one
 * instance was still read, as it was, by the others until they restarted.
 */
import type { LiveRelay } from '../../db/live-relay.js';
import type { Services, MailboxControl } from '../../services.js';
import { SecretError } from '../secrets.js';
import { startImapPoller, type ImapPoller, type ImapPollerOptions, type ImapPollerStatus } from './imap.js';
import { findMailbox, listMailboxes, mailboxConfig, writeMailboxStatus, type StatusUpdate } from './mailbox-store.js';

export interface MailboxSupervisor extends MailboxControl {
  /** Starts a poller for every enabled mailbox stored (resolves once they are started). */
  start(): Promise<void>;
  /** Stops every poller (the mail in hand is finished) and marks the mailboxes stopped. */
  stop(): Promise<void>;
  /** Resolves once every change asked for so far has been applied and every status written (tests). */
  settled(): Promise<void>;
  /** Ids of the mailboxes being read now. */
  running(): number[];
}

export interface MailboxSupervisorOptions {
  /** Passed to every poller (back-off, timeouts). */
  poller?: Omit<ImapPollerOptions, 'onStatus'>;
  /** Several instances on PostgreSQL: console changes cross to the other instances' supervisors (MAILBOXES_TOPIC). */
  relay?: LiveRelay;
}

/** The relay topic of a console mailbox's change: `{ id }`. */
export const MAILBOXES_TOPIC = 'mailboxes';

interface Running {
  poller: ImapPoller;
  /** Cleared before the poller is stopped, so a late report cannot overwrite what follows. */
  live: boolean;
}

export function createMailboxSupervisor(services: Services, options: MailboxSupervisorOptions = {}): MailboxSupervisor {
  const { logger, clock } = services;
  const running = new Map<number, Running>();
  const chains = new Map<number, Promise<void>>();
  let stopping = false;
  /** Status writes, one after the other (the console shows the last one reported). */
  let statuses: Promise<void> = Promise.resolve();

  const record = (id: number, update: Omit<StatusUpdate, 'at'>): Promise<void> => {
    const at = clock.now();
    statuses = statuses
      .then(() => services.store.write((q) => writeMailboxStatus(q, id, { ...update, at })))
      .catch((error: unknown) => {
        logger.warn('channels: could not record a mailbox status', { mailbox: id, error: error instanceof Error ? error.message : String(error) });
      });
    return statuses;
  };

  async function halt(id: number): Promise<void> {
    const current = running.get(id);
    if (!current) return;
    running.delete(id);
    current.live = false;
    await current.poller.stop();
  }

  /** Starts the mailbox as stored now (nothing when it is disabled or gone). */
  async function launch(id: number, atStartUp: boolean): Promise<void> {
    const row = await services.store.query((q) => findMailbox(q, id));
    if (!row) return;
    if (!row.enabled) {
      void record(id, { state: 'stopped', text: 'Disabled' });
      return;
    }
    let config;
    try {
      config = mailboxConfig(services, row);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      const reason = error instanceof SecretError ? error.reason : 'no-password';
      logger.error(`channels: the mailbox "${row.name}" is not read: its password cannot be opened`, { mailbox: id, reason, error: text, ...(atStartUp ? { at: 'start-up' } : {}) });
      void record(id, { state: 'error', text: `Not read: ${text}` });
      return;
    }
    const entry: Running = { poller: undefined as unknown as ImapPoller, live: true };
    let last = '';
    const onStatus = (s: ImapPollerStatus) => {
      if (!entry.live) return;
      const key = `${s.state}\n${s.text}`;
      if (key === last && s.mailAt === undefined) return;
      last = key;
      void record(id, { state: s.state, text: s.text, ...(s.mailAt !== undefined ? { mailAt: s.mailAt } : {}) });
    };
    entry.poller = startImapPoller(services, config, { ...options.poller, onStatus });
    running.set(id, entry);
  }

  /** Runs `step` after whatever is already queued for this mailbox. */
  function enqueue(id: number, step: () => Promise<void> | void): Promise<void> {
    const previous = chains.get(id) ?? Promise.resolve();
    const next = previous.then(step).catch((error: unknown) => {
      logger.error('channels: applying a mailbox change failed', { mailbox: id, error: error instanceof Error ? error.message : String(error) });
      void record(id, { state: 'error', text: `Not read: ${error instanceof Error ? error.message : String(error)}` });
    });
    chains.set(id, next);
    void next.then(() => {
      if (chains.get(id) === next) chains.delete(id);
    });
    return next;
  }

  /** Restarts the mailbox's poller with what is stored now (or stops it), after what is queued for it. */
  function apply(id: number): void {
    if (stopping) return;
    void enqueue(id, async () => {
      await halt(id);
      if (!stopping) await launch(id, false);
    });
  }

  const relay = options.relay;
  const unsubscribe = relay
    ? [
        relay.receive(MAILBOXES_TOPIC, (message) => {
          const id = (message as { id?: unknown } | null)?.id;
          if (typeof id === 'number' && Number.isSafeInteger(id)) apply(id);
        }),
        // Signals may have been missed: every mailbox stored, and every one read here, as stored now.
        relay.onResync(() => {
          void services.store
            .query((q) => listMailboxes(q))
            .then((rows) => {
              for (const id of new Set([...rows.map((row) => row.id), ...running.keys()])) apply(id);
            })
            .catch((error: unknown) => logger.warn('channels: could not re-read the mailboxes after a resync', { error: error instanceof Error ? error.message : String(error) }));
        }),
      ]
    : [];

  return {
    async start() {
      const rows = await services.store.query((q) => listMailboxes(q));
      // At once, not queued: a password that cannot be opened is logged before the server says it runs.
      for (const row of rows) {
        try {
          await launch(row.id, true);
        } catch (error) {
          logger.error('channels: starting a mailbox failed', { mailbox: row.id, error: error instanceof Error ? error.message : String(error) });
        }
      }
      const enabled = rows.filter((r) => r.enabled).length;
      if (rows.length > 0) logger.info('channels: reading console mailboxes', { enabled, disabled: rows.length - enabled });
    },
    changed(id) {
      if (stopping) return;
      apply(id);
      // Called after the change committed: the other instances read it as stored.
      relay?.send(MAILBOXES_TOPIC, { id });
    },
    release(id) {
      return enqueue(id, () => halt(id));
    },
    async stop() {
      stopping = true;
      for (const off of unsubscribe) off();
      await Promise.all([...chains.values()]);
      const ids = [...running.keys()];
      await Promise.all(ids.map((id) => halt(id)));
      for (const id of ids) void record(id, { state: 'stopped', text: 'Not running: Casebook stopped' });
      await statuses;
    },
    async settled() {
      while (chains.size > 0) await Promise.all([...chains.values()]);
      await statuses;
    },
    running: () => [...running.keys()],
  };
}
