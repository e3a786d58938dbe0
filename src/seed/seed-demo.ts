/**
 * Demo data for a first start (SEED_DEMO=true): queues with descriptions, agents with
 * skills and capacities, a manager and an admin, customers, a problem library and a few
 * cases that went through the real intake (routed, assigned, escalated). Runs only on a
 * database without staff, so it never touches real data.
 */
import { eq } from 'drizzle-orm';
import { createApiToken } from '../auth/api-tokens.js';
import { hashPassword, randomPassword } from '../auth/password.js';
import { addMessage } from '../cases/add-message.js';
import { createCase } from '../cases/create-case.js';
import { transitionCase } from '../cases/transition-case.js';
import type { StaffRole } from '../db/schema/index.js';
import type { Handle } from '../db/store/index.js';
import { own } from '../own.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import type { CaseRow } from '../workflow/context.js';
import { TRANSITION_FIELDS, type StateCategory, type TransitionField } from '../workflow/definition.js';
import { availableTransitions } from '../workflow/transition.js';

export interface DemoAccount {
  role: string;
  name: string;
  email: string;
}

export interface DemoReport {
  password: string;
  accounts: DemoAccount[];
  cases: string[];
  /** The demo admin's API token (shown once). */
  token: string;
}

const QUEUES = [
  { id: 'general', name: 'General', tier: 1, description: 'Everything no rule routes elsewhere.' },
  { id: 'billing', name: 'Billing', tier: 1, description: 'Invoices, payments, subscriptions and refunds.' },
  { id: 'technical', name: 'Technical', tier: 1, description: 'Errors, log-in trouble, integrations and outages.' },
  { id: 'advanced', name: 'Advanced support', tier: 2, description: 'Tier 2: escalations, undiagnosed and urgent enterprise problems.' },
];

const STAFF: { name: string; email: string; role: StaffRole; queues: string[]; skills: string[]; capacity: number; available: boolean }[] = [
  { name: 'Maria Manager', email: 'maria@casebook.test', role: 'manager', queues: [], skills: [], capacity: 0, available: true },
  { name: 'Adam Admin', email: 'admin@casebook.test', role: 'admin', queues: [], skills: [], capacity: 0, available: true },
  { name: 'Alice Archer', email: 'alice@casebook.test', role: 'agent', queues: ['general', 'billing'], skills: ['refunds'], capacity: 6, available: true },
  { name: 'Bob Baker', email: 'bob@casebook.test', role: 'agent', queues: ['general', 'technical'], skills: ['api'], capacity: 6, available: true },
  { name: 'Carol Chen', email: 'carol@casebook.test', role: 'agent', queues: ['billing', 'general'], skills: [], capacity: 4, available: false },
  { name: 'Dana Diaz', email: 'dana@casebook.test', role: 'advanced', queues: ['advanced'], skills: ['api', 'refunds'], capacity: 5, available: true },
];

const CUSTOMERS = [
  { name: 'Chloe Carter', email: 'chloe@example.com', tier: 'standard', organization: 'Northwind' },
  { name: 'Eve Evans', email: 'eve@acme.example', tier: 'enterprise', organization: 'Acme Corp' },
  { name: 'Sam Silva', email: 'sam@example.org', tier: 'standard', organization: null },
];

