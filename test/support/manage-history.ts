/**
 * A week of support history for the manager dashboard, built through the real domain verbs
 * on a manual clock (times are Berlin local, the office calendar's zone). The expected
 * numbers in src/dashboard/*.test.ts and test/pages/manage-reports.test.ts follow from it.
 *
 *   Fri 27 Feb  Gus, Chloe, Dave, Erin and Fay created; Sat 28 Feb Gus marked churned (before the week)
 *   Mon 10:00   A (Chloe, general) created; 10:30 Alice replies; 12:00 resolved; 12:30 rated satisfied
 *   Mon 16:00   B (Dave, billing) created
 *   Tue 09:30   Alice replies B
 *   Tue 10:00   C (Erin, enterprise → premium policy, 24x7 calendar) created in general
 *   Tue 12:01   sweep: C's first response (2h, due 12:00) breaches → escalated to advanced (Dana); Dave marked churned
 *   Tue 13:00   Dana replies C; 15:00 resolves C; 16:00 Erin rates C satisfied
 *   Wed 10:00   Alice resolves B; Erin reopens C; D (Fay, general) created
 *   Wed 11:00   Dave rates B not satisfied; 12:00 Dave un-marked
 *   Thu 08:00   sweep: C's resumed resolution clock (24h, 5h used, due Thu 05:00) breaches
 *   Thu 09:00   Dana resolves C again
 *   Thu 10:01   sweep: D's first response (8 business hours, due 10:00) breaches → escalated to advanced
 *   Thu 11:00   E (Chloe, general) created; 12:00 Fay marked churned; 15:00 internal note on E
 *   Thu 12:00   A closes itself (the workflow's auto-close, 72 h after it was resolved)
 *   Fri 09:00   Alice replies E; 10:00 Erin marked churned
 *   Mon 9 Mar   Hal created (after the week); the clock then stays at Fri 6 Mar 12:00, and the
 *               outbox performs what is due by then (A's auto-close), so every test starts from
 *               the same settled week
 */
import { DateTime } from 'luxon';
import { addMessage } from '../../src/cases/add-message.js';
import { createCase } from '../../src/cases/create-case.js';
import { rateCase } from '../../src/cases/rate-case.js';
import { transitionCase } from '../../src/cases/transition-case.js';
import { runSlaSweep } from '../../src/sla/run-sweep.js';
import { markChurn } from '../../src/team/churn.js';
import { createHarness, standardQueues, type Harness, type TestActor } from './harness.js';

export const ZONE = 'Europe/Berlin';

/** Berlin local "YYYY-MM-DDTHH:mm" → epoch ms. */
export function berlinMs(local: string): number {
  return DateTime.fromISO(local, { zone: ZONE }).toMillis();
}

export interface History {
  h: Harness;
  mia: TestActor;
  alice: TestActor;
  dana: TestActor;
  customers: Record<'chloe' | 'dave' | 'erin' | 'fay' | 'gus' | 'hal', TestActor>;
  /** Case ids A–E. */
  ids: Record<'A' | 'B' | 'C' | 'D' | 'E', number>;
  /** The week Mon 2 – Sun 8 March 2026 in Berlin: [from, to). */
  week: { from: number; to: number };
}

