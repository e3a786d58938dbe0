/**
 * Which case a mail continues, in order of trust: its In-Reply-To/References against the
 * Message-IDs Casebook received or sent for a case; a signed reply address among its
 * recipients; `[C-1042]` in its subject (which anyone can type: see receive-email.ts).
 */
import { and, eq, gte, isNull, or } from 'drizzle-orm';
import type { Handle } from '../../db/store/index.js';
import { get } from '../../db/store/rows.js';
import type { InboundMail } from './parse-mail.js';
import { mailChecks } from './prechecks.js';
import { verifyReplyAddress } from './reply-address.js';
import type { EmailSettings } from './settings.js';

export type ThreadedBy = 'header' | 'address' | 'subject';

export interface Thread {
  caseId: number;
  by: ThreadedBy;
  /**
   * The case was erased (its customer's erasure, or retention: docs/privacy.md) after it was
   * opened: it is nobody's conversation any more, and the mail opens a case of its own.
   */
  erased?: true;
  /** The case the mail answered, when that was merged into `caseId` (followMerges). */
  mergedFrom?: number;
}

export const SUBJECT_REF = /\[C-(\d{1,15})\]/i;

/**
 * "Re:" and its translations as mail clients write them (and case references) at the start of a
 * subject: German "AW:", Scandinavian "SV:", Finnish "VS:", Dutch "Antw:", Italian "R:"/"Rif:",
 * Portuguese "RES:", Polish "Odp:", Turkish "YNT:", Chinese "回复:"/"答复:"/"回覆:", Russian
 * "Ответ:", Greek "ΑΠ:" — with an ASCII or a full-width colon, a count ("Re[2]:") allowed.
 */
export const REPLY_PREFIX = /^(?:\s*(?:re|aw|sv|vs|antw|antwort|rif|r|res|odp|ynt|回复|答复|回覆|ответ|απ)\s*(?:\[\d+\])?\s*[:：]\s*|\s*\[C-\d+\]\s*)+/i;

/**
 * The subject of a case a reply opens (a follow-up of a closed case, a stranger's own case):
 * without the reply prefixes and without the reference of the case it answered, which is
 * another case's (the new case's mails carry their own).
 */
export function subjectOfReply(subject: string, caseId: number): string {
  return subject
    .replace(REPLY_PREFIX, '')
    .replace(new RegExp(`\\s*\\[C-0*${caseId}\\]`, 'gi'), '')
    .trim();
}

/** The ids a mail names its thread by: In-Reply-To first, then References from the newest (last) to the oldest. */
export function threadIds(mail: InboundMail): string[] {
  return [...mail.inReplyTo, ...[...mail.references].reverse()].slice(0, 100);
}

/** A case number as written in a subject or a reply address: a safe integer, or nothing. */
export function caseIds(ids: readonly (number | null)[]): number[] {
  return ids.filter((id): id is number => id !== null && Number.isSafeInteger(id));
}

/**
 * Whether the case's content was erased with its customer's data or by retention: an erasure of
 * its customer as a whole, or of this case, begun after the case was opened. (An erasure row of
 * another customer's, copied on the case, erased only their own words there: not this.)
 */
async function isErased(q: Handle, caseId: number): Promise<boolean> {
  const { cases, erasures } = q.tables;
  const rows = await q.db
    .select({ id: erasures.id })
    .from(cases)
    .innerJoin(erasures, and(eq(erasures.customerId, cases.customerId), or(isNull(erasures.caseId), eq(erasures.caseId, cases.id)), gte(erasures.startedAt, cases.createdAt)))
    .where(eq(cases.id, caseId))
    .limit(1);
  return rows.length > 0;
}

/** The thread a mail continues (look-ups: prechecks.ts), or null; marked `erased` when its case was erased. */
export async function findThread(q: Handle, settings: EmailSettings, mail: InboundMail, recipients: readonly string[]): Promise<Thread | null> {
  const found = await threadOf(q, settings, mail, recipients);
  const thread = found && (await followMerges(q, found));
  if (thread && (await isErased(q, thread.caseId))) return { ...thread, erased: true };
  return thread;
}

/** Merges are never chained deeper than this (a merged case takes no merge: src/cases/merge-case.ts); a guard, not a limit met. */
const MAX_MERGE_HOPS = 16;

/**
 * The mail's case after merges: a reply to the thread (Message-ID, reply address or `[C-…]`) of
 * a case merged into another goes on in the case it was merged into (docs/email.md, "Merged
 * cases"); `mergedFrom` names the case the mail answered.
 */
async function followMerges(q: Handle, thread: Thread): Promise<Thread> {
  let caseId = thread.caseId;
  for (let hop = 0; hop < MAX_MERGE_HOPS; hop++) {
    const row = await get<{ merged_into_id: number | null }>(q, 'SELECT merged_into_id FROM cases WHERE id = ?', [caseId]);
    if (!row || row.merged_into_id === null) break;
    caseId = Number(row.merged_into_id);
  }
  return caseId === thread.caseId ? thread : { ...thread, caseId, mergedFrom: thread.caseId };
}

async function threadOf(q: Handle, settings: EmailSettings, mail: InboundMail, recipients: readonly string[]): Promise<Thread | null> {
  const checks = mailChecks(q);
  const byHeader = await checks.firstCaseOf(q, threadIds(mail));
  if (byHeader !== null) return { caseId: byHeader, by: 'header' };
  if (settings.secret) {
    const secret = settings.secret;
    const candidates = [...recipients, ...mail.to.map((a) => a.address), ...mail.cc.map((a) => a.address), ...mail.deliveredTo];
    const signed = caseIds(candidates.map((address) => verifyReplyAddress(settings.supportAddress, secret, address)));
    const byAddress = await checks.firstExistingCase(q, signed);
    if (byAddress !== null) return { caseId: byAddress, by: 'address' };
  }
  const tag = SUBJECT_REF.exec(mail.subject);
  if (tag) {
    const bySubject = await checks.firstExistingCase(q, caseIds([Number(tag[1])]));
    if (bySubject !== null) return { caseId: bySubject, by: 'subject' };
  }
  return null;
}
