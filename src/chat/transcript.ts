/**
 * The transcript, mailed on the visitor's request: asking writes an outbox item
 * (`chat.transcript`) and the handler mails every line of the chat to the session's e-mail,
 * then records `chat.transcript_sent` on the case (a change of the case: its version goes up). A retry after a failed send mails the same
 * transcript (same Message-ID); asking again later mails it again, with what came since.
 *
 * Always to the address the chat started with, never one typed later. Limits, counted in
 * `chat_transcripts` (durable sliding windows: a restart resets nothing, and a long window per
 * address would be lost with an in-memory bucket): per site (CHAT_TRANSCRIPT_SITE_RATE) for
 * everyone; for a visitor the site did not identify, once per chat and per recipient address
 * over all chats (CHAT_TRANSCRIPT_ADDRESS_RATE), since that address was only typed in. Signed
 * visitors (the address is theirs) are not counted against their own address, so nobody can
 * use up a real customer's transcripts by typing their address.
 */
import type { Handle } from '../db/store/index.js';
import { all, get, run } from '../db/store/rows.js';
import { describeRate, type Rate } from '../auth/rate-limit.js';
import { DomainError } from '../errors.js';
import { SYSTEM_ACTOR } from '../roles.js';
import { markItemDone } from '../outbox/dialect.js';
import type { OutboxItem } from '../outbox/outbox.js';
import { automaticHeaders } from '../notifications/mailer.js';
import type { Services } from '../services.js';
import { linesAfter, type ChatLine } from './lines.js';
import { CaseContext } from '../workflow/context.js';
import { findSession, type ChatSession } from './sessions.js';
import { DateTime } from 'luxon';
import { displayZone, normalizeTimeZone, zoneAbbreviation } from '../text/time-zones.js';

export const TRANSCRIPT_MAIL = 'chat.transcript';

/** TOO_MANY_REQUESTS when `times` (newest first, at most `rate.count`, all within the window) fill the window. */
function assertWindow(times: readonly number[], rate: Rate, now: number, what: string): void {
  if (rate.count <= 0 || times.length < rate.count) return;
  const retryAfterSeconds = Math.max(1, Math.ceil((times[rate.count - 1]! + rate.windowMs - now) / 1000));
  const when = retryAfterSeconds < 5400 ? `${Math.ceil(retryAfterSeconds / 60)} minutes` : `${Math.ceil(retryAfterSeconds / 3600)} hours`;
  throw new DomainError('TOO_MANY_REQUESTS', `Too many ${what}: at most ${describeRate(rate)}. Try again in ${when}.`, { retryAfterSeconds });
}

/** The request times (newest first) of the window's look-up. */
async function times(q: Handle, text: string, params: unknown[]): Promise<number[]> {
  return (await all<{ at: number }>(q, text, params)).map((r) => r.at);
}

async function checkTranscriptLimits(q: Handle, services: Services, session: ChatSession, now: number): Promise<void> {
  const { transcriptsPerAddress, transcriptsPerSite } = services.chat.settings;
  if (!session.verified) {
    const asked = (await get<{ at: number | null }>(q, 'SELECT transcript_requested_at AS at FROM chat_sessions WHERE id = ?', [session.id]))?.at;
    if (asked != null) throw new DomainError('CHAT_UNAVAILABLE', `The transcript of this chat was already sent to ${session.email}.`);
    const toAddress = await times(
      q,
      'SELECT t.requested_at AS at FROM chat_sessions s JOIN chat_transcripts t ON t.session_id = s.id WHERE s.email = ? AND s.verified = FALSE AND t.requested_at > ? ORDER BY t.requested_at DESC LIMIT ?',
      [session.email, now - transcriptsPerAddress.windowMs, Math.max(1, transcriptsPerAddress.count)],
    );
    assertWindow(toAddress, transcriptsPerAddress, now, 'chat transcripts to this address');
  }
  const onSite = await times(q, 'SELECT requested_at AS at FROM chat_transcripts WHERE site_id = ? AND requested_at > ? ORDER BY requested_at DESC LIMIT ?', [
    session.siteId,
    now - transcriptsPerSite.windowMs,
    Math.max(1, transcriptsPerSite.count),
  ]);
  assertWindow(onSite, transcriptsPerSite, now, 'chat transcripts on this website');
}

