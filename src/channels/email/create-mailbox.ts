/**
 * Adds a console mailbox (admins). The password is sealed with CHANNELS_KEY under the new
 * row's id in the same transaction as the insert; without a key nothing is stored. After
 * commit the supervisor starts its poller (when enabled).
 */
import { eq } from 'drizzle-orm';
import { auditIn } from '../../audit/record-audit.js';
import type { Actor } from '../../roles.js';
import type { Services } from '../../services.js';
import { assertAdmin, checkMailbox, createMailboxSchema, defaultPort, parseMailboxInput, type CreateMailboxInput } from './mailbox-input.js';
import { auditedMailbox, mailboxView, requireKey, sealPassword, type MailboxView } from './mailbox-store.js';

export async function createMailbox(services: Services, raw: CreateMailboxInput, actor: Actor): Promise<MailboxView> {
  assertAdmin(actor);
  const input = parseMailboxInput(createMailboxSchema, raw);
  const key = requireKey(services);
  const now = services.clock.now();
  const values = {
    name: input.name,
    host: input.host,
    port: input.port ?? defaultPort(input.tls),
    tls: input.tls,
    username: input.username,
    path: input.path,
    queueId: input.queue,
    processed: input.processed,
    pollSeconds: input.pollSeconds,
    enabled: input.enabled,
    status: 'stopped' as const,
    statusText: input.enabled ? 'Starting' : 'Disabled',
    statusAt: now,
    createdAt: now,
    updatedAt: now,
  };
  const row = await services.store.write(async (q) => {
    const mailboxes = q.tables.mailboxes;
    await checkMailbox(q, services, { ...values }, null);
    const [inserted] = await q.db.insert(mailboxes).values(values).returning({ id: mailboxes.id });
    // Sealed under the new row's id (its associated data): known only once the row exists.
    const [sealed] = await q.db
      .update(mailboxes)
      .set({ passwordSealed: sealPassword(key, inserted!.id, input.password) })
      .where(eq(mailboxes.id, inserted!.id))
      .returning();
    await auditIn(q, now, actor, 'mailbox', sealed!.id, 'created', null, auditedMailbox(sealed!));
    return sealed!;
  });
  services.logger.info('channels: mailbox added', { mailbox: row.id, name: row.name, by: actor.name });
  services.mailboxes.changed(row.id);
  return mailboxView(row);
}
