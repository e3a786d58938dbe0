/**
 * Nobody available (outside the site's hours, or no agent with room for a chat): the widget
 * offers to leave a message. It becomes a case answered by mail: channel `email` (its SLA is
 * the mail one, in business hours, not the chat's seconds), in the site's queue unless a
 * rule routes it elsewhere, with `via: "chat-offline"` on `case.created`'s event for rules.
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
import { emailField } from '../text/email-address.js';

export const leaveMessageSchema = z.strictObject({
  name: z.string().transform(visitorLineText).pipe(z.string().min(1, 'required').max(200)),
  email: emailField('a valid e-mail address'),
  message: z
    .string()
    .transform(visitorText)
    .pipe(z.string().min(1, 'write a message first').max(20_000)),
});
export type LeaveMessageInput = z.input<typeof leaveMessageSchema>;

export async function leaveMessage(services: Services, site: ChatSite, input: LeaveMessageInput): Promise<CaseRow> {
  const parsed = leaveMessageSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  const { name, email, message } = parsed.data;
  if (message.length > services.chat.settings.maxMessageChars * 5) throw new ValidationError([{ path: 'message', message: 'too long' }]);
  const row = await createCase(services, { customer: { email, name }, subject: chatSubject(message).replace(/^Chat:/, 'Message from the chat:'), description: message }, SYSTEM_ACTOR, {
    channel: 'email',
    defaultQueue: site.queueId,
    eventData: { via: 'chat-offline', chatSite: site.id },
  });
  services.outbox.kick();
  return row;
}
