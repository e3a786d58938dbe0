import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { caseRatings } from '../db/schema/index.js';
import { DomainError } from '../errors.js';
import { ADMIN, createHarness, standardQueues, type Harness, type TestActor } from '../../test/support/harness.js';
import { customerTimeline, loadCase } from './case-read.js';
import { createCase } from './create-case.js';
import { rateCase } from './rate-case.js';
import { transitionCase } from './transition-case.js';

let h: Harness;
let alice: TestActor;
let chloe: TestActor;
let caseId: number;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general'] });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  caseId = (await createCase(h.services, { subject: 'Question', description: 'How do I change my display name?' }, chloe, { customerId: chloe.id })).id;
});
afterEach(() => h.close());

async function rate(satisfied: boolean, comment: string, actor: TestActor | typeof ADMIN = chloe) {
  try {
    return await rateCase(h.services, caseId, { satisfied, comment }, actor);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

describe('rateCase', () => {
  it('refuses until the case is resolved', async () => {
    expect((await rate(true, ''))).toMatchObject({ code: 'INVALID_TRANSITION' });
  });

  it('records one rating per case (a new one replaces it) and puts case.rated on the timeline', async () => {
    await transitionCase(h.services, caseId, { transition: 'resolve', solution: 'Settings → Profile.' }, alice);
    (await rate(false, 'Took a while'));
    h.clock.advanceMinutes(5);
    (await rate(true, 'All good now'));
    const ratings = h.db.select().from(caseRatings).all();
    expect(ratings).toHaveLength(1);
    expect(ratings[0]).toMatchObject({ caseId, customerId: chloe.id, satisfied: true, comment: 'All good now', createdAt: h.clock.now() });
    const rated = (await customerTimeline(h.services, await loadCase(h.services, caseId))).filter((e) => e.type === 'case.rated');
    expect(rated).toMatchObject([
      { satisfied: false, comment: 'Took a while' },
      { satisfied: true, comment: 'All good now' },
    ]);
  });

  it('works on closed cases too', async () => {
    await transitionCase(h.services, caseId, { transition: 'resolve', solution: 'Done.' }, alice);
    await transitionCase(h.services, caseId, { transition: 'close' }, alice);
    expect((await rate(true, ''))).not.toBeInstanceOf(DomainError);
  });

  it('only the case’s own customer may rate', async () => {
    await transitionCase(h.services, caseId, { transition: 'resolve', solution: 'Done.' }, alice);
    const other = h.customer({ email: 'sam@example.org' });
    expect((await rate(true, '', other))).toMatchObject({ code: 'FORBIDDEN' });
    expect((await rate(true, '', alice))).toMatchObject({ code: 'FORBIDDEN' });
    expect((await rate(true, '', ADMIN))).toMatchObject({ code: 'FORBIDDEN' });
  });
});
