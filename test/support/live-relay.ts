/**
 * Live-signal helpers for tests: an in-memory relay that records what it sends and lets a
 * test deliver messages and resyncs by hand (unit tests of the hub and presence), and a
 * recorder of events that waits for the next matching one within a bounded time (tests that
 * cross a real database or process: they await the event itself, never a fixed delay).
 */
import type { LiveRelay } from '../../src/db/live-relay.js';

export interface MemoryRelay extends LiveRelay {
  /** Everything sent, in order. */
  sent: { topic: string; message: unknown }[];
  /** Delivers `message` on `topic` as if another instance had sent it. */
  deliver(topic: string, message: unknown): void;
  /** Runs the resync handlers, as after a reconnect. */
  resync(): void;
}

export function memoryRelay(instanceId = 'memory'): MemoryRelay {
  const handlers = new Map<string, Set<(message: unknown) => void>>();
  const resyncs = new Set<() => void>();
  return {
    instanceId,
    sent: [],
    send(topic, message) {
      this.sent.push({ topic, message: structuredClone(message) });
    },
    receive(topic, handler) {
      let set = handlers.get(topic);
      if (!set) handlers.set(topic, (set = new Set()));
      set.add(handler);
      return () => set.delete(handler);
    },
    onResync(handler) {
      resyncs.add(handler);
      return () => resyncs.delete(handler);
    },
    deliver(topic, message) {
      for (const handler of handlers.get(topic) ?? []) handler(message);
    },
    resync() {
      for (const handler of resyncs) handler();
    },
  };
}

export interface Recorder<T> {
  /** Every event so far. */
  readonly events: T[];
  /** Records an event (pass this as the listener). */
  push: (event: T) => void;
  /** The first event not yet taken that matches, waiting for it at most `timeoutMs`. */
  next(matches?: (event: T) => boolean, timeoutMs?: number): Promise<T>;
}

export function recorder<T>(label = 'event'): Recorder<T> {
  const events: T[] = [];
  const taken = new Set<number>();
  let waiters: (() => void)[] = [];
  const find = (matches: (event: T) => boolean) => events.findIndex((e, i) => !taken.has(i) && matches(e));
  return {
    events,
    push(event) {
      events.push(event);
      const wake = waiters;
      waiters = [];
      for (const w of wake) w();
    },
    async next(matches = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const at = find(matches);
        if (at >= 0) {
          taken.add(at);
          return events[at]!;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching ${label} within ${timeoutMs} ms; had: ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

/** `promise`, or a failure naming `what` if it has not settled within `timeoutMs`. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