/** The demo problem library (also what the diagnosis tests search). */
export const DEMO_PROBLEMS = [
  {
    title: 'Cannot log in after a password reset',
    symptoms: 'login fails, password reset link expired, invalid password after reset, cannot sign in, locked out',
    synonyms: "locked out of my account, account locked, can't log in, cannot access my account, sign-in not working",
    solution: 'Password reset links are valid for 30 minutes. Request a new link from the sign-in page, open it in the same browser, and choose a new password. After five failed attempts the account is locked for 15 minutes.',
  },
  {
    title: 'Charged twice for one invoice',
    symptoms: 'charged twice, double charge, duplicate payment, invoice paid twice, refund duplicate charge',
    synonyms: 'billed twice, billed 2 times, charged 2 times, double billed, paid two times, two charges',
    solution: 'A second charge is usually a pending authorisation that disappears within 3 business days. If it is still there after that, reply with the last four digits of the card and we refund the duplicate.',
  },
  {
    title: 'Invoice shows the wrong company address',
    symptoms: 'invoice address wrong, billing address, company name on invoice, VAT number missing on invoice',
    solution: 'Update the billing address under Settings → Billing; every invoice issued afterwards uses it. Ask us to reissue earlier invoices if you need them corrected.',
  },
  {
    title: 'Data export is empty or incomplete',
    symptoms: 'export data, csv export empty, download my data, export missing rows',
    synonyms: 'download is empty, spreadsheet export, excel export',
    solution: 'Exports run in the background. Large accounts take up to 10 minutes; you get an email with the download link. Filters on the list view also apply to the export.',
  },
  {
    title: 'API returns 401 Unauthorized',
    symptoms: 'api 401 unauthorized, api key rejected, token invalid, authentication error api',
    solution: 'API keys are scoped per workspace. Create a key under Settings → API, send it as "Authorization: Bearer <key>", and make sure the workspace id in the URL matches the key.',
  },
  {
    title: 'Calendar sync stopped',
    symptoms: 'calendar not syncing, sync stopped, events missing, google calendar sync error',
    synonyms: 'appointments missing, outlook calendar, calendar out of date',
    solution: 'Reconnect the calendar under Settings → Integrations. Sync stops when the provider revokes access, for example after a password change.',
  },
  {
    title: 'Cancel or downgrade a subscription',
    symptoms: 'cancel subscription, downgrade plan, stop billing, end trial',
    synonyms: 'close my account, unsubscribe, cheaper plan, stop paying',
    solution: 'Owners can change the plan under Settings → Billing → Plan. Downgrades take effect at the end of the billing period; we do not charge for the next one.',
  },
  {
    title: 'Emails from us land in spam',
    symptoms: 'notification emails spam, not receiving emails, email missing, junk folder',
    solution: 'Add notifications@example.com to your contacts and ask your mail admin to allow our sending domain. Check the notification settings of your profile too.',
  },
];

export async function hasStaff(services: Services): Promise<boolean> {
  return services.store.query(async (q) => {
    const [row] = await q.db.select({ id: q.tables.staff.id }).from(q.tables.staff).limit(1);
    return row !== undefined;
  });
}

/** Inside a write: the queues, people and problems of the demo desk. */
async function seedDesk(q: Handle, passwordHash: string, now: number): Promise<void> {
  const t = q.tables;
  for (const queue of QUEUES) {
    const [existing] = await q.db.select({ id: t.queues.id }).from(t.queues).where(eq(t.queues.id, queue.id)).limit(1);
    if (existing) await q.db.update(t.queues).set({ name: queue.name, tier: queue.tier, description: queue.description }).where(eq(t.queues.id, queue.id));
    else await q.db.insert(t.queues).values({ ...queue, createdAt: now });
  }
  for (const s of STAFF) {
    const [row] = await q.db
      .insert(t.staff)
      .values({ name: s.name, email: s.email, role: s.role, skills: s.skills, capacity: s.capacity, available: s.available, passwordHash, createdAt: now, updatedAt: now })
      .returning({ id: t.staff.id });
    for (const queueId of s.queues) await q.db.insert(t.staffQueues).values({ staffId: row!.id, queueId });
  }
  for (const c of CUSTOMERS) await q.db.insert(t.customers).values({ ...c, passwordHash, createdAt: now, updatedAt: now });
  for (const p of DEMO_PROBLEMS) await q.db.insert(t.problems).values({ ...p, createdAt: now, updatedAt: now });
}

async function staffByEmail(q: Handle, email: string, role: StaffRole): Promise<Actor> {
  const [row] = await q.db.select({ id: q.tables.staff.id, name: q.tables.staff.name }).from(q.tables.staff).where(eq(q.tables.staff.email, email)).limit(1);
  return { type: 'staff', id: row!.id, role, name: row!.name };
}

/** What a demo agent writes when a transition asks for it. */
type DemoFields = Partial<Record<TransitionField, string>>;

/**
 * Moves a demo case on by hand as `actor`: the first transition the case's workflow offers
 * their role now into a state of `category` (not the one it is in) whose required fields
 * `fields` has, given those (and the solution, where it takes one). A workflow that offers
 * none — DEFAULT_WORKFLOW naming one of your own — leaves the case where it is: the demo
 * follows the workflow it is given, never the default's transition names.
 */
