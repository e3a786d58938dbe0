/**
 * Deletes a console mailbox (admins): its poller stops (after the mail in hand), then the row
 * goes, and its password with it.
 * Its lines in the inbound-mail log stay (they keep the mailbox's URL, without the password),
 * and so do its UID checkpoints: added again, it resumes where it stopped.
 */
import { eq } from 'drizzle-orm';
import { audit } from '../../audit/record-audit.js';
import { transaction } from '../../db/client.js';
import { inboundMail, mailboxes } from '../../db/schema/index.js';
import type { Actor } from '../../roles.js';
import type { Services } from '../../services.js';
import { assertAdmin } from './mailbox-input.js';
import { auditedMailbox, getMailbox } from './mailbox-store.js';

export async function deleteMailbox(services: Services, id: number, actor: Actor): Promise<void> {
  assertAdmin(actor);
  const { db } = services;
  getMailbox(db, id);
  // Its poller stops first: a mail it is filing right now is finished and logged with the mailbox.
  await services.mailboxes.release(id);
  const row = transaction(db, () => {
    const found = getMailbox(db, id);
    db.update(inboundMail).set({ mailboxId: null }).where(eq(inboundMail.mailboxId, id)).run();
    db.delete(mailboxes).where(eq(mailboxes.id, id)).run();
    audit(services, actor, 'mailbox', id, 'deleted', auditedMailbox(found), null);
    return found;
  });
  services.logger.info('channels: mailbox deleted', { mailbox: id, name: row.name, by: actor.name });
  services.mailboxes.changed(id);
}
