/**
 * Mail Casebook sends by itself (a notification such as "Resolved" with its rating links, the
 * replies a chat visitor missed) to an address a chat visitor only typed (the site did not sign
 * it: docs/chat.md "Unverified visitors") is held, as a reply to such an address waits for the
 * agent's confirmation: anyone can type anyone's address. The outbox item is then done and
 * `email.held` on the timeline keeps what it was (its type and payload); the case page and the
 * API list the held mails, each with whether confirming would still send it (`current`: not a
 * mail the case has moved on from, `outdated`), and an agent's confirmation (`releaseHeldMails`)
 * records `email.released` and queues each current one again, marked `confirmed`, so it is
 * sent (rendered then, as any other). A message left in the chat window is a typed address too
 * (chat-identity.ts `leftMessageIdentity`); once an agent confirmed it, its case is verified and
 * nothing more is held.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import { readChatIdentity } from '../cases/case-read.js';
import { leftMessageIdentity } from '../cases/chat-identity.js';
import { customerStatus } from '../cases/customer-view.js';
import type { CaseRow } from '../cases/case-view.js';
import type { Handle } from '../db/store/index.js';
import { markItemDone } from '../outbox/dialect.js';
import type { OutboxItem } from '../outbox/outbox.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { offerIn } from './case-reads.js';
import { CaseContext } from '../workflow/context.js';
import type { StateCategory } from '../workflow/definition.js';

export const HELD_MAIL = 'email.held';
export const RELEASED_MAIL = 'email.released';

/**
 * The address among `recipients` that a chat visitor of the case typed without the site's
 * signature (the case's chat identity is not verified), or null: mail to it is held.
 */
export async function typedAddressAmong(q: Handle, caseId: number, recipients: readonly string[]): Promise<string | null> {
  const identity = await readChatIdentity(q, caseId);
  if (!identity || identity.emailVerified) return null;
  const typed = identity.visitorEmail.toLowerCase();
  return recipients.some((a) => a.toLowerCase() === typed) ? identity.visitorEmail : null;
}

/** Whether the item was queued again by an agent's confirmation (sent without asking again). */
export function isConfirmed(item: OutboxItem): boolean {
  return item.payload.confirmed !== undefined;
}

/** Inside the caller's write: the item is held (`email.held`, what it was kept) and done. */
export async function holdMail(q: Handle, services: Services, item: OutboxItem, caseId: number, to: string, what: Record<string, unknown>): Promise<void> {
  const now = services.clock.now();
  const data = { ...what, to: [to], reason: 'the address was typed in the chat and not verified', item: { type: item.type, payload: item.payload } };
  if (!(await markItemDone(q, item.id, now))) return;
  await q.db.insert(q.tables.caseEvents).values({ caseId, type: HELD_MAIL, at: now, actorType: 'system', actorId: null, data });
}

export interface HeldMail {
  /** The `email.held` entry's id. */
  id: number;
  at: number;
  /** `notification` (with its template) or `missed-replies`. */
  kind: string;
  template?: string;
  to: string;
  item: { type: string; payload: Record<string, unknown> };
  /**
   * Whether confirming the address now sends it: false for a mail the case has moved on from
   * (`outdated`), which the confirmation records as not sent.
   */
  current: boolean;
}

/** What a held mail is judged by: the case as it is now. */
interface CaseNow {
  category: StateCategory | null;
  /** A public staff reply exists (the case's first response is recorded). */
  staffReplied: boolean;
  /** The customer answered the latest solution offer (accepted or declined), or none is left. */
  offerAnswered: boolean;
}

const isFinal = (category: StateCategory | null) => category === 'resolved' || category === 'closed';

/**
 * A held mail the case has moved on from since: "Resolved" of a case reopened meanwhile,
 * "Waiting on you" of a case no longer waiting, "Known solution offered" once the customer
 * answered the offer or the case was resolved or closed, the acknowledgement ("we received
 * your request") once staff replied publicly or the case was resolved or closed. Sent now it
 * would tell the customer something no longer true (a resolved mail's rating links would rate
 * nothing, an offer's answer links answer nothing): it is not sent.
 */
