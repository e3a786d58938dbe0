/**
 * `/manage/team` (managers and admins, behind requireManager): queues and staff. The
 * problem library and customers hang below it too (team-library.tsx).
 *
 *   GET  /manage/team                               queues and staff
 *   GET  /manage/team/queues/new, POST /manage/team/queues             create a queue
 *   GET  /manage/team/queues/:id, POST /manage/team/queues/:id         edit it
 *   POST /manage/team/queues/:id/deactivate (moveTo, channelsTo), …/reactivate
 *   GET  /manage/team/staff/new, POST /manage/team/staff               add a staff member (one-time link)
 *   GET  /manage/team/staff/:id, POST /manage/team/staff/:id           edit them
 *   POST /manage/team/staff/:id/deactivate, …/reactivate
 *
 * Forms answer 422 with the form and the messages next to the fields (htmx: the form alone);
 * refusals that concern the whole form (a conflict) come back on the form too.
 */
import { Hono } from 'hono';
import { STAFF_ROLES } from '../../../db/schema/index.js';
import type { Actor } from '../../../roles.js';
import { channelsText, createQueue, deactivateQueue, listQueues, reactivateQueue, updateQueue } from '../../../team/queues.js';
import { deactivateStaff, reactivateStaff } from '../../../team/staff-active.js';
import { createStaffMember, getStaff, listStaff, memberships, updateStaff } from '../../../team/staff.js';
import type { FormErrors, FormState, FormValues } from '../../../../views/components.js';
import {
  DeactivateQueueForm,
  NewQueuePage,
  QueueForm,
  QueuePage,
  ROLE_LABELS,
  TeamPage,
  TEAM,
} from '../../../../views/pages/manage/team.js';
import { NewStaffPage, StaffCreatedPage, StaffCreatedPanel, StaffForm, StaffPage, type StaffFormData } from '../../../../views/pages/manage/team-staff.js';
import { isHtmx, type PageContext, type PageEnv } from '../env.js';
import { readForm } from '../forms.js';
import { redirectTo, sendForm, sendHtml, viewerOf } from '../render.js';
import { managerOf } from './guard.js';
import { libraryPages } from './team-library.js';
import { attempt, idParam } from './team-forms.js';
import { activeQueueChoices, inactiveMemberships, openAssigned, queueData } from './team-data.js';

const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const num = (c: PageContext, key: string) => (/^\d{1,6}$/.test(c.req.query(key) ?? '') ? Number(c.req.query(key)) : 0);

/** Messages shown after a redirect (`?done=`); fixed texts, counts from the query. */
function notice(c: PageContext): string | null {
  switch (c.req.query('done')) {
    case 'queue-created':
      return 'Queue created.';
    case 'queue-saved':
      return 'Queue saved.';
    case 'queue-deactivated':
      return `Queue deactivated.${num(c, 'moved') ? ` ${count(num(c, 'moved'), 'open case')} moved.` : ''}${num(c, 'mailboxes') + num(c, 'chatSites') ? ` New cases from ${channelsText({ mailboxes: num(c, 'mailboxes'), chatSites: num(c, 'chatSites') })} now start in ${c.req.query('channelsTo') && /^[a-z0-9][a-z0-9_-]{0,39}$/.test(c.req.query('channelsTo')!) ? c.req.query('channelsTo') : 'the queue chosen'}.` : ''}`;
    case 'queue-reactivated':
      return 'Queue reactivated.';
    case 'staff-saved':
      return `Saved.${num(c, 'released') ? ` ${count(num(c, 'released'), 'case')} handed back to automatic assignment.` : ''}${num(c, 'assigned') ? ` ${count(num(c, 'assigned'), 'waiting case')} assigned.` : ''}`;
    case 'staff-deactivated':
      return `Deactivated.${num(c, 'released') ? ` ${count(num(c, 'released'), 'open case')} handed back to automatic assignment.` : ''}`;
    case 'staff-reactivated':
      return 'Reactivated. They start away.';
    default:
      return null;
  }
}

/* Queues */

const queueInput = (v: FormValues) => ({
  name: v.name ?? '',
  description: v.description ?? '',
  tier: /^\d$/.test(v.tier ?? '') ? Number(v.tier) : NaN,
  ...(v.waitingOrder !== undefined ? { waitingOrder: v.waitingOrder as 'priority' | 'fifo' } : {}),
  ...(v.waitAlertMinutes !== undefined ? { waitAlertMinutes: waitAlertOf(v.waitAlertMinutes) } : {}),
  ...(v.slackWebhookUrl !== undefined ? { slackWebhookUrl: v.slackWebhookUrl } : {}),
  ...(v.teamsWebhookUrl !== undefined ? { teamsWebhookUrl: v.teamsWebhookUrl } : {}),
});

/** Empty: the server default (null); whole minutes otherwise (anything else fails validation). */
function waitAlertOf(raw: string): number | null {
  const value = raw.trim();
  if (value === '') return null;
  return /^\d{1,9}$/.test(value) ? Number(value) : NaN;
}

