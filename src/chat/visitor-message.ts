/**
 * A visitor's message. The first one creates the case through the normal intake
 * (`createCase`, channel `chat`, the site's queue as the routing hint: rules route and
 * assign it like any other); later ones are customer replies on it (`addMessage`). The chat
 * line is written in the same transaction as the timeline entry, so they exist together or
 * not at all.
 *
 * A visitor's first messages must not make two cases: in one process the hub queues a
 * session's messages (`serialize`); across instances on one database the case is tied to the
 * chat by a conditional update (`case_id IS NULL`) in the case's own transaction. The loser —
 * its update found the case set by another instance's committed transaction (PostgreSQL's row
 * lock makes it wait for that commit, then re-check) — rolls its case back and posts its
 * message as a reply on the winner's case.
 *
 * A message sent again after a dropped connection (the window could not tell whether it
 * arrived) carries the same `clientId`, the window's id of that message: its first delivery is
 * recorded as an `Idempotency-Key` entry (src/idempotency/store.ts, principal
 * `chat-visitor:<session>`, in the line's transaction), and a second one answers the line
 * already written instead of writing it twice. Erased with the case, purged after 24 hours.
 */
import { addMessage } from '../cases/add-message.js';
import { createCase } from '../cases/create-case.js';
import { sha256 } from '../auth/tokens.js';
import { get, run } from '../db/store/rows.js';
import type { Handle } from '../db/store/index.js';
import { findKey, keyReused, recordKey, sameRequest, type RequestFingerprint } from '../idempotency/store.js';
import { DomainError, ValidationError } from '../errors.js';
import { SYSTEM_ACTOR, type Actor } from '../roles.js';
import type { Services } from '../services.js';
import { clipText } from '../text/clip-text.js';
import { appendLine } from './lines.js';
import { findSession, type ChatSession } from './sessions.js';
import type { ChatSite } from './sites.js';
import { visitorText } from './visitor-text.js';

const SUBJECT_CHARS = 80;

/** A chat case's subject: "Chat: " and the start of the first message, on one line. */
export function chatSubject(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim();
  // Cut between characters (clipText): a plain slice could split an emoji, stored as a lone surrogate and read back as U+FFFD.
  return `Chat: ${line.length > SUBJECT_CHARS ? `${clipText(line, SUBJECT_CHARS - 1)}…` : line}`;
}

/**
 * A visitor's message as it is stored (visitor-text.ts: control characters removed, lone
 * surrogates replaced, line breaks as `\n`, trimmed); refused when nothing is left or it is too long.
 */
export function checkBody(services: Services, body: unknown): string {
  const text = typeof body === 'string' ? visitorText(body) : '';
  if (text === '') throw new ValidationError([{ path: 'body', message: 'write a message first' }]);
  const max = services.chat.settings.maxMessageChars;
  if (text.length > max) throw new ValidationError([{ path: 'body', message: `at most ${max} characters` }], `A chat message may have at most ${max} characters.`);
  return text;
}

export interface SentLine {
  seq: number;
  caseId: number;
}

/** Another instance made this chat's case first (its transaction committed before ours tied the case). */
class CaseMadeElsewhere extends Error {}

/** The window's id of one message, kept while it sends it again (public/chat-frame.js). */
export const CLIENT_ID = /^[A-Za-z0-9_-]{8,64}$/;

/** A message's delivery, as its Idempotency-Key entry records it. */
interface Delivery {
  principal: string;
  key: string;
  request: RequestFingerprint;
}

function deliveryOf(session: ChatSession, body: string, clientId: string | undefined): Delivery | null {
  if (clientId === undefined) return null;
  return { principal: `chat-visitor:${session.id}`, key: clientId, request: { method: 'POST', path: '/chat/api/messages', bodyHash: sha256(body) } };
}