function outdated(m: Pick<HeldMail, 'kind' | 'template'>, now: CaseNow): boolean {
  if (m.kind !== 'notification') return false;
  switch (m.template) {
    case 'case-resolved':
      return !isFinal(now.category);
    case 'case-pending':
      return now.category !== 'pending';
    case 'solution-offered':
      return now.offerAnswered || isFinal(now.category);
    case 'case-received':
      return now.staffReplied || isFinal(now.category);
    default:
      return false;
  }
}

/** The held mails no agent has confirmed yet, oldest first (whether each is current is for `judged`). */
async function waitingMails(q: Handle, caseId: number): Promise<Omit<HeldMail, 'current'>[]> {
  const t = q.tables.caseEvents;
  const rows = await q.db
    .select({ id: t.id, type: t.type, at: t.at, data: t.data })
    .from(t)
    .where(and(eq(t.caseId, caseId), inArray(t.type, [HELD_MAIL, RELEASED_MAIL])))
    .orderBy(asc(t.id));
  // Confirmed: sent (`held`) or, a status mail the case had moved on from, not sent (`dropped`).
  const released = new Set(
    rows.filter((r) => r.type === RELEASED_MAIL).flatMap((r) => {
      const d = r.data as { held?: number[]; dropped?: number[] };
      return [...(d.held ?? []), ...(d.dropped ?? [])];
    }),
  );
  return rows
    // An erased entry (docs/privacy.md) keeps nothing to send.
    .filter((r) => r.type === HELD_MAIL && !released.has(r.id) && (r.data as { erased?: unknown }).erased !== true)
    .map((r) => {
      const d = r.data as { kind?: string; template?: string; to?: string[]; item: HeldMail['item'] };
      return { id: r.id, at: r.at, kind: d.kind ?? 'notification', ...(d.template ? { template: d.template } : {}), to: d.to?.[0] ?? '', item: d.item };
    });
}

/** Each waiting mail with whether confirming now sends it, by the case as it is (`row`). */
async function judged(q: Handle, services: Services, row: CaseRow, waiting: readonly Omit<HeldMail, 'current'>[]): Promise<HeldMail[]> {
  const offered = waiting.some((m) => m.template === 'solution-offered') ? await offerIn(q, row.id) : null;
  const now: CaseNow = {
    category: customerStatus(services, row).statusCategory,
    staffReplied: row.firstResponseAt !== null,
    offerAnswered: offered?.answer !== 'open',
  };
  return waiting.map((m) => ({ ...m, current: !outdated(m, now) }));
}

/**
 * The case's held mails no agent has confirmed yet, oldest first, each with whether confirming
 * now would send it (`current`): the case page and the API show what the release will do.
 */
export async function heldMails(q: Handle, services: Services, caseId: number): Promise<HeldMail[]> {
  const waiting = await waitingMails(q, caseId);
  return waiting.length === 0 ? [] : judged(q, services, await CaseContext.row(q, caseId), waiting);
}

/**
 * An agent confirmed the address: every mail held on the case is queued again (`confirmed`) and
 * `email.released` names them, but for status mails the case has moved on from (`dropped`);
 * the number released (0 when none was held).
 */
export async function releaseHeldMails(services: Services, caseId: number, actor: Actor): Promise<number> {
  const released = await services.store.write(async (q) => {
    const waiting = await waitingMails(q, caseId);
    if (waiting.length === 0) {
      // A left message's address confirmed with nothing held (yet): the case is verified from now on (chat-identity.ts).
      const left = await leftMessageIdentity(q, caseId);
      if (left && !left.emailVerified) {
        const ctx = await CaseContext.load(q, services, caseId, actor);
        await ctx.record(RELEASED_MAIL, { held: [], to: [left.visitorEmail] });
        await ctx.save();
      }
      return 0;
    }
    // Judged by the case as locked for this write: what the page showed may have changed since.
    const ctx = await CaseContext.load(q, services, caseId, actor);
    const held = await judged(q, services, ctx.case, waiting);
    const send = held.filter((m) => m.current);
    const dropped = held.filter((m) => !m.current);
    await ctx.record(RELEASED_MAIL, { held: send.map((m) => m.id), to: [...new Set(held.map((m) => m.to))], ...(dropped.length ? { dropped: dropped.map((m) => m.id) } : {}) });
    for (const m of send) await ctx.enqueue(m.item.type, { ...m.item.payload, confirmed: m.id });
    await ctx.save();
    return send.length;
  });
  if (released > 0) services.outbox.kick();
  return released;
}
