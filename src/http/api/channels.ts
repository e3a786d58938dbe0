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
import { z } from 'zod';
import { ADMINS_ONLY, apiGroup, on } from '../openapi/route-spec.js';
import { mailbox } from './schemas/admin.js';

export const channelApi = apiGroup('/channels', 'Channels');
const mailboxIdParam = { id: z.string().meta({ description: 'The mailbox id.' }) };

export const listMailboxesRoute = channelApi.route({ method: 'get', path: '/mailboxes', summary: 'IMAP mailboxes', description: 'Every mailbox with its status.', access: ADMINS_ONLY, responses: { 200: z.array(mailbox) } });
export const createMailboxRoute = channelApi.route({
  method: 'post',
  path: '/mailboxes',
  summary: 'Add a mailbox',
  description: 'The password is write-only (answered as `passwordSet`); without CHANNELS_KEY it is refused with 409 CHANNELS_KEY_MISSING.',
  access: ADMINS_ONLY,
  body: createMailboxSchema,
  responses: { 201: mailbox },
  errors: [409],
});
export const updateMailboxRoute = channelApi.route({ method: 'patch', path: '/mailboxes/:id', summary: 'Change a mailbox', access: ADMINS_ONLY, params: mailboxIdParam, body: updateMailboxSchema, responses: { 200: mailbox }, errors: [409] });
export const deleteMailboxRoute = channelApi.route({ method: 'delete', path: '/mailboxes/:id', summary: 'Remove a mailbox', access: ADMINS_ONLY, params: mailboxIdParam, responses: { 204: { description: 'Removed' } } });

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

  on(app, listMailboxesRoute, async (c) => c.json((await c.get('services').store.query((q) => listMailboxes(q))).map((row) => mailboxJson(mailboxView(row)))));

  on(app, createMailboxRoute, async (c) => {
    const input = await jsonBody(c, createMailboxRoute.body);
    return c.json(mailboxJson(await createMailbox(c.get('services'), input, c.get('principal')!.actor)), 201);
  });

  on(app, updateMailboxRoute, async (c) => {
    const id = mailboxId(c.req.param('id'));
    const input = await jsonBody(c, updateMailboxRoute.body);
    return c.json(mailboxJson(await updateMailbox(c.get('services'), id, input, c.get('principal')!.actor)));
  });

  on(app, deleteMailboxRoute, async (c) => {
    await deleteMailbox(c.get('services'), mailboxId(c.req.param('id')), c.get('principal')!.actor);
    return c.body(null, 204);
  });

  return app;
}
