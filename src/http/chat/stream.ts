/**
 * Server-sent events for one chat (Hono's `streamSSE`): every chat line is an `message` event
 * whose id is its sequence number, so a reconnect with `Last-Event-ID` (or `?after=`) gets
 * exactly the lines after it, read from the database; `typing` events (no id) pass through;
 * `ended` tells that the chat is over. A `heartbeat` event every CHAT heartbeat (the `ready`
 * event says how often) keeps proxies from closing an idle stream and tells the window the
 * stream still lives: one that stays silent for two heartbeats has been cut somewhere without
 * a word (a proxy, a NAT, a laptop's sleep), and the window connects again
 * (public/chat-frame.js, public/chat-agent.js), naming the stream it gave up on (`?replaces=`,
 * the id its `ready` event said): that one is closed here, its place given back. An event
 * rather than a comment, because an EventSource shows its page no comment.
 * `X-Accel-Buffering: no` asks nginx not to buffer the stream, and the first bytes go out at
 * once. The hub only wakes the loop up: nothing is ever sent from a signal's content but typing.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { HubListener, HubSignal, StreamSlot } from '../../chat/hub.js';
import { linesAfter, type ChatLine } from '../../chat/lines.js';
import { findSession } from '../../chat/sessions.js';
import type { Services } from '../../services.js';

/** Where a stream resumes: Last-Event-ID, else `?after=`, else 0 (everything). */
export function resumeFrom(c: Context): number {
  const raw = c.req.header('Last-Event-ID') ?? c.req.query('after') ?? '0';
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

export interface StreamSource {
  sessionId: number;
  /** Subscribes to the hub; returns the unsubscribe. */
  subscribe(listener: HubListener): () => void;
  /** Typing from this side is not echoed back to it. */
  ownSide: 'visitor' | 'agent';
  /** What a line looks like to this side. */
  present?: (line: ChatLine) => unknown;
  /** The visitor's own window: their lines carry the window's id of each message (lines.ts). */
  withClientIds?: boolean;
  /**
   * Whether this listener may still hear the chat, asked before every read (each wake-up and
   * heartbeat): staff lose a case's chat when the case leaves the queues they may see. When it
   * answers false the stream sends `gone` and closes; the window's reconnect is then refused.
   */
  mayListen?: () => Promise<boolean>;
  /**
   * The stream's place among its holder's (ChatHub.takeStream): given back when the stream
   * closes, and the stream closes when a later one of its holder replaces it. The `ready` event
   * tells its id, which the window sends as `?replaces=` when it connects again.
   */
  slot: StreamSlot;
}

export function chatStream(c: Context, services: Services, source: StreamSource) {
  let last = resumeFrom(c);
  c.header('X-Accel-Buffering', 'no');
  c.header('Cache-Control', 'no-cache, no-transform');
  return streamSSE(c, async (stream) => {
    const signals: HubSignal[] = [];
    let wake: (() => void) | null = null;
    let closed = false;
    const unsubscribe = source.subscribe((signal) => {
      signals.push(signal);
      wake?.();
    });
    const close = () => {
      closed = true;
      wake?.();
    };
    stream.onAbort(close);
    source.slot.onReplaced(close);
    try {
      // Proxies that buffer small responses pass a first chunk this large through.
      await stream.write(`:${' '.repeat(2048)}\n\n`);
      const { heartbeatSeconds } = services.chat.settings;
      const heartbeatMs = heartbeatSeconds * 1000;
      // When the stream last said something. A heartbeat goes out once it has been quiet that
      // long, however often the loop was woken meanwhile: the listener's own typing wakes it
      // without a word written, and an agent typing a long reply must not leave their stream
      // looking cut.
      let wroteAt = performance.now();
      const send = async (message: Parameters<typeof stream.writeSSE>[0]) => {
        await stream.writeSSE(message);
        wroteAt = performance.now();
      };
      await send({ event: 'ready', data: JSON.stringify({ after: last, heartbeatSeconds, stream: source.slot.id }), retry: 2000 });
      let endedSent = false;
      while (!closed) {
        if (source.mayListen && !(await source.mayListen())) {
          await send({ event: 'gone', data: '{}' });
          break;
        }
        // The new lines and the session's state in one read (one snapshot).
        const after = last;
        const { lines, session } = await services.store.read(async (q) => ({ lines: await linesAfter(q, source.sessionId, after, 500, { withClientIds: source.withClientIds }), session: await findSession(q, source.sessionId) }));
        for (const line of lines) {
          await send({ id: String(line.seq), event: 'message', data: JSON.stringify(source.present ? source.present(line) : line) });
          last = line.seq;
        }
        for (const signal of signals.splice(0)) {
          if (signal.kind === 'typing' && signal.who !== source.ownSide) await send({ event: 'typing', data: JSON.stringify({ who: signal.who, name: signal.name }) });
        }
        if (!endedSent && session?.state === 'ended') {
          endedSent = true;
          await send({ event: 'ended', data: JSON.stringify({ by: session.endedBy }) });
        }
        if (signals.length > 0) continue;
        const quietLeft = heartbeatMs - (performance.now() - wroteAt);
        const timedOut =
          quietLeft <= 0 ||
          (await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(true), quietLeft);
            wake = () => {
              clearTimeout(timer);
              resolve(false);
            };
          }));
        wake = null;
        if (timedOut && !closed) await send({ event: 'heartbeat', data: '{}' });
      }
    } finally {
      unsubscribe();
      source.slot.release();
    }
  });
}