async function moveOn(services: Services, row: CaseRow, actor: Actor, category: StateCategory, fields: DemoFields): Promise<void> {
  const workflow = services.definitions.workflow(row.workflow, row.workflowVersion).definition;
  if (own(workflow.states, row.status)?.category === category) return;
  const move = availableTransitions(workflow, row, actor.role).find((t) => own(workflow.states, t.to)?.category === category && t.requires.every((f) => fields[f]));
  if (!move) return;
  const given = TRANSITION_FIELDS.filter((f) => fields[f] && (move.requires.includes(f) || (f === 'solution' && move.allows.includes(f))));
  await transitionCase(services, row.id, { transition: move.name, ...Object.fromEntries(given.map((f) => [f, fields[f]])) }, actor);
}

/**
 * The demo desk, all or nothing: its queues, people, problems, cases and the admin's API token
 * are written in one transaction (each command in it a savepoint), so a failure leaves no
 * half-seeded database — whose next start would find staff and print no sign-in details.
 * The mail and rulesets the cases set off run after it commits.
 */
export async function seedDemo(services: Services, options: { password?: string } = {}): Promise<DemoReport | null> {
  if (await hasStaff(services)) return null;
  const password = options.password || randomPassword();
  const passwordHash = await hashPassword(password);
  const now = services.clock.now();

  const report = await services.store.write(async (q) => {
    await seedDesk(q, passwordHash, now);

    const admin: Actor = { type: 'system', id: null, role: 'admin', name: 'demo seed' };
    const cases: string[] = [];
    const make = async (email: string, subject: string, description: string, hours: number, priority?: 'urgent' | 'high' | 'normal' | 'low') => {
      // The demo desk as if these requests had come in live `hours` ago (routing, escalation,
      // SLA clocks from then), not imported history, which would start nothing for the past.
      const then: Services = { ...services, clock: { now: () => now - hours * 3_600_000 } };
      const row = await createCase(then, { customer: { email }, subject, description, channel: 'web', ...(priority ? { priority } : {}) }, admin);
      cases.push(`C-${row.id}`);
      return row;
    };

    await make('chloe@example.com', 'Charged twice for my subscription', 'My credit card was charged twice for the March invoice. Please refund the duplicate charge.', 30);
    const login = await make('sam@example.org', 'Cannot log in after password reset', 'I reset my password this morning but the login still fails with "invalid password".', 6);
    await make('eve@acme.example', 'Production is down: API returns 500', 'Since 09:10 every call to the API returns error 500. Production is down for all users.', 2, 'urgent');
    await make('chloe@example.com', 'How do I export my data?', 'We want a CSV export of all our records for an audit. Where do I find it?', 20);
    const invoice = await make('sam@example.org', 'Invoice shows the wrong address', 'The invoice for April has our old company address on it.', 50, 'low');

    const alice = await staffByEmail(q, 'alice@casebook.test', 'agent');
    const bob = await staffByEmail(q, 'bob@casebook.test', 'agent');
    const asked = await addMessage(services, login.id, { body: 'Sorry about that! Could you tell me which browser you use, and whether you opened the reset link on the same device?', public: true }, bob);
    await moveOn(services, asked, bob, 'pending', {
      note: 'Asked which browser and device the reset link was opened on.',
      reason: 'Waiting for the customer to tell us their browser and device.',
    });
    const answered = await addMessage(services, invoice.id, { body: 'You can change the billing address under Settings → Billing. I have reissued the April invoice with the new address.', public: true }, alice);
    await moveOn(services, answered, alice, 'resolved', {
      solution: 'Billing address updated and the April invoice reissued.',
      note: 'Reissued the April invoice with the new address.',
      reason: 'The customer has the corrected invoice.',
    });

    const [adminRow] = await q.db.select({ id: q.tables.staff.id }).from(q.tables.staff).where(eq(q.tables.staff.email, 'admin@casebook.test')).limit(1);
    const { token } = await createApiToken(q, { type: 'staff', id: adminRow!.id }, 'demo token', now);
    return {
      password,
      accounts: [...STAFF.map((s) => ({ role: s.role, name: s.name, email: s.email })), ...CUSTOMERS.map((c) => ({ role: 'customer', name: c.name, email: c.email }))],
      cases,
      token,
    };
  });
  try {
    await services.outbox.drain();
  } catch (error) {
    // The demo is in: what its cases set off (mail, rulesets) stays in the outbox for the background drain.
    services.logger.warn('the demo cases\' follow-up work did not finish at once; it is retried in the background', { error });
  }
  return report;
}