/* Staff */

function roleOptions(actor: Actor) {
  return STAFF_ROLES.filter((r) => r !== 'admin' || actor.role === 'admin').map((r) => ({ value: r, label: ROLE_LABELS[r] }));
}

async function staffFormData(c: PageContext, actor: Actor, selected: string[]): Promise<StaffFormData> {
  return { roles: roleOptions(actor), queues: await activeQueueChoices(c.get('services')), selected };
}

async function checkedQueues(c: PageContext): Promise<string[]> {
  const all = await c.req.parseBody({ all: true });
  const raw = all.queues;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.filter((v): v is string => typeof v === 'string').slice(0, 100);
}

const skillsOf = (text: string | undefined) => (text ?? '').split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
const capacityOf = (text: string | undefined) => (/^\d{1,6}$/.test((text ?? '').trim()) ? Number(text!.trim()) : NaN);
/** The chat limit field: a form without it (an older page) leaves the limit as it is. */
const chatLimitOf = (text: string | undefined) => (text === undefined ? undefined : capacityOf(text));

export function teamPages(): Hono<PageEnv> {
  const app = new Hono<PageEnv>();

  app.get(TEAM, async (c) => {
    managerOf(c);
    const services = c.get('services');
    const queues = await listQueues(services);
    const staff = await listStaff(services);
    return sendHtml(c, <TeamPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} queues={queues} staff={staff} notice={notice(c)} />);
  });

  app.get(`${TEAM}/queues/new`, (c) => {
    managerOf(c);
    return sendHtml(c, <NewQueuePage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} state={{}} defaultWaitAlert={c.get('services').queueWaitAlertMinutes} />);
  });

  app.post(`${TEAM}/queues`, async (c) => {
    const { actor } = managerOf(c);
    const values = await readForm(c);
    const result = await attempt(
      async () => createQueue(c.get('services'), { id: values.id ?? '', ...queueInput(values) }, actor),
      (errors, status) => {
        const state: FormState = { values, errors };
        return sendForm(c, 'queue-form', () => <QueueForm csrfToken={c.get('csrfToken')} state={state} queue={null} defaultWaitAlert={c.get('services').queueWaitAlertMinutes} />, () => <NewQueuePage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} state={state} defaultWaitAlert={c.get('services').queueWaitAlertMinutes} />, status);
      },
    );
    if (!result.ok) return result.response;
    return redirectTo(c, `${TEAM}/queues/${result.value.id}?done=queue-created`);
  });

  app.get(`${TEAM}/queues/:id`, async (c) => {
    managerOf(c);
    const data = await queueData(c.get('services'), c.req.param('id'));
    return sendHtml(c, <QueuePage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} data={data} state={{}} notice={notice(c)} />);
  });

  app.post(`${TEAM}/queues/:id`, async (c) => {
    const { actor } = managerOf(c);
    const id = c.req.param('id');
    const values = await readForm(c);
    const result = await attempt(
      async () => updateQueue(c.get('services'), id, queueInput(values), actor),
      async (errors, status) => {
        const data = await queueData(c.get('services'), id);
        const state: FormState = { values, errors };
        return sendForm(c, 'queue-form', () => <QueueForm csrfToken={c.get('csrfToken')} state={state} queue={data.queue} defaultWaitAlert={data.defaultWaitAlert} />, () => <QueuePage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} data={data} state={state} notice={null} />, status);
      },
    );
    if (!result.ok) return result.response;
    return redirectTo(c, `${TEAM}/queues/${id}?done=queue-saved`);
  });

  app.post(`${TEAM}/queues/:id/deactivate`, async (c) => {
    const { actor } = managerOf(c);
    const id = c.req.param('id');
    const values = await readForm(c);
    const result = await attempt(
      async () => deactivateQueue(c.get('services'), id, { moveTo: values.moveTo ?? null, channelsTo: values.channelsTo ?? null }, actor),
      async (errors, status) => {
        const data = await queueData(c.get('services'), id);
        const state: FormState = { values, errors };
        return sendForm(
          c,
          'deactivate-queue-form',
          () => <DeactivateQueueForm csrfToken={c.get('csrfToken')} data={data} state={state} />,
          () => <QueuePage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} data={data} state={{}} deactivate={state} notice={null} />,
          status,
        );
      },
    );
    if (!result.ok) return result.response;
    const { moved, channels, channelsTo } = result.value;
    const repointed = channelsTo ? `&mailboxes=${channels.mailboxes.length}&chatSites=${channels.chatSites.length}&channelsTo=${encodeURIComponent(channelsTo)}` : '';
    return redirectTo(c, `${TEAM}/queues/${id}?done=queue-deactivated&moved=${moved}${repointed}`);
  });

  app.post(`${TEAM}/queues/:id/reactivate`, async (c) => {
    const { actor } = managerOf(c);
    const id = c.req.param('id');
    await reactivateQueue(c.get('services'), id, actor);
    return redirectTo(c, `${TEAM}/queues/${id}?done=queue-reactivated`);
  });

  app.get(`${TEAM}/staff/new`, async (c) => {
    const { actor } = managerOf(c);
    return sendHtml(c, <NewStaffPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} state={{}} data={await staffFormData(c, actor, [])} />);
  });

  app.post(`${TEAM}/staff`, async (c) => {
    const { actor } = managerOf(c);
    const values = await readForm(c);
    const selected = await checkedQueues(c);
    const input = { email: (values.email ?? '').trim(), name: values.name ?? '', role: values.role ?? '', queues: selected, skills: skillsOf(values.skills), capacity: capacityOf(values.capacity), chatLimit: chatLimitOf(values.chatLimit) };
    const result = await attempt(
      () => createStaffMember(c.get('services'), input, actor),
      async (errors, status) => {
        const state: FormState = { values, errors: fieldNames(errors) };
        const data = await staffFormData(c, actor, selected);
        return sendForm(c, 'staff-form', () => <StaffForm csrfToken={c.get('csrfToken')} state={state} member={null} data={data} />, () => <NewStaffPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} state={state} data={data} />, status);
      },
    );
    if (!result.ok) return result.response;
    const created = { id: result.value.ref.id, name: result.value.name, email: result.value.email, link: result.value.setPassword };
    if (isHtmx(c)) {
      c.header('HX-Retarget', '#staff-form');
      c.header('HX-Reswap', 'outerHTML');
      return sendHtml(c, <StaffCreatedPanel created={created} />, 201);
    }
    return sendHtml(c, <StaffCreatedPage viewer={viewerOf(c)!} csrfToken={c.get('csrfToken')} created={created} />, 201);
  });

  app.get(`${TEAM}/staff/:id`, async (c) => {
    const principal = managerOf(c);
    const id = idParam(c, 'staff member');
    const services = c.get('services');
    const member = await getStaff(services, id);
    return sendHtml(
      c,
      <StaffPage
        viewer={viewerOf(c)!}
        csrfToken={c.get('csrfToken')}
        member={member}
        state={{}}
        data={await staffFormData(c, principal.actor, await memberships(services, id))}
        inactiveMemberships={await inactiveMemberships(services, id)}
        openCases={await openAssigned(services, id)}
        self={principal.staffId === id}
        notice={notice(c)}
      />,
    );
  });

  app.post(`${TEAM}/staff/:id`, async (c) => {
    const principal = managerOf(c);
    const id = idParam(c, 'staff member');
    const values = await readForm(c);
    const selected = await checkedQueues(c);
    const input = { name: values.name ?? '', role: (values.role ?? '') as 'agent', skills: skillsOf(values.skills), capacity: capacityOf(values.capacity), chatLimit: chatLimitOf(values.chatLimit), queues: selected, available: values.available === 'on' };
    const result = await attempt(
      async () => updateStaff(c.get('services'), id, input, principal.actor),
      async (errors, status) => {
        const services = c.get('services');
        const member = await getStaff(services, id);
        const state: FormState = { values, errors: fieldNames(errors) };
        const data = await staffFormData(c, principal.actor, selected);
        const inactive = await inactiveMemberships(services, id);
        const openCases = await openAssigned(services, id);
        return sendForm(
          c,
          'staff-form',
          () => <StaffForm csrfToken={c.get('csrfToken')} state={state} member={member} data={data} inactiveMemberships={inactive} />,
          () => (
            <StaffPage
              viewer={viewerOf(c)!}
              csrfToken={c.get('csrfToken')}
              member={member}
              state={state}
              data={data}
              inactiveMemberships={inactive}
              openCases={openCases}
              self={principal.staffId === id}
              notice={null}
            />
          ),
          status,
        );
      },
    );
    if (!result.ok) return result.response;
    return redirectTo(c, `${TEAM}/staff/${id}?done=staff-saved&released=${result.value.released}&assigned=${result.value.assigned}`);
  });

  app.post(`${TEAM}/staff/:id/deactivate`, async (c) => {
    const { actor } = managerOf(c);
    const id = idParam(c, 'staff member');
    const result = await deactivateStaff(c.get('services'), id, actor);
    c.get('services').outbox.kick();
    return redirectTo(c, `${TEAM}/staff/${id}?done=staff-deactivated&released=${result.released}`);
  });

  app.post(`${TEAM}/staff/:id/reactivate`, async (c) => {
    const { actor } = managerOf(c);
    const id = idParam(c, 'staff member');
    await reactivateStaff(c.get('services'), id, actor);
    return redirectTo(c, `${TEAM}/staff/${id}?done=staff-reactivated`);
  });

  app.route('/', libraryPages());
  return app;
}

/** createUser reports list items as `queues.2`, `skills.0`: the form has one field for each list. */
function fieldNames(errors: FormErrors): FormErrors {
  const out: FormErrors = {};
  for (const [key, message] of Object.entries(errors)) out[key.replace(/\.\d+$/, '')] ??= message;
  return out;
}
