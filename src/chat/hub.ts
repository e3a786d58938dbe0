/**
 * The stream hub: who is listening to which chat, in memory. It carries no data of its own:
 * a `messages` signal tells a listener to read the chat's messages after the last sequence
 * number it sent (from the database), so a signal that is lost, doubled or arrives before
 * the commit can neither lose nor double a message. Typing is ephemeral and goes through
 * as it is. Signals raised inside a transaction are delivered after it (`afterCommit`).
 */

export type HubSignal =
  | { kind: 'messages' }
  | { kind: 'typing'; who: 'visitor' | 'agent'; name: string }
  | { kind: 'state' };

export type HubListener = (signal: HubSignal) => void;

export class ChatHub {
  readonly #sessions = new Map<number, Set<HubListener>>();
  readonly #cases = new Map<number, Set<HubListener>>();
  readonly #queues = new Map<number, Promise<unknown>>();

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

  /** Listens to the chats of a case (the agent's stream); returns the unsubscribe. */
  subscribeCase(caseId: number, listener: HubListener): () => void {
    return add(this.#cases, caseId, listener);
  }

  /** Delivers a signal now, to the session's listeners and to the case's. */
  publish(sessionId: number, caseId: number | null, signal: HubSignal): void {
    for (const listener of this.#sessions.get(sessionId) ?? []) listener(signal);
    if (caseId !== null) for (const listener of this.#cases.get(caseId) ?? []) listener(signal);
  }

  /** Delivers a signal once the current synchronous transaction is over (better-sqlite3 commits synchronously). */
  afterCommit(sessionId: number, caseId: number | null, signal: HubSignal): void {
    setImmediate(() => this.publish(sessionId, caseId, signal));
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
