/** The agent workspace inbox, its sidebar counts, and the availability switch. */
import { and, asc, eq, inArray, max } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { sha256 } from '../../auth/tokens.js';
import { parseCaseRef } from '../../cases/case-ref.js';
import { caseDeparture, describeDeparture } from '../../cases/departure.js';
import { describeRows, inboxPage, inboxQuerySchema, type InboxQuery } from '../../cases/inbox.js';
import { savedViews, filtersQuery } from '../../cases/inbox-views.js';
import { usableMacrosIn } from '../../macros/macro-store.js';
import type { Principal } from '../types.js';
import { SavedViews, type InboxTools } from '../../../views/partials/inbox-tools.js';
import { ValidationError } from '../../errors.js';
import { isManagerRole } from '../../roles.js';
import { setAvailability } from '../../staff/set-availability.js';
import { InboxFragment, InboxPage, type InboxData } from '../../../views/pages/inbox.js';
import { Availability, InboxNav } from '../../../views/partials/staff-nav.js';
import { fieldIssues } from '../json-body.js';
import { isHtmx, requireStaff, type PageContext, type PageEnv } from './env.js';
import { readForm } from './forms.js';
import { redirectTo, sendHtml, viewerOf } from './render.js';
import { caseSlaStatus } from './sla-status.js';

/** The inbox query from `raw` (the URL's query, or the hidden fields of a form posted from the inbox). */
export function parseQuery(c: PageContext, raw: Record<string, string> = c.req.query()): InboxQuery {
  const principal = requireStaff(c);
  const result = inboxQuerySchema.safeParse({ ...raw, view: raw.view || (isManagerRole(principal.actor.role) ? 'all' : 'mine') });
  if (!result.success) throw new ValidationError(fieldIssues(result.error.issues), 'The inbox filters are not valid.');
  return result.data;
}

/** What the bulk bar offers: the people the viewer may assign to, the transitions of their role, their macros. */
async function inboxTools(c: PageContext, principal: Principal): Promise<InboxTools> {
  const services = c.get('services');
  const manager = isManagerRole(principal.actor.role);
  const { people, macros } = await services.store.query(async (q) => {
    const { staff, staffQueues } = q.tables;
    const people = manager
      ? await q.db.select({ id: staff.id, name: staff.name }).from(staff).where(eq(staff.active, true)).orderBy(asc(staff.name))
      : principal.queues.size === 0
        ? []
        : await q.db
            .selectDistinct({ id: staff.id, name: staff.name })
            .from(staff)
            .innerJoin(staffQueues, eq(staffQueues.staffId, staff.id))
            .where(and(eq(staff.active, true), inArray(staffQueues.queueId, [...principal.queues])))
            .orderBy(asc(staff.name));
    return { people, macros: await usableMacrosIn(q, principal.actor) };
  });
  const workflow = services.definitions.workflow(services.defaultWorkflow).definition;
  return {
    assignees: people.filter((p) => p.id !== principal.staffId).map((p) => ({ value: String(p.id), label: p.name })),
    transitions: Object.entries(workflow.transitions)
      .filter(([, t]) => t.roles?.includes(principal.actor.role))
      .map(([name, t]) => ({ value: name, label: t.requires?.length ? `${t.label ?? name} (needs the ${t.requires.join(' and ')})` : (t.label ?? name) })),
    macros: macros.map((m) => ({ value: String(m.id), label: m.ownerId === null ? `${m.name} (shared)` : m.name })),
    canShare: manager,
  };
}

type InboxList = Omit<InboxData, 'views' | 'viewQuery' | 'tools'>;

const NO_TOOLS: InboxTools = { assignees: [], transitions: [], macros: [], canShare: false };

/**
 * The list with everything around it: saved views and their counts, the bulk bar's choices.
 * An htmx answer for the list (`fragment`) needs neither the bar (it is not part of it) nor,
 * on a poll (`views` false), the views.
 */
export async function loadInbox(c: PageContext, query: InboxQuery, given?: InboxList, options: { views?: boolean; fragment?: boolean } = {}): Promise<InboxData> {
  const principal = requireStaff(c);
  const list = given ?? (await loadList(c, query));
  return {
    ...list,
    views: options.views === false ? [] : await savedViews(c.get('services'), principal),
    viewQuery: filtersQuery(query),
    tools: options.fragment ? NO_TOOLS : await inboxTools(c, principal),
  };
}