export async function buildHistory(): Promise<History> {
  const h = createHarness({ start: berlinMs('2026-02-27T12:00') });
  standardQueues(h);
  const at = (local: string) => h.clock.set(berlinMs(local));
  const mia = h.agent({ name: 'Mia', email: 'mia@casebook.test', role: 'manager' });
  const alice = h.agent({ name: 'Alice', email: 'alice@casebook.test', queues: ['general', 'billing', 'technical'], capacity: 50 });
  const dana = h.agent({ name: 'Dana', email: 'dana@casebook.test', role: 'advanced', queues: ['advanced'], capacity: 50 });
  const gus = h.customer({ email: 'gus@example.com', name: 'Gus' });
  const chloe = h.customer({ email: 'chloe@example.com', name: 'Chloe' });
  const dave = h.customer({ email: 'dave@example.com', name: 'Dave' });
  const erin = h.customer({ email: 'erin@acme.example', name: 'Erin', tier: 'enterprise', organization: 'Acme' });
  const fay = h.customer({ email: 'fay@example.com', name: 'Fay' });
  at('2026-02-28T10:00');
  await markChurn(h.services, gus.id, { churned: true, at: h.clock.now(), note: 'moved to a competitor' }, mia);

  const open = async (customer: TestActor, subject: string, description: string) => {
    const row = await createCase(h.services, { subject, description }, customer, { customerId: customer.id });
    await h.services.outbox.settle(row.id);
    return row.id;
  };
  const reply = async (id: number, agent: TestActor, body = 'Here is what to do.') => addMessage(h.services, id, { body, public: true }, agent);
  const resolve = async (id: number, agent: TestActor) => transitionCase(h.services, id, { transition: 'resolve', solution: 'Done.' }, agent);
  const sweep = async (local: string) => {
    at(local);
    await runSlaSweep(h.services);
    // What the sweep recorded is dispatched before the story goes on: on SQLite in the sweep's
    // own transaction, on PostgreSQL by the drain after its commit (racing the next command).
    await h.services.outbox.idle();
  };

  at('2026-03-02T10:00');
  const A = await open(chloe, 'Display name', 'How do I change my display name?');
  at('2026-03-02T10:30');
  await reply(A, alice);
  at('2026-03-02T12:00');
  await resolve(A, alice);
  at('2026-03-02T12:30');
  await rateCase(h.services, A, { satisfied: true, comment: 'Quick, thanks' }, chloe);
  at('2026-03-02T16:00');
  const B = await open(dave, 'Invoice question', 'Where is my invoice for February?');
  at('2026-03-03T09:30');
  await reply(B, alice);
  at('2026-03-03T10:00');
  const C = await open(erin, 'Team settings', 'How do I add a colleague to our team?');
  await sweep('2026-03-03T12:01'); // due 12:00: the sweep after it breaches (the due instant is on time)
  await markChurn(h.services, dave.id, { churned: true, at: h.clock.now(), note: 'cancelled' }, mia);
  at('2026-03-03T13:00');
  await reply(C, dana);
  at('2026-03-03T15:00');
  await resolve(C, dana);
  at('2026-03-03T16:00');
  await rateCase(h.services, C, { satisfied: true }, erin);
  at('2026-03-04T10:00');
  await resolve(B, alice);
  await transitionCase(h.services, C, { transition: 'reopen' }, erin);
  await h.services.outbox.settle(C);
  const D = await open(fay, 'Export settings', 'How do I export my contacts?');
  at('2026-03-04T11:00');
  await rateCase(h.services, B, { satisfied: false, comment: 'Too slow' }, dave);
  at('2026-03-04T12:00');
  await markChurn(h.services, dave.id, { churned: false, at: h.clock.now(), note: 'came back' }, mia);
  await sweep('2026-03-05T08:00');
  at('2026-03-05T09:00');
  await resolve(C, dana);
  await sweep('2026-03-05T10:01');
  at('2026-03-05T11:00');
  const E = await open(chloe, 'Profile photo', 'How do I change my profile photo?');
  at('2026-03-05T12:00');
  await markChurn(h.services, fay.id, { churned: true, at: h.clock.now() }, mia);
  at('2026-03-05T15:00');
  await addMessage(h.services, E, { body: 'Checking the docs.', public: false }, alice);
  at('2026-03-06T09:00');
  await reply(E, alice);
  at('2026-03-06T10:00');
  await markChurn(h.services, erin.id, { churned: true, at: h.clock.now() }, mia);
  at('2026-03-09T10:00');
  const hal = h.customer({ email: 'hal@example.com', name: 'Hal' });
  at('2026-03-06T12:00');
  await h.services.outbox.idle();
  await h.services.outbox.drain();

  return {
    h,
    mia,
    alice,
    dana,
    customers: { chloe, dave, erin, fay, gus, hal },
    ids: { A, B, C, D, E },
    week: { from: berlinMs('2026-03-02T00:00'), to: berlinMs('2026-03-09T00:00') },
  };
}
