/**
 * A message and, optionally, a workflow transition in one transaction: "Send and wait on
 * customer", "Send and resolve". All or nothing: if the transition is refused (not possible
 * now, the role may not use it, a field it requires is missing) the message is not kept
 * either. A transition that requires a solution takes the public reply itself as the
 * solution; an internal note never becomes one (customers see the solution). Transitions
 * requiring a reason or a note are not offered here: they have their own form.
 */
import { z } from 'zod';
import { DomainError, ValidationError } from '../errors.js';
import { cleanText } from '../text/control-chars.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow, type TransitionFields } from '../workflow/context.js';
import { assertVersion } from './transition-case.js';
import { finishMessage, messageSchema, recordMessage, type AddMessageOptions, type MessageOutcome } from './add-message.js';

export const sendMessageSchema = messageSchema.extend({
  /** The message; may be empty when files are sent with it (a photo of the error, nothing to add): see `filesOnlyBody`. */
  body: z.string().overwrite(cleanText).trim().max(20_000).default(''),
  /** A transition (by name) to run after the message, in the same transaction. */
  transition: z.string().trim().min(1).max(100).optional(),
  /** The case version the caller saw (`If-Match` in the API): a newer case is 409 CONFLICT and nothing is sent. */
  expectedVersion: z.number().int().positive().optional(),
});
export type SendMessageInput = z.input<typeof sendMessageSchema>;

export interface SendMessageResult extends MessageOutcome {
  case: CaseRow;
  /** The transition that ran, if one was asked for. */
  transition: string | null;
}

export async function sendMessage(services: Services, caseId: number, input: SendMessageInput, actor: Actor, options: Pick<AddMessageOptions, 'attachments' | 'within'> = {}): Promise<SendMessageResult> {
  const { body: text, public: isPublic, transition, expectedVersion } = sendMessageSchema.parse(input);
  const files = options.attachments?.length ?? 0;
  if (text === '' && files === 0) throw new ValidationError([{ path: 'body', message: 'required' }]);
  const body = text === '' ? filesOnlyBody(files) : text;
  return services.store.write(async (q) => {
    const ctx = await CaseContext.load(q, services, caseId, actor);
    assertVersion(ctx, expectedVersion);
    const outcome = await recordMessage(ctx, { body, public: isPublic });
    await finishMessage(ctx, outcome.eventId, options);
    if (transition !== undefined) await ctx.invoke(transition, actor.role, fieldsFor(ctx, transition, text, isPublic));
    await ctx.save();
    return { ...outcome, case: ctx.case, transition: transition ?? null };
  });
}

/**
 * The text recorded for a message sent as files alone (as mail without text is: the timeline,
 * the notifications and search always have a text), e.g. "(No text, only 2 attachments.)".
 */
export function filesOnlyBody(files: number): string {
  return `(No text, only ${files === 1 ? 'an attachment' : `${files} attachments`}.)`;
}

/** The fields the message fills in for the transition: the reply as its solution, when it requires one (`text`: what was written, '' for files alone). */
function fieldsFor(ctx: CaseContext, name: string, text: string, isPublic: boolean): TransitionFields {
  const requires = Object.hasOwn(ctx.workflow.transitions, name) ? (ctx.workflow.transitions[name]!.requires ?? []) : [];
  if (!requires.includes('solution')) return {};
  const label = ctx.workflow.transitions[name]!.label ?? name;
  if (!isPublic) {
    throw new DomainError('TRANSITION_REQUIREMENT_MISSING', `"${label}" needs a solution the customer sees: send a public reply, or use "${label}" in Actions.`, { transition: name, missing: ['solution'] });
  }
  if (text === '') {
    throw new DomainError('TRANSITION_REQUIREMENT_MISSING', `"${label}" needs a solution the customer can read: write it in the reply, files alone are not one.`, { transition: name, missing: ['solution'] });
  }
  return { solution: text };
}