/** The list alone (enough for a live poll to know nothing changed). */
async function loadList(c: PageContext, query: InboxQuery): Promise<InboxList> {
  const services = c.get('services');
  const principal = requireStaff(c);
  // The newest timeline entry before the rows are read: a customer message after it is one the list did not show (bulk-listed.ts).
  const seen = await services.store.query(async ({ db, tables: { caseEvents } }) => (await db.select({ id: max(caseEvents.id) }).from(caseEvents))[0]?.id ?? 0);
  const page = await inboxPage(services, principal, query);
  const rows = await describeRows(services, page.rows);
  const now = services.clock.now();
  const workflow = services.definitions.workflow(services.defaultWorkflow).definition;
  const states = Object.fromEntries(Object.entries(workflow.states).map(([name, s]) => [name, { label: s.label ?? name, category: s.category }]));
  const allQueues = await services.store.query(({ db, tables: { queues } }) => db.select().from(queues).where(eq(queues.active, true)).orderBy(asc(queues.tier), asc(queues.id)));
  const visibleQueues = isManagerRole(principal.actor.role) ? allQueues : allQueues.filter((q) => principal.queues.has(q.id));
  const fingerprint = rows.map((r) => {
    const sla = caseSlaStatus(r.timers, r.case.slaDueAt, now);
    return `${r.case.id}.${r.case.version}.${sla?.level ?? ''}.${sla?.minutesLeft ?? ''}`;
  });
  return {
    query,
    rows,
    nextCursor: page.nextCursor,
    stamp: sha256(`${fingerprint.join(',')}|${page.nextCursor ?? ''}`).slice(0, 16),
    seen: Number(seen),
    now,
    states,
    queueOptions: visibleQueues.map((q) => ({ value: q.id, label: q.name })),
    statusOptions: Object.entries(states)
      .filter(([, s]) => s.category !== 'resolved' && s.category !== 'closed')
      .map(([name, s]) => ({ value: name, label: s.label })),
  };
}

const availabilityForm = z.object({ available: z.enum(['true', 'false']) });

export function inboxPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get('/inbox', async (c) => {
    const query = parseQuery(c);
    const list = await loadList(c, query);
    const pollSeconds = c.get('pageOptions').pollSeconds;
    if (isHtmx(c) && c.req.query('stamp') === list.stamp) {
      c.header('Vary', 'HX-Request');
      c.header('Cache-Control', 'no-store');
      return c.body(null, 204);
    }
    // A poll or a refresh (it carries the list's stamp) leaves the saved views' counts alone; a change of filters updates them.
    const withViews = !isHtmx(c) || c.req.query('stamp') === undefined;
    const data = await loadInbox(c, query, list, { views: withViews, fragment: isHtmx(c) });
    if (isHtmx(c)) {
      return sendHtml(c, <InboxFragment data={data} viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} pollSeconds={pollSeconds} withViews={withViews} />);
    }
    // `?moved=C-1011`: a case just left the viewer's reach; say where it went (only to those it concerned).
    const movedId = parseCaseRef(c.req.query('moved') ?? '');
    const departure = movedId === null ? null : await c.get('services').store.query((q) => caseDeparture(q, requireStaff(c), movedId));
    const notice = departure ? describeDeparture(departure) : null;
    return sendHtml(c, <InboxPage data={data} viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} pollSeconds={pollSeconds} notice={notice} />);
  });

  /** The saved views with fresh counts (they refresh after commands and once a minute); `current`: the list's filters. */
  app.get('/inbox/views', async (c) => {
    const principal = requireStaff(c);
    const current = (c.req.query('current') ?? '').slice(0, 400);
    return sendHtml(c, <SavedViews views={await savedViews(c.get('services'), principal)} current={current} csrfToken={c.get('csrfToken')} />);
  });

  app.get('/inbox/counts', (c) => {
    requireStaff(c);
    const viewer = viewerOf(c)!;
    const current = (c.req.query('current') ?? '').slice(0, 40);
    return sendHtml(c, <InboxNav nav={viewer.staff!} role={viewer.role} current={current} />);
  });

  app.post('/availability', async (c) => {
    const principal = requireStaff(c);
    const parsed = availabilityForm.safeParse(await readForm(c));
    if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error.issues), 'Choose available or away.');
    const result = await setAvailability(c.get('services'), principal.staffId!, parsed.data.available === 'true', principal.actor);
    if (result.assigned > 0) c.get('services').outbox.kick();
    if (!isHtmx(c)) return redirectTo(c, '/inbox');
    c.header('HX-Trigger', 'case-updated');
    return sendHtml(c, <Availability available={result.available} csrfToken={c.get('csrfToken')} />);
  });

  return app;
}
