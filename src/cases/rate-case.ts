/**
 * Customer satisfaction: the case's own customer rates a resolved or closed case
 * (satisfied or not, with a comment). One rating per resolution: rating again replaces it, and
 * a reopen makes it an earlier rating (kept; the next resolution is rated anew).
 * `case.rated` goes on the timeline; `case_ratings` feeds the CSAT reports.
 */
import { isNull } from 'drizzle-orm';
import { z } from 'zod';
import { DomainError, ValidationError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';

export const rateSchema = z.strictObject({
  satisfied: z.boolean({ error: 'choose whether you are satisfied' }),
  comment: z.string().trim().max(2_000).default(''),
});
export type RateInput = z.input<typeof rateSchema>;

export interface RateOptions {
  /** How the rating came in: `mail-link` for the one-click links of the resolved mail (recorded on `case.rated`). */
  via?: 'mail-link';
}

export async function rateCase(services: Services, caseId: number, input: RateInput, actor: Actor, options: RateOptions = {}): Promise<CaseRow> {
  const parsed = rateSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  const { satisfied, comment } = parsed.data;
  return services.store.write(async (q) => {
    const ctx = await CaseContext.load(q, services, caseId, actor);
    if (actor.type !== 'customer' || actor.id !== ctx.case.customerId) {
      throw new DomainError('FORBIDDEN', 'Only the customer who asked for help can rate it.');
    }
    const category = ctx.workflow.states[ctx.case.status]?.category;
    if (category !== 'resolved' && category !== 'closed') {
      throw new DomainError('INVALID_TRANSITION', `${ctx.ref} is not resolved yet; you can rate it once it is.`, { caseId: ctx.ref });
    }
    const { caseRatings } = q.tables;
    const [replaced] = await q.db
      .insert(caseRatings)
      .values({ caseId, customerId: ctx.case.customerId, satisfied, comment, createdAt: ctx.now })
      .onConflictDoUpdate({ target: caseRatings.caseId, targetWhere: isNull(caseRatings.supersededAt), set: { satisfied, comment, createdAt: ctx.now } })
      .returning({ id: caseRatings.id });
    await ctx.raise('case.rated', { satisfied, comment, ratingId: replaced!.id, ...(options.via ? { via: options.via } : {}) });
    await ctx.save();
    return ctx.case;
  });
}
