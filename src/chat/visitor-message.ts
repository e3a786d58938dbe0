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
 */
import { addMessage } from '../cases/add-message.js';
import { createCase } from '../cases/create-case.js';
import { get, run } from '../db/store/rows.js';
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

export async function sendVisitorMessage(services: Services, site: ChatSite, session: ChatSession, text: unknown): Promise<SentLine> {
  const body = checkBody(services, text);
  return services.chat.hub.serialize(session.id, async () => {
    try {
      return await sendOnce(services, site, session, body);
    } catch (error) {
      if (!(error instanceof CaseMadeElsewhere)) throw error;
      return sendOnce(services, site, session, body); // the session now has its case: a reply
    }
  });
}

const endedError = () => new DomainError('CHAT_ENDED', 'This chat has ended. Start a new one to write again.');

async function sendOnce(services: Services, site: ChatSite, session: ChatSession, body: string): Promise<SentLine> {
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
          seq = await appendLine(ctx.q, current.id, line, await ctx.record('chat.started', { site: site.id, siteName: site.name, visitor: current.name, verified: current.verified, hostOrigin: current.hostOrigin }));
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
