/**
 * A known problem's solution offered to the customer, through HTTP: the shipped escalation
 * rules offer it at intake, the portal case page shows it, "This solved it" resolves the
 * case through the customer's workflow transition with that solution, "No, I still need
 * help" keeps it open; the mail carries it too.
 */
import { eq } from 'drizzle-orm';
import { customerTimeline, loadCase, timeline } from '../../src/cases/case-read.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { transitionCase } from '../../src/cases/transition-case.js';
import { createHarness, standardQueues, type Harness, type TestActor } from '../support/harness.js';
import { signedIn, type PageClient } from '../support/pages.js';

const SOLUTION = 'Pending authorisations disappear within 3 business days.';

let h: Harness;
let alice: TestActor;
let chloe: TestActor;
let portal: PageClient;

beforeEach(async () => {
  h = createHarness();
  standardQueues(h);
  alice = h.agent({ name: 'Alice', queues: ['general', 'billing'], skills: ['refunds'] });
  h.agent({ name: 'Dana', role: 'advanced', queues: ['advanced'] });
  chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  portal = signedIn(h, chloe);
  const now = h.clock.now();
  await h.services.store.write((q) =>
    q.db
      .insert(q.tables.problems)
      .values({ title: 'Charged twice for one invoice', symptoms: 'charged twice, double charge, duplicate payment', synonyms: 'billed 2 times', solution: SOLUTION, createdAt: now, updatedAt: now }),
  );
});
afterEach(() => h.close());

async function submit(subject: string, description: string): Promise<string> {
  const res = await portal.post('/portal/cases', { subject, description });
  expect(res.status).toBe(303);
  return res.headers.get('Location')!.replace(/\?.*$/, '');
}

const idOf = (path: string) => Number(path.replace('/cases/C-', ''));

describe('an offered solution', () => {
  it('is a workflow event: a workflow can run rules when the customer still needs help', async () => {
    const workflow = structuredClone(h.services.definitions.workflow('support').definition);
    workflow.triggers = { ...workflow.triggers, 'case.solutionDeclined': ['escalation'] };
    await h.services.store.write((q) => h.services.definitions.createVersion(q, 'workflow', 'support', workflow, { state: 'published', now: h.clock.now() }));
    const escalation = structuredClone(h.services.definitions.ruleset('escalation').definition);
    escalation.rules.push({
      name: 'Declined solutions need a second look',
      conditions: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'case.solutionDeclined' }] },
      event: { type: 'addTags', params: { tags: ['solution-declined'] } },
    });
    await h.services.store.write((q) => h.services.definitions.createVersion(q, 'ruleset', 'escalation', escalation, { state: 'published', now: h.clock.now() }));
    await h.services.definitions.refresh(); // the versions in force once their writes commit (PostgreSQL's registry reloads)

    const path = await submit('Charged twice', 'My card was charged twice, a double charge.');
    expect((await portal.post(`${path}/offered-solution`, { answer: 'notSolved' })).status).toBe(303);
    expect((await loadCase(h.services, idOf(path))).tags).toContain('solution-declined');
  });

  it('is shown on the portal page, and "This solved it" resolves the case with it', async () => {
    const path = await submit('Billed 2 times', 'I was billed 2 times for March.');
    const id = idOf(path);
    expect(await loadCase(h.services, id)).toMatchObject({ diagnosisMatched: true, status: 'open', assigneeId: alice.id });
    expect((await customerTimeline(h.services, await loadCase(h.services, id))).map((e) => e.type)).toContain('case.solutionOffered');

    const page = await (await portal.get(path)).text();
    expect(page).toContain('id="solution-offer"');
    expect(page).toContain(SOLUTION);
    expect(page).toContain('This solved it');
    expect(page).toContain('No, I still need help');

    // The customer mail with the solution is queued.
    const mails = (await h.query((q) => q.db.select().from(q.tables.outbox).where(eq(q.tables.outbox.caseId, id)))).filter((o) => o.type === 'notification.send');
    expect(mails.map((m) => m.payload)).toContainEqual(expect.objectContaining({ to: 'customer', template: 'solution-offered' }));

    const res = await portal.post(`${path}/offered-solution`, { answer: 'solved' });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(path);
    const row = await loadCase(h.services, id);
    expect(row).toMatchObject({ status: 'resolved', solution: SOLUTION });
    const types = (await timeline(h.services, id)).map((e) => e.type);
    expect(types.slice(types.indexOf('case.solutionAccepted'))).toEqual(expect.arrayContaining(['case.solutionAccepted', 'case.transitioned', 'case.resolved']));
    const after = await (await portal.get(path)).text();
    expect(after).toContain('You told us this solved it.');
    expect(after).not.toContain('offer-solved-submit');

    // Answered once: a second answer is refused.
    const again = await portal.post(`${path}/offered-solution`, { answer: 'notSolved' });
    expect(again.status).toBe(409);
  });

  it('"No, I still need help" keeps the case open for the agent (htmx: the page is swapped in place)', async () => {
    const path = await submit('Charged twice', 'My card was charged twice, a double charge.');
    const id = idOf(path);
    const res = await portal.post(`${path}/offered-solution`, { answer: 'notSolved' }, { htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('You told us you still need help');
    expect(html).not.toContain('offer-notSolved-submit');
    expect(await loadCase(h.services, id)).toMatchObject({ status: 'open', assigneeId: alice.id, solution: null });
    expect((await timeline(h.services, id)).map((e) => e.type)).toContain('case.solutionDeclined');
  });

  it('once the case is solved, no longer says an agent is on it', async () => {
    const path = await submit('Charged twice', 'My card was charged twice, a double charge.');
    await portal.post(`${path}/offered-solution`, { answer: 'notSolved' });
    expect(await (await portal.get(path)).text()).toContain('You told us you still need help: an agent is on it.');
    await transitionCase(h.services, idOf(path), { transition: 'resolve', solution: 'We refunded the duplicate.' }, alice);
    const solved = await (await portal.get(path)).text();
    expect(solved).toContain('You told us you still need help.');
    expect(solved).not.toContain('an agent is on it');
  });

  it('is answered by the customer only, with a known answer', async () => {
    const path = await submit('Billed 2 times', 'I was billed 2 times for March.');
    const bad = await portal.post(`${path}/offered-solution`, { answer: 'maybe' });
    expect(bad.status).toBe(422);
    const page = await bad.text();
    expect(page).toContain('<title>');
    expect(page).toContain('Choose “This solved it” or “No, I still need help”.');
    const fragment = await portal.post(`${path}/offered-solution`, { answer: '' }, { htmx: true });
    expect(fragment.status).toBe(422);
    expect(fragment.headers.get('HX-Retarget')).toBe('#solution-offer');
    const html = await fragment.text();
    expect(html).toMatch(/^<section class="panel" id="solution-offer"/);
    expect(html).toContain('offer-solved-submit');
    const staff = signedIn(h, alice);
    expect((await staff.post(`${path}/offered-solution`, { answer: 'solved' })).status).toBe(404);
    const other = signedIn(h, h.customer({ email: 'eve@example.com' }));
    expect((await other.post(`${path}/offered-solution`, { answer: 'solved' })).status).toBe(404);
    expect((await loadCase(h.services, idOf(path))).status).toBe('open');
  });

  it('is not offered when nothing is diagnosed; then there is nothing to answer', async () => {
    const path = await submit('Question', 'How do I change my display name?');
    expect(await (await portal.get(path)).text()).not.toContain('id="solution-offer"');
    expect((await portal.post(`${path}/offered-solution`, { answer: 'solved' })).status).toBe(409);
  });
});
