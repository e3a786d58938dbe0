/**
 * CSAT asked in the widget when a chat ends: the visitor rates the conversation (satisfied
 * or not, a comment). It is the case's rating (`case_ratings`, `case.rated` with
 * `via: "chat"`), so the CSAT reports count it; unlike the portal's rating it does not wait for
 * the case to be resolved, because the chat is over. Rating again replaces it (the current
 * rating, until a reopen makes it an earlier one: rate-case.ts).
 */
import { isNull } from 'drizzle-orm';
import { get } from '../db/store/rows.js';
import { DomainError } from '../errors.js';
import { rateSchema, type RateInput } from '../cases/rate-case.js';
import { ValidationError } from '../errors.js';
import type { Services } from '../services.js';
import { CaseContext } from '../workflow/context.js';
import type { ChatSession } from './sessions.js';
import { visitorText } from './visitor-text.js';

export async function rateChat(services: Services, session: ChatSession, input: RateInput): Promise<void> {
  if (session.caseId === null) throw new DomainError('CHAT_UNAVAILABLE', 'Nothing was written in this chat yet.');
  if (session.state !== 'ended') throw new DomainError('CHAT_UNAVAILABLE', 'Rate the chat once it has ended.');
  // The comment's control characters removed, as in the visitor's messages (NUL cannot be stored on PostgreSQL).
  const parsed = rateSchema.safeParse(typeof input.comment === 'string' ? { ...input, comment: visitorText(input.comment) } : input);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  const { satisfied, comment } = parsed.data;
  const caseId = session.caseId;
  await services.store.write(async (q) => {
    const { caseRatings } = q.tables;
    const customerId = (await get<{ customer_id: number }>(q, 'SELECT customer_id FROM cases WHERE id = ?', [caseId]))!.customer_id;
    const ctx = await CaseContext.load(q, services, caseId, { type: 'customer', id: customerId, role: 'customer', name: session.name });
    const [row] = await q.db
      .insert(caseRatings)
      .values({ caseId, customerId, satisfied, comment, createdAt: ctx.now })
      .onConflictDoUpdate({ target: caseRatings.caseId, targetWhere: isNull(caseRatings.supersededAt), set: { satisfied, comment, createdAt: ctx.now } })
      .returning({ id: caseRatings.id });
    await ctx.raise('case.rated', { satisfied, comment, ratingId: row!.id, via: 'chat' });
    await ctx.save();
  });
}