/**
 * `zone`: the visitor's time zone as their browser names it (the window sends it): the
 * transcript's times are in it, named; an unknown or missing one is UTC.
 */
export async function requestTranscript(services: Services, session: ChatSession, zone?: string | null): Promise<void> {
  const caseId = session.caseId;
  if (caseId === null) throw new DomainError('CHAT_UNAVAILABLE', 'Nothing was written in this chat yet.');
  const now = services.clock.now();
  await services.store.write(async (q) => {
    await checkTranscriptLimits(q, services, session, now);
    await run(q, 'INSERT INTO chat_transcripts (session_id, site_id, requested_at) VALUES (?, ?, ?)', [session.id, session.siteId, now]);
    await run(q, 'UPDATE chat_sessions SET transcript_requested_at = ? WHERE id = ?', [now, session.id]);
    const shownIn = normalizeTimeZone(zone);
    await q.db.insert(q.tables.outbox).values({ type: TRANSCRIPT_MAIL, caseId, payload: { session: session.id, upTo: session.lastSeq, ...(shownIn ? { zone: shownIn } : {}) }, createdAt: now, availableAt: now });
  });
  services.outbox.kick();
}

/** The day (YYYY-MM-DD) and the time (HH:MM) of `at` in `zone`. */
function local(at: number, zone: string): { day: string; time: string } {
  const t = DateTime.fromMillis(at, { zone });
  return { day: t.toFormat('yyyy-MM-dd'), time: t.toFormat('HH:mm') };
}

/**
 * The transcript as plain text: one block per line, with its time and author. Times are in
 * `zone` (the visitor's, else UTC), the zone named on every line (`[04:00 EST]`), and a line on
 * another day than the one before it starts with that day too.
 */
export function transcriptText(session: ChatSession, lines: readonly ChatLine[], ref: string, zone = 'UTC'): string {
  const shown = displayZone(zone);
  const head = `Your chat with us (${ref}), ${local(session.createdAt, shown).day}\n`;
  const files = (l: ChatLine) => (l.files ?? []).map((f) => `[file: ${f.name}]\n`).join('');
  let day = local(session.createdAt, shown).day;
  const stamp = (at: number) => {
    const t = local(at, shown);
    const when = t.day === day ? t.time : `${t.day} ${t.time}`;
    day = t.day;
    return `${when} ${zoneAbbreviation(shown, at)}`;
  };
  return `${head}\n${lines.map((l) => `[${stamp(l.at)}] ${l.name}:\n${l.body}\n${files(l)}`).join('\n')}`;
}

export async function sendTranscript(services: Services, item: OutboxItem): Promise<void> {
  const session = await services.store.query((q) => findSession(q, Number(item.payload.session)));
  const done = (data: Record<string, unknown>) =>
    services.store.write(async (q) => {
      if (session?.caseId != null) {
        const ctx = await CaseContext.load(q, services, session.caseId, SYSTEM_ACTOR);
        await ctx.record('chat.transcript_sent', data);
        await ctx.save();
      }
      await markItemDone(q, item.id, services.clock.now());
    });
  if (!session || session.caseId === null) return done({ delivered: false, reason: 'the chat no longer exists' });
  if (!services.mailer) return done({ delivered: false, to: session.email, reason: 'SMTP_URL is not set' });
  const ref = `C-${session.caseId}`;
  const lines = await services.store.query((q) => linesAfter(q, session.id, 0, 10_000));
  await services.mailer.send({
    to: [session.email],
    subject: `[${ref}] Transcript of your chat`,
    text: transcriptText(session, lines, ref, typeof item.payload.zone === 'string' ? item.payload.zone : 'UTC'),
    messageId: `casebook.chat.${session.id}.${item.id}@casebook`,
    headers: automaticHeaders('auto-generated', services.email.supportAddress),
  });
  await done({ delivered: true, to: session.email, lines: lines.length });
}
