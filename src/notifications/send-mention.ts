/**
 * Outbox handler for `notification.mention`: mails a colleague mentioned in an internal note
 * (src/cases/mentions.ts) the note, with a link to the case. Staff only, always: the
 * recipient is a staff member by id, never an address from the note. Checked again when it
 * is sent: a colleague deactivated since, or who may no longer see the case (it moved to
 * another queue), is not mailed. The outcome is on the staff timeline (`notification.sent`,
 * template `staff-mentioned`); failures are retried by the outbox and logged (`email.failed`).
 */
import { and, eq } from 'drizzle-orm';
import { canSeeCase } from '../cases/access.js';
import { caseRef } from '../cases/case-ref.js';
import { sendCaseMail } from '../channels/email/outbound.js';
import { markItemDone } from '../outbox/dialect.js';
import type { OutboxItem } from '../outbox/outbox.js';
import type { Services } from '../services.js';
import { displayText } from '../text/display.js';

export const MENTION_TEMPLATE = 'staff-mentioned';

export async function sendMentionMail(services: Services, item: OutboxItem): Promise<void> {
  const { store } = services;
  const { staffId, note, by } = item.payload as { staffId: number; note: number | null; by: string };
  const read = await store.query(async (q) => {
    const { cases, staff, caseEvents, staffQueues } = q.tables;
    const [c] = item.caseId === null ? [] : await q.db.select().from(cases).where(eq(cases.id, item.caseId)).limit(1);
    if (!c) return null;
    const [member] = await q.db.select().from(staff).where(eq(staff.id, Number(staffId))).limit(1);
    const [entry] = note === null ? [] : await q.db.select().from(caseEvents).where(eq(caseEvents.id, Number(note))).limit(1);
    const [inQueue] = member ? await q.db.select({ id: staffQueues.staffId }).from(staffQueues).where(and(eq(staffQueues.staffId, member.id), eq(staffQueues.queueId, c.queueId))).limit(1) : [];
    return { c, member, entry, inQueue: inQueue !== undefined };
  });
  if (!read) {
    await store.write((q) => markItemDone(q, item.id, services.clock.now()));
    return;
  }
  const { c, member, entry, inQueue } = read;
  const body = entry && entry.caseId === c.id && entry.type === 'staff.noted' ? String(entry.data.body ?? '') : '';
  const base = { template: MENTION_TEMPLATE, to: 'mentioned', staffId: member?.id ?? staffId, name: member?.name ?? null };
  let outcome: Record<string, unknown>;
  if (!member || !member.active) {
    outcome = { ...base, delivered: false, reason: 'no longer an active staff member' };
  } else if (!canSeeCase({ actor: { type: 'staff', id: member.id, role: member.role, name: member.name }, staffId: member.id, customerId: null, queues: new Set(inQueue ? [c.queueId] : []) }, c)) {
    // The same rule as every page (and `staffCanSee` of src/cases/mentions.ts), read above.
    outcome = { ...base, delivered: false, reason: 'cannot see this case any more' };
  } else if (!services.mailer) {
    outcome = { ...base, recipients: [member.email], delivered: false, reason: 'SMTP_URL is not set' };
  } else {
    const ref = caseRef(c.id);
    const url = `${services.publicUrl}/cases/${ref}`;
    const text = `${by} mentioned you in an internal note on ${ref} "${c.subject}":\n\n${body.trim()}\n\nOpen the case: ${url}\n(Internal: the customer does not see this note.)\n`;
    await sendCaseMail(
      services,
      item,
      c.id,
      { to: [member.email], subject: displayText(`[${ref}] ${by} mentioned you: ${c.subject}`), text: displayText(text), headers: { 'Auto-Submitted': 'auto-generated' } },
      { kind: 'notification', template: MENTION_TEMPLATE },
    );
    outcome = { ...base, recipients: [member.email], delivered: true };
  }
  await store.write(async (q) => {
    if (!(await markItemDone(q, item.id, services.clock.now()))) return;
    await q.db.insert(q.tables.caseEvents).values({ caseId: c.id, type: 'notification.sent', at: services.clock.now(), actorType: 'system', actorId: null, data: outcome });
  });
}
