/**
 * Changes a console mailbox (admins): only the fields given. A password given replaces the
 * stored one (sealed again); pointing the mailbox at another host, port, transport or user
 * name needs the password again, so a stored password is never sent anywhere it was not
 * entered for. After commit the supervisor restarts (or stops) its poller.
 */
import { eq } from 'drizzle-orm';
import { auditIn } from '../../audit/record-audit.js';
import { ValidationError } from '../../errors.js';
import type { Actor } from '../../roles.js';
import type { Services } from '../../services.js';
import { assertAdmin, checkMailbox, defaultPort, movesPassword, parseMailboxInput, updateMailboxSchema, type UpdateMailboxInput } from './mailbox-input.js';
import { auditedMailbox, getMailbox, mailboxView, requireKey, sealPassword, type MailboxView } from './mailbox-store.js';

export async function updateMailbox(services: Services, id: number, raw: UpdateMailboxInput, actor: Actor): Promise<MailboxView> {
  assertAdmin(actor);
  const input = parseMailboxInput(updateMailboxSchema, raw);
  const key = input.password !== undefined ? requireKey(services) : null;
  const now = services.clock.now();
  const row = await services.store.write(async (q) => {
    const mailboxes = q.tables.mailboxes;
    const before = await getMailbox(q, id);
    const tls = input.tls ?? before.tls;
    const port = input.port === null ? defaultPort(tls) : (input.port ?? (input.tls !== undefined && before.port === defaultPort(before.tls) ? defaultPort(tls) : before.port));
    const after = {
      name: input.name ?? before.name,
      host: input.host ?? before.host,
      port,
      tls,
      username: input.username ?? before.username,
      path: input.path ?? before.path,
      queueId: input.queue ?? before.queueId,
      processed: input.processed ?? before.processed,
      pollSeconds: input.pollSeconds ?? before.pollSeconds,
      enabled: input.enabled ?? before.enabled,
    };
    if (key === null && before.passwordSealed !== null && movesPassword(before, after)) {
      throw new ValidationError([{ path: 'password', message: 'enter the password again: the server, port, TLS or user name changed' }]);
    }
    await checkMailbox(q, services, after, id);
    const [updated] = await q.db
      .update(mailboxes)
      .set({ ...after, ...(key !== null ? { passwordSealed: sealPassword(key, id, input.password!) } : {}), updatedAt: now })
      .where(eq(mailboxes.id, id))
      .returning();
    await auditIn(q, now, actor, 'mailbox', id, 'updated', auditedMailbox(before), { ...auditedMailbox(updated!), passwordChanged: key !== null });
    return updated!;
  });
  services.logger.info('channels: mailbox changed', { mailbox: id, name: row.name, by: actor.name, fields: Object.keys(input) });
  services.mailboxes.changed(id);
  return mailboxView(row);
}
