/**
 * The problem library and customers under `/manage/team` (managers and admins):
 *
 *   GET  /manage/team/problems?q=                  the library, searchable
 *   GET  /manage/team/problems/new, POST /manage/team/problems          add a problem
 *   GET  /manage/team/problems/:id, POST /manage/team/problems/:id      edit it
 *   POST /manage/team/problems/:id/deactivate, …/reactivate
 *   GET  /manage/team/customers?q=&churned=1      search (htmx: the results fragment)
 *   GET  /manage/team/customers/:id               details and churn history
 *   POST /manage/team/customers/:id/churn         churned=true|false, at (UTC date; today = now), note
 *   (the customer page's export and erase: privacy.tsx)
 */
import { count, eq, inArray } from 'drizzle-orm';
import { Hono } from 'hono';
import { DateTime } from 'luxon';
import { churnHistory, getCustomer, markChurn, searchCustomers } from '../../../team/churn.js';
import { createProblem, getProblem, listProblems, setProblemActive, updateProblem } from '../../../team/problems.js';
import type { FormState, FormValues } from '../../../../views/components.js';
import { ChurnForm, CustomerPage, CustomerResults, CustomersPage, NewProblemPage, ProblemForm, ProblemPage, ProblemsPage } from '../../../../views/pages/manage/team-library.js';
import { TEAM } from '../../../../views/pages/manage/team.js';
import { PrivacyPanel } from '../../../../views/pages/manage/privacy.js';
import { isErased } from '../../../privacy/erasures.js';
import { isHtmx, requireStaff, type PageContext, type PageEnv } from '../env.js';
import { readForm } from '../forms.js';
import { redirectTo, sendForm, sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';
import { attempt, idParam } from './team-forms.js';

const PROBLEMS = `${TEAM}/problems`;
const CUSTOMERS = `${TEAM}/customers`;

const NOTICES: Record<string, string> = {
  'problem-created': 'Added to the library.',
  'problem-saved': 'Problem saved.',
  'problem-deactivated': 'Deactivated: it is no longer suggested.',
  'problem-reactivated': 'Reactivated: diagnosis suggests it again.',
  churned: 'Marked as churned.',
  erased: 'Erased: the customer’s personal data is gone for good.',
  unchurned: 'No longer marked churned.',
};

function notice(c: PageContext): string | null {
  const key = c.req.query('done') ?? '';
  return Object.hasOwn(NOTICES, key) ? NOTICES[key]! : null;
}

const problemInput = (v: FormValues) => ({ title: v.title ?? '', symptoms: v.symptoms ?? '', synonyms: v.synonyms ?? '', solution: v.solution ?? '' });

function today(c: PageContext): string {
  return DateTime.fromMillis(c.get('services').clock.now(), { zone: 'utc' }).toISODate()!;
}

/** A UTC date → the instant a mark applies from: midnight UTC, or now for today. NaN if invalid. */
function markInstant(c: PageContext, text: string | undefined): number {
  const value = (text ?? '').trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return NaN;
  if (value === today(c)) return c.get('services').clock.now();
  const date = DateTime.fromISO(value, { zone: 'utc' });
  return date.isValid ? date.toMillis() : NaN;
}

/** What the customer page shows; `erase` is the erase form's state (its errors after a wrong confirmation). */
export async function customerPage(c: PageContext, id: number, state: FormState, status: 200 | 403 | 409 | 422 = 200, erase: FormState = {}) {
  const services = c.get('services');
  const customer = await getCustomer(services, id);
  const history = await churnHistory(services, id);
  const actorIds = [...new Set(history.map((m) => m.actorId).filter((a): a is number => a !== null))];
  const { actors, cases, erased } = await services.store.query(async (q) => {
    const { staff, cases: t } = q.tables;
    const names = actorIds.length ? await q.db.select({ id: staff.id, name: staff.name }).from(staff).where(inArray(staff.id, actorIds)) : [];
    const [n] = await q.db.select({ n: count() }).from(t).where(eq(t.customerId, id));
    return { actors: new Map(names.map((r) => [r.id, r.name] as const)), cases: n?.n ?? 0, erased: await isErased(q, id) };
  });
  const privacy = (
    <PrivacyPanel csrfToken={c.get('csrfToken')} customer={customer} erased={erased} mayErase={requireStaff(c).actor.role === 'admin'} state={erase} />
  );
  return { customer, history, actors, cases, state, status, privacy };
}

export function libraryPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get(PROBLEMS, async (c) => {
    managerOf(c);
    const q = (c.req.query('q') ?? '').slice(0, 200);
    return sendHtml(c, <ProblemsPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} rows={await listProblems(c.get('services'), q)} q={q} notice={notice(c)} />);
  });

  app.get(`${PROBLEMS}/new`, (c) => {
    managerOf(c);
    return sendHtml(c, <NewProblemPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} state={{}} />);
  });

  app.post(PROBLEMS, async (c) => {
    const { actor } = managerOf(c);
    const values = await readForm(c);
    const result = await attempt(
      () => createProblem(c.get('services'), problemInput(values), actor),
      (errors, status) => {
        const state: FormState = { values, errors };
        return sendForm(c, 'problem-form', () => <ProblemForm csrfToken={c.get('csrfToken')} state={state} problem={null} />, () => <NewProblemPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} state={state} />, status);
      },
    );
    if (!result.ok) return result.response;
    return redirectTo(c, `${PROBLEMS}/${result.value.id}?done=problem-created`);
  });

  app.get(`${PROBLEMS}/:id`, async (c) => {
    managerOf(c);
    const problem = await getProblem(c.get('services'), idParam(c, 'problem'));
    return sendHtml(c, <ProblemPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} problem={problem} state={{}} notice={notice(c)} />);
  });

  app.post(`${PROBLEMS}/:id`, async (c) => {
    const { actor } = managerOf(c);
    const id = idParam(c, 'problem');
    const values = await readForm(c);
    const result = await attempt(
      () => updateProblem(c.get('services'), id, problemInput(values), actor),
      async (errors, status) => {
        const problem = await getProblem(c.get('services'), id);
        const state: FormState = { values, errors };
        return sendForm(c, 'problem-form', () => <ProblemForm csrfToken={c.get('csrfToken')} state={state} problem={problem} />, () => <ProblemPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} problem={problem} state={state} notice={null} />, status);
      },
    );
    if (!result.ok) return result.response;
    return redirectTo(c, `${PROBLEMS}/${id}?done=problem-saved`);
  });

  for (const [path, active] of [['deactivate', false], ['reactivate', true]] as const) {
    app.post(`${PROBLEMS}/:id/${path}`, async (c) => {
      const { actor } = managerOf(c);
      const id = idParam(c, 'problem');
      await setProblemActive(c.get('services'), id, active, actor);
      return redirectTo(c, `${PROBLEMS}/${id}?done=problem-${path}d`);
    });
  }

  app.get(CUSTOMERS, async (c) => {
    managerOf(c);
    const q = (c.req.query('q') ?? '').slice(0, 200);
    const churnedOnly = c.req.query('churned') === '1';
    const rows = await searchCustomers(c.get('services'), { q, churnedOnly });
    if (isHtmx(c)) return sendHtml(c, <CustomerResults rows={rows} searched={q !== '' || churnedOnly} />);
    return sendHtml(c, <CustomersPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} rows={rows} q={q} churnedOnly={churnedOnly} />);
  });


  app.get(`${CUSTOMERS}/:id`, async (c) => {
    managerOf(c);
    const d = await customerPage(c, idParam(c, 'customer'), {});
    return sendHtml(c, <CustomerPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} {...d} today={today(c)} notice={notice(c)} />);
  });

  app.post(`${CUSTOMERS}/:id/churn`, async (c) => {
    const { actor } = managerOf(c);
    const id = idParam(c, 'customer');
    const values = await readForm(c);
    const churned = values.churned === 'true';
    const result = await attempt(
      () => markChurn(c.get('services'), id, { churned, at: markInstant(c, values.at), note: values.note ?? '' }, actor),
      async (errors, status) => {
        const d = await customerPage(c, id, { values, errors });
        return sendForm(
          c,
          'churn-form',
          () => <ChurnForm csrfToken={c.get('csrfToken')} customer={d.customer} state={d.state} today={today(c)} />,
          () => <CustomerPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} {...d} today={today(c)} notice={null} />,
          status,
        );
      },
    );
    if (!result.ok) return result.response;
    return redirectTo(c, `${CUSTOMERS}/${id}?done=${churned ? 'churned' : 'unchurned'}`);
  });

  return app;
}

