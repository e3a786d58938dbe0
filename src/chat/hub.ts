/**
 * The stream hub: who is listening to which chat, in memory. It carries no data of its own:
 * a `messages` signal tells a listener to read the chat's messages after the last sequence
 * number it sent (from the database), so a signal that is lost, doubled or arrives before
 * the commit can neither lose nor double a message. Typing is ephemeral and goes through
 * as it is. Signals raised inside a transaction are delivered after it (`afterCommit`).
 *
 * With a `relay` (several instances on one database, src/db/live-relay.ts) a signal published
 * here also goes to the other instances, whose listeners get it as their own; one relayed
 * from elsewhere reaches the listeners here only, and after the relay reconnects every
 * listener here gets `messages` and `state` (a re-read repairs whatever was missed).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { LiveRelay } from '../db/live-relay.js';

export type HubSignal =
  | { kind: 'messages' }
  | { kind: 'typing'; who: 'visitor' | 'agent'; name: string }
  | { kind: 'state' };

export type HubListener = (signal: HubSignal) => void;

/** A stream's place among its holder's (`ChatHub.takeStream`). */
export interface StreamSlot {
  /** Names the stream to its window (the `ready` event), which names it back when it replaces it. */
  id: string;
  /** Gives the place back once the stream has closed; more calls, or a call after it was replaced, do nothing. */
  release(): void;
  /** How the stream is closed when a later stream of its holder replaces it (at once if it already was). */
  onReplaced(close: () => void): void;
}

interface OpenStream {
  replaced: boolean;
  close: (() => void) | null;
}

/** The relay's topic for hub signals. */
export const HUB_TOPIC = 'chat';
/** A relayed typing name is cut to this many characters (visitor names are at most 200). */
export const RELAYED_NAME_MAX = 200;

/** What crosses to other instances: the chat, the case, the signal (ids and kinds; a typing name). */
const relayed = z.object({
  session: z.number().int().positive(),
  case: z.number().int().positive().nullable(),
  signal: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('messages') }),
    z.object({ kind: z.literal('state') }),
    z.object({ kind: z.literal('typing'), who: z.enum(['visitor', 'agent']), name: z.string().max(RELAYED_NAME_MAX) }),
  ]),
});

export interface ChatHubOptions {
  /** Other instances on the same database (default none: this process is the only one). */
  relay?: LiveRelay;
  /** Runs a signal once the write in progress has committed (the store's `afterCommit`; default: the next turn, right for SQLite). */
  afterCommit?: (fn: () => void) => void;
}

export class ChatHub {
  readonly #sessions = new Map<number, Set<HubListener>>();
  readonly #cases = new Map<number, Set<HubListener>>();
  readonly #queues = new Map<number, Promise<unknown>>();
  /** Open streams per holder, by slot id. */
  readonly #streams = new Map<string, Map<string, OpenStream>>();
  readonly #relay: LiveRelay | null;
  readonly #afterCommit: (fn: () => void) => void;

