/**
 * Case bookkeeping that follows from events, whatever the workflow: first response time (a public
 * staff reply, or a call in which staff spoke with the customer), reopen count. The SLA module and
 * the email channel add their own subscribers; the composition root (src/compose.ts) registers them all.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { CaseContext } from './context.js';
import type { Subscribers } from './subscribers.js';
import { isOpenCategory } from './transition.js';

export function registerCaseBookkeeping(subscribers: Subscribers): Subscribers {
  const answered = (ctx: CaseContext) => {
    ctx.case.firstResponseAt ??= ctx.now;
  };
  subscribers.on('staff.replied', answered);
  // A call in which staff spoke with the customer is a response too (src/cases/log-call.ts).
  subscribers.on('call.logged', (ctx, { data }) => (data.answers === true ? answered(ctx) : undefined));
  subscribers.on('case.reopened', (ctx) => {
    ctx.case.reopenCount += 1;
  });
  // A rating belongs to a resolution: once the case is open again (whatever the workflow calls
  // it), the current rating becomes an earlier one — kept, and counted by CSAT when it was given.
  subscribers.on('case.transitioned', async (ctx, event) => {
    const from = ctx.workflow.states[String(event.data.from)]?.category;
    const to = event.data.category;
    if (from === undefined || isOpenCategory(from) || typeof to !== 'string' || !isOpenCategory(to as never)) return;
    const { caseRatings } = ctx.q.tables;
    await ctx.q.db
      .update(caseRatings)
      .set({ supersededAt: ctx.now })
      .where(and(eq(caseRatings.caseId, ctx.case.id), isNull(caseRatings.supersededAt)));
  });
  return subscribers;
}
