/**
 * Deletes a console mailbox (admins): its poller stops, its password is gone with the row.
 * Its lines in the inbound-mail log stay (they keep the mailbox's URL, without the password),
 * and so do its UID checkpoints: added again, it resumes where it stopped.
 */
import { eq } from 'drizzle-orm';
import { transaction } from '../../db/client.js';
import { inboundMail, mailboxes } from '../../db/schema/index.js';
import type { Actor } from '../../roles.js';
import type { Services } from '../../services.js';
import { assertAdmin } from './mailbox-input.js';
import { getMailbox } from './mailbox-store.js';

export function deleteMailbox(services: Services, id: number, actor: Actor): void {
  assertAdmin(actor);
  const { db } = services;
  const row = transaction(db, () => {
    const found = getMailbox(db, id);
    db.update(inboundMail).set({ mailboxId: null }).where(eq(inboundMail.mailboxId, id)).run();
    db.delete(mailboxes).where(eq(mailboxes.id, id)).run();
    return found;
  });
  services.logger.info('channels: mailbox deleted', { mailbox: id, name: row.name, by: actor.name });
  services.mailboxes.changed(id);
}
