/**
 * Nobody available (outside the site's hours, or no agent with room for a chat): the widget
 * offers to leave a message. It becomes a case answered by mail: channel `email` (its SLA is
 * the mail one, in business hours, not the chat's seconds), in the site's queue unless a
 * rule routes it elsewhere, with `via: "chat-offline"` on `case.created`'s event for rules.
 * Its address was only typed (anyone can type anyone's), unless the host site signed it as for
 * a chat: the case is marked "e-mail not verified" and every mail Casebook sends there by itself,
 * the acknowledgement first, is held until an agent confirms the address (chat-identity.ts
 * `leftMessageIdentity`, notifications/held-mail.ts), as for a chat with a typed address.
 */
import { z } from 'zod';
import { createCase } from '../cases/create-case.js';
import { ValidationError } from '../errors.js';
import { SYSTEM_ACTOR } from '../roles.js';
import type { Services } from '../services.js';
import type { CaseRow } from '../workflow/context.js';
import { chatSubject } from './visitor-message.js';
import { visitorLineText, visitorText } from './visitor-text.js';
import type { ChatSite } from './sites.js';
import { canonicalEmail, emailField } from '../text/email-address.js';
import type { LeftMessageMark } from '../cases/chat-identity.js';
import { assertSignedIdentity } from './sessions.js';

export const leaveMessageSchema = z.strictObject({
  name: z.string().transform(visitorLineText).pipe(z.string().min(1, 'required').max(200)),
  email: emailField('a valid e-mail address'),
  message: z
    .string()
    .transform(visitorText)
    .pipe(z.string().min(1, 'write a message first').max(20_000)),
  /** The host site's signature of `email` and its expiry, as for a chat (sessions.ts `startSchema`): no hold. */
  signature: z.string().max(128).optional(),
  exp: z.number().int().min(0).max(1e11).optional(),
});
export type LeaveMessageInput = z.input<typeof leaveMessageSchema>;

export async function leaveMessage(services: Services, site: ChatSite, input: LeaveMessageInput): Promise<CaseRow> {
  const parsed = leaveMessageSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  const { name, email, message, signature, exp } = parsed.data;
  if (message.length > services.chat.settings.maxMessageChars * 5) throw new ValidationError([{ path: 'message', message: 'too long' }]);
  if (signature !== undefined) assertSignedIdentity(services, site, email, signature, exp);
  const mark: LeftMessageMark = { via: 'chat-offline', chatSite: site.id, visitorEmail: canonicalEmail(email), emailVerified: signature !== undefined };
  const row = await createCase(services, { customer: { email, name }, subject: chatSubject(message).replace(/^Chat:/, 'Message from the chat:'), description: message }, SYSTEM_ACTOR, {
    channel: 'email',
    defaultQueue: site.queueId,
    eventData: { via: 'chat-offline', chatSite: site.id },
    created: { ...mark },
  });
  services.outbox.kick();
  return row;
}
