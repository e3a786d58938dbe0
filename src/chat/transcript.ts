/**
 * The transcript, mailed on the visitor's request: asking writes an outbox item
 * (`chat.transcript`) and the handler mails every line of the chat to the session's e-mail,
 * then records `chat.transcript_sent` on the case (a change of the case: its version goes up). A retry after a failed send mails the same
 * transcript (same Message-ID); asking again later mails it again, with what came since.
 */
import { transaction } from '../db/client.js';
import { statement } from '../db/fast.js';
import { DomainError } from '../errors.js';
import { SYSTEM_ACTOR } from '../roles.js';
import { markDone, type OutboxItem } from '../outbox/outbox.js';
import type { Services } from '../services.js';
import { linesAfter, type ChatLine } from './lines.js';
import { CaseContext } from '../workflow/context.js';
import { sessionById, type ChatSession } from './sessions.js';

export const TRANSCRIPT_MAIL = 'chat.transcript';

export function requestTranscript(services: Services, session: ChatSession): void {
  if (session.caseId === null) throw new DomainError('CHAT_UNAVAILABLE', 'Nothing was written in this chat yet.');
  const now = services.clock.now();
  services.db.$client.transaction(() => {
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
    transaction(services.db, () => {
      if (session?.caseId != null) {
        const ctx = CaseContext.load(services, session.caseId, SYSTEM_ACTOR);
        ctx.record('chat.transcript_sent', data);
        ctx.save();
      }
      markDone(services.db, item.id, services.clock.now());
    });
  if (!session || session.caseId === null) return done({ delivered: false, reason: 'the chat no longer exists' });
  if (!services.mailer) return done({ delivered: false, to: session.email, reason: 'SMTP_URL is not set' });
  const ref = `C-${session.caseId}`;
  const lines = linesAfter(services.db, session.id, 0, 10_000);
  await services.mailer.send({
    to: [session.email],
    subject: `[${ref}] Transcript of your chat`,
    text: transcriptText(session, lines, ref),
    messageId: `casebook.chat.${session.id}.${item.id}@casebook`,
    headers: { 'Auto-Submitted': 'auto-generated' },
  });
  done({ delivered: true, to: session.email, lines: lines.length });
}
