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
import { statement } from '../db/fast.js';
import { describeRate, type Rate } from '../auth/rate-limit.js';
import { DomainError } from '../errors.js';
import { SYSTEM_ACTOR } from '../roles.js';
import { markItemDone } from '../outbox/dialect.js';
import type { OutboxItem } from '../outbox/outbox.js';
import type { Services } from '../services.js';
import { linesAfter, type ChatLine } from './lines.js';
import { CaseContext } from '../workflow/context.js';
import { sessionById, type ChatSession } from './sessions.js';

export const TRANSCRIPT_MAIL = 'chat.transcript';

/** TOO_MANY_REQUESTS when `times` (newest first, at most `rate.count`, all within the window) fill the window. */
function assertWindow(times: readonly number[], rate: Rate, now: number, what: string): void {
  if (rate.count <= 0 || times.length < rate.count) return;
  const retryAfterSeconds = Math.max(1, Math.ceil((times[rate.count - 1]! + rate.windowMs - now) / 1000));
  const when = retryAfterSeconds < 5400 ? `${Math.ceil(retryAfterSeconds / 60)} minutes` : `${Math.ceil(retryAfterSeconds / 3600)} hours`;
  throw new DomainError('TOO_MANY_REQUESTS', `Too many ${what}: at most ${describeRate(rate)}. Try again in ${when}.`, { retryAfterSeconds });
}

function checkTranscriptLimits(services: Services, session: ChatSession, now: number): void {
  const { transcriptsPerAddress, transcriptsPerSite } = services.chat.settings;
  if (!session.verified) {
    const asked = statement<[number], number | null>(services.db, 'SELECT transcript_requested_at FROM chat_sessions WHERE id = ?').pluck().get(session.id);
    if (asked != null) throw new DomainError('CHAT_UNAVAILABLE', `The transcript of this chat was already sent to ${session.email}.`);
    const toAddress = statement<[string, number, number], number>(
      services.db,
      'SELECT t.requested_at FROM chat_sessions s JOIN chat_transcripts t ON t.session_id = s.id WHERE s.email = ? AND s.verified = 0 AND t.requested_at > ? ORDER BY t.requested_at DESC LIMIT ?',
    )
      .pluck()
      .all(session.email, now - transcriptsPerAddress.windowMs, Math.max(1, transcriptsPerAddress.count));
    assertWindow(toAddress, transcriptsPerAddress, now, 'chat transcripts to this address');
  }
  const onSite = statement<[string, number, number], number>(services.db, 'SELECT requested_at FROM chat_transcripts WHERE site_id = ? AND requested_at > ? ORDER BY requested_at DESC LIMIT ?')
    .pluck()
    .all(session.siteId, now - transcriptsPerSite.windowMs, Math.max(1, transcriptsPerSite.count));
  assertWindow(onSite, transcriptsPerSite, now, 'chat transcripts on this website');
}

export function requestTranscript(services: Services, session: ChatSession): void {
  if (session.caseId === null) throw new DomainError('CHAT_UNAVAILABLE', 'Nothing was written in this chat yet.');
  const now = services.clock.now();
  services.db.$client.transaction(() => {
    checkTranscriptLimits(services, session, now);
    statement(services.db, 'INSERT INTO chat_transcripts (session_id, site_id, requested_at) VALUES (?, ?, ?)').run(session.id, session.siteId, now);
    statement(services.db, 'UPDATE chat_sessions SET transcript_requested_at = ? WHERE id = ?').run(now, session.id);
    statement(services.db, 'INSERT INTO outbox (type, case_id, payload, created_at, available_at) VALUES (?, ?, ?, ?, ?)').run(
      TRANSCRIPT_MAIL,
      session.caseId,
      JSON.stringify({ session: session.id, upTo: session.lastSeq }),
      now,
      now,
    );
  })();
  services.outbox.kick();
}

const time = (at: number) => new Date(at).toISOString().slice(11, 16);

/** The transcript as plain text: one block per line, with its time (UTC) and author. */
export function transcriptText(session: ChatSession, lines: readonly ChatLine[], ref: string): string {
  const head = `Your chat with us (${ref}), ${new Date(session.createdAt).toISOString().slice(0, 10)}\n`;
  return `${head}\n${lines.map((l) => `[${time(l.at)} UTC] ${l.name}:\n${l.body}\n`).join('\n')}`;
}

export async function sendTranscript(services: Services, item: OutboxItem): Promise<void> {
  const session = sessionById(services, Number(item.payload.session));
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
    text: transcriptText(session, lines, ref),
    messageId: `casebook.chat.${session.id}.${item.id}@casebook`,
    headers: { 'Auto-Submitted': 'auto-generated' },
  });
  await done({ delivered: true, to: session.email, lines: lines.length });
}
