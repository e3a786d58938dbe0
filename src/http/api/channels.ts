/**
 * `/api/v1/channels/mailboxes` (admins): the console mailboxes as JSON. The password is
 * write-only: given on POST (required) and PATCH (replaces it), answered only as
 * `passwordSet`. Without CHANNELS_KEY a password is refused with 409 CHANNELS_KEY_MISSING.
 *
 *   GET    /mailboxes          every mailbox with its status
 *   POST   /mailboxes          { name, host, port?, tls?, username, password, path?, queue, processed?, pollSeconds?, enabled? } → 201
 *   PATCH  /mailboxes/:id      any of those → 200
 *   DELETE /mailboxes/:id      → 204
 */
import { Hono } from 'hono';
import { iso } from '../../cases/case-view.js';
import { createMailbox } from '../../channels/email/create-mailbox.js';
import { deleteMailbox } from '../../channels/email/delete-mailbox.js';
import { createMailboxSchema, updateMailboxSchema } from '../../channels/email/mailbox-input.js';
import { listMailboxes, mailboxView, type MailboxView } from '../../channels/email/mailbox-store.js';
import { updateMailbox } from '../../channels/email/update-mailbox.js';
import { DomainError } from '../../errors.js';
import { jsonBody } from '../json-body.js';
import { requireRole } from '../middleware/api-auth.js';
import type { AppEnv } from '../types.js';

export function mailboxJson(m: MailboxView) {
  return {
    id: m.id,
    name: m.name,
    url: m.label,
    host: m.host,
    port: m.port,
    tls: m.tls,
    username: m.username,
    path: m.path,
    passwordSet: m.passwordSet,
    queue: m.queue,
    processed: m.processed,
    pollSeconds: m.pollSeconds,
    enabled: m.enabled,
    status: { state: m.status.state, text: m.status.text, since: iso(m.status.at), lastMailAt: iso(m.status.lastMailAt) },
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
  };
}

function mailboxId(raw: string): number {
  if (!/^\d{1,9}$/.test(raw)) throw new DomainError('MAILBOX_NOT_FOUND', `No mailbox ${raw}.`);
  return Number(raw);
}

export function channelRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requireRole('admin'));

  app.get('/mailboxes', (c) => c.json(listMailboxes(c.get('services').db).map((row) => mailboxJson(mailboxView(row)))));

  app.post('/mailboxes', async (c) => {
    const input = await jsonBody(c, createMailboxSchema);
    return c.json(mailboxJson(createMailbox(c.get('services'), input, c.get('principal')!.actor)), 201);
  });

  app.patch('/mailboxes/:id', async (c) => {
    const id = mailboxId(c.req.param('id'));
    const input = await jsonBody(c, updateMailboxSchema);
    return c.json(mailboxJson(updateMailbox(c.get('services'), id, input, c.get('principal')!.actor)));
  });

  app.delete('/mailboxes/:id', async (c) => {
    await deleteMailbox(c.get('services'), mailboxId(c.req.param('id')), c.get('principal')!.actor);
    return c.body(null, 204);
  });

  return app;
}
