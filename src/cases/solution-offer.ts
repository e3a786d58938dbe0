/**
 * The known-problem solution offered to the customer. When a rule decides `offerSolution`
 * on a case diagnosed with a known problem, the problem's solution is put on the timeline
 * (`case.solutionOffered`, public: the portal shows it) and mailed to the customer. The
 * customer answers once: "This solved it" (`case.solutionAccepted`) resolves the case
 * through the customer's own workflow transition with that solution; "No, I still need
 * help" (`case.solutionDeclined`) leaves it open for the agents. All three are raised as
 * workflow events, so a workflow can run rulesets on them (`triggers`).
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Handle } from '../db/store/index.js';
import { get } from '../db/store/rows.js';
import { DomainError } from '../errors.js';
import { own } from '../own.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { availableTransitions } from '../workflow/transition.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';

export const OFFER_EVENTS = ['case.solutionOffered', 'case.solutionAccepted', 'case.solutionDeclined'] as const;

export interface SolutionOffer {
  problemId: number;
  title: string;
  solution: string;
  /** `open` until the customer answers. */
  answer: 'open' | 'solved' | 'notSolved';
}

/** The latest offer told by these timeline entries (oldest first), with its answer. */
export function offerOf(entries: readonly { type: string; data: Record<string, unknown> }[]): SolutionOffer | null {
  let offer: SolutionOffer | null = null;
  for (const e of entries) {
    if (e.type === 'case.solutionOffered') {
      offer = { problemId: Number(e.data.problemId), title: String(e.data.title ?? ''), solution: String(e.data.solution ?? ''), answer: 'open' };
    } else if (offer && offer.answer === 'open' && (e.type === 'case.solutionAccepted' || e.type === 'case.solutionDeclined')) {
      offer.answer = e.type === 'case.solutionAccepted' ? 'solved' : 'notSolved';
    }
  }
  return offer;
}

/** The case's offer through a handle. */
export async function readOffer(q: Handle, caseId: number): Promise<SolutionOffer | null> {
  const { caseEvents } = q.tables;
  const rows = await q.db
    .select({ type: caseEvents.type, data: caseEvents.data })
    .from(caseEvents)
    .where(and(eq(caseEvents.caseId, caseId), inArray(caseEvents.type, [...OFFER_EVENTS])))
    .orderBy(asc(caseEvents.id));
  return offerOf(rows);
}


interface OfferedProblem {
  id: number;
  title: string;
  solution: string;
}

/**
 * Offers the case's diagnosed known problem (inside the unit of work) and mails it to the
 * customer unless `mail` is false (an acknowledgement mail going out carries it). Nothing
 * happens when the case matched no active problem, or when that problem was offered already.
 */
export async function offerSolution(ctx: CaseContext, rule: string, event: string, options: { mail?: boolean } = {}): Promise<void> {
  const c = ctx.case;
  const problemId = c.diagnosisMatched ? c.suggestions[0]?.problemId : undefined;
  if (problemId === undefined) return;
  const problem = await get<OfferedProblem>(ctx.q, 'SELECT id, title, solution FROM problems WHERE id = ? AND active = TRUE', [problemId]);
  if (!problem) return;
  if (offerOf(await ctx.timelineOf(OFFER_EVENTS))?.problemId === problem.id) return;
  // Public (the customer's timeline shows it): which rule decided it is on `rules.evaluated`.
  await ctx.raise('case.solutionOffered', { problemId: problem.id, title: problem.title, solution: problem.solution });
  if (options.mail !== false) await ctx.enqueue('notification.send', { to: 'customer', template: 'solution-offered', source: rule, event, data: {} });
}

export const offerAnswerSchema = z.strictObject({ answer: z.enum(['solved', 'notSolved'], { error: 'answer solved or notSolved' }) });
export type OfferAnswer = z.infer<typeof offerAnswerSchema>;

/**
 * The customer's answer to the open offer. "solved" raises `case.solutionAccepted` — a
 * transition `on` it may resolve the case — then, unless resolved by it, takes the first
 * transition the customer may use from here into a resolved state, recording the offered
 * solution either way. With neither, the answer stands and staff resolve the case (it was
 * refused with 409 before, the customer's "This solved it" lost).
 */
export async function answerSolutionOffer(services: Services, caseId: number, input: OfferAnswer, actor: Actor): Promise<CaseRow> {
  if (actor.type !== 'customer') throw new DomainError('FORBIDDEN', 'Only the customer answers an offered solution.');
  return services.store.write(async (q) => {
    const ctx = await CaseContext.load(q, services, caseId, actor);
    const offer = await readOffer(q, caseId);
    if (!offer || offer.answer !== 'open') {
      throw new DomainError('NO_SOLUTION_OFFERED', `${ctx.ref} has no offered solution waiting for an answer.`, { caseId: ctx.ref });
    }
    const data = { problemId: offer.problemId, title: offer.title };
    if (input.answer === 'notSolved') {
      await ctx.raise('case.solutionDeclined', data);
    } else {
      await ctx.raise('case.solutionAccepted', data);
      const resolved = (state: string) => own(ctx.workflow.states, state)?.category === 'resolved';
      if (resolved(ctx.case.status)) {
        // The workflow resolved the case on the event itself (an `on` transition): with the library's solution.
        ctx.case.solution ??= offer.solution;
      } else {
        const solve = availableTransitions(ctx.workflow, ctx.case, 'customer').find((t) => resolved(t.to));
        // The solution is the library's, not the customer's words: Casebook supplies it.
        if (solve) await ctx.invoke(solve.name, 'customer', {}, { solution: offer.solution });
      }
      // Otherwise the answer is recorded (the timeline, the offer) and staff resolve the case.
    }
    await ctx.save();
    return ctx.case;
  });
}