  constructor(options: ChatHubOptions = {}) {
    this.#relay = options.relay ?? null;
    this.#afterCommit = options.afterCommit ?? ((fn) => void setImmediate(fn));
    this.#relay?.receive(HUB_TOPIC, (message) => {
      const parsed = relayed.safeParse(message);
      if (parsed.success) this.#deliver(parsed.data.session, parsed.data.case, parsed.data.signal);
    });
    this.#relay?.onResync(() => this.#resync());
  }

  /** Runs `work` after the session's earlier work (a visitor's first messages must not make two cases). */
  serialize<T>(sessionId: number, work: () => Promise<T>): Promise<T> {
    const before = this.#queues.get(sessionId) ?? Promise.resolve();
    const next = before.then(work, work);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(sessionId, settled);
    void settled.then(() => {
      if (this.#queues.get(sessionId) === settled) this.#queues.delete(sessionId);
    });
    return next;
  }

  /** Listens to one chat session (the visitor's stream); returns the unsubscribe. */
  subscribe(sessionId: number, listener: HubListener): () => void {
    return add(this.#sessions, sessionId, listener);
  }

  /**
   * Takes one of the `max` streams one holder may keep open at once (a visitor session's tabs,
   * `visitor:<id>`; a staff sign-in's, `staff:<session>`), counted from the moment it is taken,
   * before any await: concurrent requests cannot all slip under the bound. Returns the slot
   * (release it once the stream closes), or null when all are taken: the new stream is refused,
   * the open ones keep going.
   *
   * `replaces` names a stream of the same holder that its window has given up on (`StreamSlot.id`,
   * which the stream's `ready` event tells): one that fell silent without closing, cut by a proxy
   * or a NAT, which this side cannot tell from a live one. It is closed and its slot is free
   * before the bound is checked: before, each such reconnect left a slot held until TCP gave up
   * on the dead connection (many minutes), and a window that lost its stream a few times was
   * refused its next one. An id that is not one of this holder's open streams changes nothing.
   */
  takeStream(holder: string, max: number, replaces?: string | null): StreamSlot | null {
    let open = this.#streams.get(holder);
    const old = replaces ? open?.get(replaces) : undefined;
    if (old) {
      open!.delete(replaces!);
      old.replaced = true;
      old.close?.();
    }
    if ((open?.size ?? 0) >= max) return null;
    if (!open) this.#streams.set(holder, (open = new Map()));
    const id = randomBytes(9).toString('base64url');
    const entry: OpenStream = { replaced: false, close: null };
    open.set(id, entry);
    const streams = this.#streams;
    const held = open;
    return {
      id,
      release() {
        if (held.get(id) !== entry) return;
        held.delete(id);
        if (held.size === 0 && streams.get(holder) === held) streams.delete(holder);
      },
      onReplaced(close) {
        if (entry.replaced) close();
        else entry.close = close;
      },
    };
  }

  /** Listens to the chats of a case (the agent's stream); returns the unsubscribe. */
  subscribeCase(caseId: number, listener: HubListener): () => void {
    return add(this.#cases, caseId, listener);
  }

  /** Delivers a signal now, to the session's listeners and to the case's (here, and through the relay elsewhere). */
  publish(sessionId: number, caseId: number | null, signal: HubSignal): void {
    this.#deliver(sessionId, caseId, signal);
    if (!this.#relay) return;
    const sent = signal.kind === 'typing' ? { ...signal, name: signal.name.slice(0, RELAYED_NAME_MAX) } : signal;
    this.#relay.send(HUB_TOPIC, { session: sessionId, case: caseId, signal: sent });
  }

  /**
   * Delivers a signal once the write in progress has committed (SQLite: after the turn, as
   * better-sqlite3 commits synchronously; PostgreSQL: after its COMMIT was answered, never after
   * a rollback), to the relay too: no listener hears of a change before it is visible.
   */
  afterCommit(sessionId: number, caseId: number | null, signal: HubSignal): void {
    this.#afterCommit(() => this.publish(sessionId, caseId, signal));
  }

  #deliver(sessionId: number, caseId: number | null, signal: HubSignal): void {
    for (const listener of this.#sessions.get(sessionId) ?? []) listener(signal);
    if (caseId !== null) for (const listener of this.#cases.get(caseId) ?? []) listener(signal);
  }

  /** Signals may have been missed: every listener re-reads its chat and its state. */
  #resync(): void {
    for (const map of [this.#sessions, this.#cases]) {
      for (const set of map.values()) {
        for (const listener of [...set]) {
          listener({ kind: 'messages' });
          listener({ kind: 'state' });
        }
      }
    }
  }

  /** Open streams (visitors and agents). */
  get listeners(): number {
    let n = 0;
    for (const set of this.#sessions.values()) n += set.size;
    for (const set of this.#cases.values()) n += set.size;
    return n;
  }
}

function add(map: Map<number, Set<HubListener>>, key: number, listener: HubListener): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0 && map.get(key) === set) map.delete(key);
  };
}