/** The line a delivery wrote already, or null; a key used for another text is refused. */
async function deliveredAlready(q: Handle, services: Services, session: ChatSession, delivery: Delivery): Promise<SentLine | null> {
  const entry = await findKey(q, delivery.principal, delivery.key, services.clock.now());
  if (!entry) return null;
  if (!sameRequest(entry, delivery.request) || entry.caseId === null) throw keyReused();
  const line = await get<{ seq: number }>(q, "SELECT seq FROM chat_messages WHERE session_id = ? AND case_event_id = ? AND author = 'visitor'", [session.id, entry.eventId]);
  if (!line) throw keyReused();
  return { seq: line.seq, caseId: entry.caseId };
}

export async function sendVisitorMessage(services: Services, site: ChatSite, session: ChatSession, text: unknown, clientId?: string): Promise<SentLine> {
  const body = checkBody(services, text);
  if (clientId !== undefined && !CLIENT_ID.test(clientId)) throw new ValidationError([{ path: 'clientId', message: '8 to 64 letters, digits, - or _' }]);
  const delivery = deliveryOf(session, body, clientId);
  return services.chat.hub.serialize(session.id, async () => {
    // Sent again (the first answer was lost): the line it wrote, not a second one.
    const earlier = delivery ? await services.store.query((q) => deliveredAlready(q, services, session, delivery)) : null;
    if (earlier) return earlier;
    try {
      return await sendOnce(services, site, session, body, delivery);
    } catch (error) {
      if (!(error instanceof CaseMadeElsewhere)) throw error;
      return sendOnce(services, site, session, body, delivery); // the session now has its case: a reply
    }
  });
}

const endedError = () => new DomainError('CHAT_ENDED', 'This chat has ended. Start a new one to write again.');

async function sendOnce(services: Services, site: ChatSite, session: ChatSession, body: string, delivery: Delivery | null): Promise<SentLine> {
  const current = (await services.store.query((q) => findSession(q, session.id)))!;
  if (current.state === 'ended') throw endedError();
  const at = services.clock.now();
  const line = { author: 'visitor' as const, name: current.name, body, at };
  let seq = 0;
  let caseId: number;
  if (current.caseId === null) {
    const row = await createCase(
      services,
      { customer: { email: current.email, name: current.name }, subject: chatSubject(body), description: body },
      SYSTEM_ACTOR,
      {
        channel: 'chat',
        defaultQueue: site.queueId,
        eventData: { chatSite: site.id },
        within: async (ctx) => {
          if ((await run(ctx.q, 'UPDATE chat_sessions SET case_id = ? WHERE id = ? AND case_id IS NULL', [ctx.case.id, current.id])) === 0) throw new CaseMadeElsewhere();
          const eventId = await ctx.record('chat.started', { site: site.id, siteName: site.name, visitor: current.name, verified: current.verified, hostOrigin: current.hostOrigin });
          seq = await appendLine(ctx.q, current.id, line, eventId);
          if (delivery) await recordKey(ctx.q, { ...delivery, status: 201, caseId: ctx.case.id, eventId, at });
        },
      },
    );
    caseId = row.id;
  } else {
    caseId = current.caseId;
    const customer = (await services.store.query((q) => get<{ customer_id: number; name: string }>(q, 'SELECT c.customer_id, cu.name FROM cases c JOIN customers cu ON cu.id = c.customer_id WHERE c.id = ?', [caseId])))!;
    const actor: Actor = { type: 'customer', id: customer.customer_id, role: 'customer', name: customer.name };
    try {
      await addMessage(services, caseId, { body, public: true }, actor, {
        data: { via: 'chat' },
        within: async (ctx, eventId) => {
          seq = await appendLine(ctx.q, current.id, line, eventId);
          if (delivery) await recordKey(ctx.q, { ...delivery, status: 201, caseId, eventId, at });
        },
      });
    } catch (error) {
      // The case was closed since this message was read (closing ends its chat): the chat is over, not a transition refused.
      const now = (await services.store.query((q) => findSession(q, current.id)))!;
      if (error instanceof DomainError && error.code === 'INVALID_TRANSITION' && now.state === 'ended') throw endedError();
      throw error;
    }
  }
  services.chat.hub.publish(current.id, caseId, { kind: 'messages' });
  services.outbox.kick();
  return { seq, caseId };
}
