/**
 * Deletes a console mailbox (admins): its poller stops (after the mail in hand), then the row
 * goes, and its password with it.
 * Its lines in the inbound-mail log stay (they keep the mailbox's URL, without the password),
 * and so do its UID checkpoints: added again, it resumes where it stopped.
 */
import { eq } from 'drizzle-orm';
import { auditIn } from '../../audit/record-audit.js';
import type { Actor } from '../../roles.js';
import type { Services } from '../../services.js';
import { assertAdmin } from './mailbox-input.js';
import { auditedMailbox, getMailbox } from './mailbox-store.js';

export async function deleteMailbox(services: Services, id: number, actor: Actor): Promise<void> {
  assertAdmin(actor);
  await services.store.query((q) => getMailbox(q, id));
  // Its poller stops first: a mail it is filing right now is finished and logged with the mailbox.
  await services.mailboxes.release(id);
  const now = services.clock.now();
  const row = await services.store.write(async (q) => {
    const { inboundMail, mailboxes } = q.tables;
    const found = await getMailbox(q, id);
    await q.db.update(inboundMail).set({ mailboxId: null }).where(eq(inboundMail.mailboxId, id));
    await q.db.delete(mailboxes).where(eq(mailboxes.id, id));
    await auditIn(q, now, actor, 'mailbox', id, 'deleted', auditedMailbox(found), null);
    return found;
  });
  services.logger.info('channels: mailbox deleted', { mailbox: id, name: row.name, by: actor.name });
  services.mailboxes.changed(id);
}
