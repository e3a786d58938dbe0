/** A person (or the API) moves a case through a named workflow transition. */
import { z } from 'zod';
import { DomainError } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { CaseContext, type CaseRow } from '../workflow/context.js';

export const transitionSchema = z.strictObject({
  transition: z.string().trim().min(1, 'required').max(100),
  note: z.string().trim().max(10_000).optional(),
  solution: z.string().trim().max(20_000).optional(),
  reason: z.string().trim().max(2_000).optional(),
  /** Optimistic concurrency: refuse with 409 CONFLICT if the case changed since this version. */
  expectedVersion: z.number().int().positive().optional(),
});
export type TransitionInput = z.infer<typeof transitionSchema>;

export async function transitionCase(services: Services, caseId: number, input: TransitionInput, actor: Actor): Promise<CaseRow> {
  return services.store.write(async (q) => {
    const ctx = await CaseContext.load(q, services, caseId, actor);
    assertVersion(ctx, input.expectedVersion);
    const fields = {
      ...(input.note ? { note: input.note } : {}),
      ...(input.solution ? { solution: input.solution } : {}),
      ...(input.reason ? { reason: input.reason } : {}),
    };
    await ctx.invoke(input.transition, actor.role, fields);
    await ctx.save();
    return ctx.case;
  });
}

export function assertVersion(ctx: CaseContext, expected: number | undefined): void {
  if (expected !== undefined && expected !== ctx.case.version) {
    throw new ConflictError(ctx);
  }
}

class ConflictError extends DomainError {
  constructor(ctx: CaseContext) {
    super('CONFLICT', `${ctx.ref} changed since you loaded it (version ${ctx.case.version}); reload and try again.`, {
      caseId: ctx.ref,
      version: ctx.case.version,
    });
  }
}
