/** Everything the case pages (portal and workspace) render, gathered in one place. */
import { mayBeLeftMessage } from '../../cases/chat-identity.js';
import { chatPanelData, leftMessagePanelData, type ChatPanelData, type LeftMessagePanelData } from '../../chat/panel.js';
import { sessionOfCase, type ChatSession } from '../../chat/sessions.js';
import { and, asc, count, eq, inArray, isNull, max, sql } from 'drizzle-orm';
import { canSeeCase } from '../../cases/access.js';
import { readCaseView, readCustomerCaseView, readCustomerTimeline, readTimeline } from '../../cases/case-read.js';
import { caseRef } from '../../cases/case-ref.js';
import type { CaseRow, CaseView, TimelineEntry } from '../../cases/case-view.js';
import { customerCases } from '../../cases/customer-cases.js';
import { mentionable } from '../../cases/mentions.js';
import { explainCase, type CaseStory } from '../../cases/why-here.js';
import { profileHistory, type CustomerProfileEntry } from '../../cases/edit-customer.js';
import { isCallerOnlyEmail } from '../../text/phone.js';
import { isManagerRole } from '../../roles.js';
import type { CustomerCaseView, CustomerTimelineEntry } from '../../cases/customer-view.js';
import type { slaTimers } from '../../db/schema/index.js';
import type { Handle } from '../../db/store/index.js';
import { usableMacrosIn } from '../../macros/macro-store.js';
import { HELD_MAIL, RELEASED_MAIL } from '../../notifications/held-mail.js';
import type { MacroOption } from '../../../views/partials/macro-picker.js';
import type { TimelineNames } from '../../../views/partials/timeline.js';
import type { Services } from '../../services.js';
import type { StateCategory } from '../../workflow/definition.js';
import { availableTransitions, type AvailableTransition } from '../../workflow/transition.js';
import type { Principal } from '../types.js';
import { timerStatus, type SlaStatus } from './sla-status.js';
import { sha256 } from '../../auth/tokens.js';
import type { PresenceEntry } from '../../cases/presence.js';
import { colleagueDrafts, draftsOf, type ColleagueDraft, type Draft, type DraftKind } from '../../cases/drafts.js';

export interface OtherCase {
  ref: string;
  subject: string;
  status: string;
  category: StateCategory | undefined;
  updatedAt: number;
}

interface CasePageBase {
  ref: string;
  category: StateCategory | undefined;
  final: boolean;
  transitions: AvailableTransition[];
  /** Changes whenever anything the page shows changes (the live poll sends it back). */
  stamp: string;
  stampParts: CaseStamp;
  now: number;
  /** Attachment limits, stated by the message forms. */
  uploads: { maxBytes: number; maxCount: number; maxTotalBytes: number };
}

/** The workspace: everything about the case. */
export interface StaffCasePageData extends CasePageBase {
  audience: 'staff';
  /** The live chat of a chat case (its latest session), or null. */
  chat?: ChatPanelData | null;
  /** A message left in the chat window whose typed address no agent confirmed yet, or null. */
  left?: LeftMessagePanelData | null;
  row: CaseRow;
  view: CaseView;
  timeline: TimelineEntry[];
  timers: SlaStatus[];
  stateLabels: Record<string, string>;
  /** What the timeline shows for states, transitions and queues stored by name/id. */
  timelineNames: TimelineNames;
  otherCases: OtherCase[];
  suggestions: { problemId: number; title: string; solution: string }[];
  queues: { id: string; name: string; tier: number }[];
  /** Members of the case's queue with their open cases and capacity. */
  assignees: { id: number; name: string; load: number; capacity: number }[];
  /** Managers and admins may assign beyond capacity (explicitly). */
  canOverrideCapacity: boolean;
  /** "Why is this case here?": how it got its queue, priority and policy, the rules that fired, the moves (src/cases/why-here.ts). */
  why: CaseStory;
  /** The customer's latest profile changes (who changed what from what to what). */
  profileHistory: CustomerProfileEntry[];
  /** Managers and admins may edit the customer's profile from the case page. */
  canEditCustomer: boolean;
  /** An agent on their own case whose customer has only a stand-in address (a caller known by phone): they may give the real one. */
  canSetCallerEmail: boolean;
  /** Colleagues a note may mention (`@handle`): active staff who may see the case, the viewer left out. */
  mentionable: { handle: string; name: string }[];
  /** The macros the viewer may use in the composer (their own, then the shared ones). */
  macros: MacroOption[];
  /** The newest timeline entry shown: the composer sends it back (`seen`), so a send from a stale view is held back. */
  lastEventId: number;
  /** Colleagues who have the case open now, and who of them is typing (src/cases/presence.ts). */
  presence: PresenceEntry[];
  /** The viewer's own unsent reply and note on the case (src/cases/drafts.ts): the composer restores them. */
  drafts: Partial<Record<DraftKind, Draft>>;
  /** Colleagues with an unsent draft on the case (who and what kind, never the text): the presence panel names them. */
  colleagueDrafts: ColleagueDraft[];
  /** Rulesets this case can be kept as an example of (managers, a case routed by rules): those run at intake. */
  exampleRulesets: string[];
}

/** The portal: the customer projection only (`src/cases/customer-view.ts`), nothing else. */
export interface CustomerCasePageData extends CasePageBase {
  audience: 'customer';
  view: CustomerCaseView;
  timeline: CustomerTimelineEntry[];
}

export type CasePageData = StaffCasePageData | CustomerCasePageData;

/**
 * Fingerprints of the case as the viewer's page shows it, for the live poll. `actions`
 * covers what the action forms depend on (transitions open to the viewer, queue, assignee,
 * the rating), so forms someone is typing in are replaced only when they must be;
 * `version` changes whenever the case changes (a status message about an earlier state is
 * then stale); `content` covers the rest (version, newest event and the SLA clocks, whose
 * minutes left change without any write). Customers' stamps come from their projection only.
 */
export interface CaseStamp {
  actions: string;
  /** The case's version: changes with every change of the case itself (not with mails sent or clocks ticking). */
  version: string;
  content: string;
}

export function formatStamp(stamp: CaseStamp): string {
  return `${stamp.actions}-${stamp.version}-${stamp.content}`;
}

/** The parts of a stamp the page sent back (empty strings for a malformed one). */
export function parseStamp(stamp: string): CaseStamp {
  const [actions = '', version = '', content = ''] = stamp.split('-');
  return { actions, version, content };
}

/**
 * The customer's stamp is taken from the customer projection only, so the poll reveals
 * nothing of internal activity (a note, a reassignment) by changing when it happens: its
 * `updatedAt` is the last change the customer sees (`customer_updated_at`), not the row's.
 */
function customerStamp(view: CustomerCaseView, timeline: readonly CustomerTimelineEntry[]): CaseStamp {
  const last = timeline.at(-1)?.id ?? 0;
  return {
    actions: sha256(JSON.stringify([view.status, view.open, view.transitions, view.rating?.ratedAt ?? 0, view.offer?.answer ?? null])).slice(0, 12),
    version: sha256(JSON.stringify([view.status, view.updatedAt])).slice(0, 8),
    content: sha256(JSON.stringify([view, last])).slice(0, 12),
  };
}

/** What a staff stamp needs besides the row: the newest timeline entry, the SLA timers, the chat's session. */
interface StaffStampParts {
  lastEvent: number;
  timers: (typeof slaTimers.$inferSelect)[];
  chat: Pick<ChatSession, 'id' | 'state'> | null;
  /** The newest held or released mail of a chat case (its panel lists the held ones, with a form). */
  heldMail: number;
}

function staffStamp(services: Services, principal: Principal, row: CaseRow, parts: StaffStampParts): CaseStamp {
  const now = services.clock.now();
  const workflow = services.definitions.workflow(row.workflow, row.workflowVersion).definition;
  const transitions = availableTransitions(workflow, row, principal.actor.role).map((t) => t.name);
  const clocks = parts.timers.map((t) => {
    const s = timerStatus(t, now);
    return `${s.metric}:${s.level}:${s.minutesLeft ?? ''}`;
  });
  // A chat case's live chat panel (its "End chat" form) is an action too: re-rendered when the chat ends or a new one starts.
  const chat = parts.chat;
  return {
    // The edit form shows subject, priority and tags: it is refreshed when someone else changes them.
    actions: sha256(JSON.stringify([row.status, row.queueId, row.assigneeId, row.open, transitions, row.subject, row.priority, row.tags, chat ? [chat.id, chat.state, parts.heldMail] : null])).slice(0, 12),
    version: sha256(`${row.id}:${row.version}`).slice(0, 8),
    content: sha256(`${row.version}|${parts.lastEvent}|${clocks.join(',')}`).slice(0, 12),
  };
}

async function staffStampParts(q: Handle, row: CaseRow): Promise<StaffStampParts> {
  const { caseEvents, slaTimers } = q.tables;
  const [last] = await q.db.select({ id: max(caseEvents.id) }).from(caseEvents).where(eq(caseEvents.caseId, row.id));
  const timers = await q.db.select().from(slaTimers).where(eq(slaTimers.caseId, row.id)).orderBy(asc(slaTimers.id));
  const chat = row.channel === 'chat' ? await sessionOfCase(q, row.id) : null;
  const [held] = chat
    ? await q.db
        .select({ id: max(caseEvents.id) })
        .from(caseEvents)
        .where(and(eq(caseEvents.caseId, row.id), inArray(caseEvents.type, [HELD_MAIL, RELEASED_MAIL])))
    : [];
  return { lastEvent: last?.id ?? 0, timers, chat, heldMail: held?.id ?? 0 };
}

/** The stamp of the page the viewer would get now (the live poll compares it with the one it sent). */
export function caseStamp(services: Services, principal: Principal, row: CaseRow): Promise<CaseStamp> {
  return services.store.query(async (q) => {
    if (principal.actor.type === 'customer') {
      return customerStamp(await readCustomerCaseView(q, services, row), await readCustomerTimeline(q, services, row, principal.customerId));
    }
    return staffStamp(services, principal, row, await staffStampParts(q, row));
  });
}

/** Everything the case page shows, read through the store (each read by itself: a page's lookups need no common snapshot). */
export function loadCasePage(services: Services, principal: Principal, row: CaseRow): Promise<CasePageData> {
  return services.store.query((q) => casePageOn(q, services, principal, row));
}

function basePage(services: Services, principal: Principal, row: CaseRow, stamp: CaseStamp): CasePageBase {
  const workflow = services.definitions.workflow(row.workflow, row.workflowVersion).definition;
  const state = workflow.states[row.status];
  return {
    ref: caseRef(row.id),
    category: state?.category,
    final: state?.final === true,
    transitions: availableTransitions(workflow, row, principal.actor.role),
    stamp: formatStamp(stamp),
    stampParts: stamp,
    now: services.clock.now(),
    uploads: services.attachments.settings,
  };
}

async function hasCurrentRating(q: Handle, caseId: number): Promise<boolean> {
  const { caseRatings } = q.tables;
  const [rating] = await q.db.select({ id: caseRatings.id }).from(caseRatings).where(and(eq(caseRatings.caseId, caseId), isNull(caseRatings.supersededAt))).limit(1);
  return rating !== undefined;
}

async function casePageOn(q: Handle, services: Services, principal: Principal, row: CaseRow): Promise<CasePageData> {
  const now = services.clock.now();
  if (principal.actor.type === 'customer') {
    const view = await readCustomerCaseView(q, services, row);
    const timeline = await readCustomerTimeline(q, services, row, principal.customerId);
    return { ...basePage(services, principal, row, customerStamp(view, timeline)), audience: 'customer', view, timeline };
  }
  const { queues, problems, staff, staffQueues, cases } = q.tables;
  const stampParts = await staffStampParts(q, row);
  const workflow = services.definitions.workflow(row.workflow, row.workflowVersion).definition;
  const stateLabels = Object.fromEntries(Object.entries(workflow.states).map(([name, s]) => [name, s.label ?? name]));
  const entries = await readTimeline(q, row.id);
  const allQueues = await q.db.select({ id: queues.id, name: queues.name, tier: queues.tier, active: queues.active }).from(queues).orderBy(asc(queues.tier), asc(queues.id));
  const others = await customerCases(q, row.customerId, { limit: 11 });
  const suggestionIds = row.suggestions.map((s) => s.problemId);
  const found = suggestionIds.length
    ? await q.db.select({ id: problems.id, title: problems.title, solution: problems.solution }).from(problems).where(and(inArray(problems.id, suggestionIds), eq(problems.active, true)))
    : [];
  // Each member's open cases: a correlated count, booleans compared as each dialect stores them.
  const load = q.db
    .select({ n: count() })
    .from(cases)
    .where(and(eq(cases.assigneeId, staff.id), eq(cases.open, true)));
  const assignees = await q.db
    .select({ id: staff.id, name: staff.name, capacity: staff.capacity, load: sql<number>`(${load})` })
    .from(staffQueues)
    .innerJoin(staff, eq(staff.id, staffQueues.staffId))
    .where(and(eq(staffQueues.queueId, row.queueId), eq(staff.active, true)))
    .orderBy(asc(staff.name));
  const data: StaffCasePageData = {
    ...basePage(services, principal, row, staffStamp(services, principal, row, stampParts)),
    audience: 'staff',
    row,
    view: await readCaseView(q, services, row),
    timeline: entries,
    lastEventId: entries.reduce((m, e) => Math.max(m, e.id), 0),
    presence: services.presence.others(row.id, principal.staffId, now),
    drafts: principal.staffId === null ? {} : await draftsOf(q, { caseId: row.id, staffId: principal.staffId }),
    colleagueDrafts: await colleagueDrafts(q, row.id, principal.staffId),
    timers: stampParts.timers.map((t) => timerStatus(t, now)),
    stateLabels,
    timelineNames: {
      states: stateLabels,
      transitions: Object.fromEntries(Object.entries(workflow.transitions).map(([name, t]) => [name, t.label ?? name])),
      queues: Object.fromEntries(allQueues.map((x) => [x.id, x.name])),
      // A reopen leaves the case no current solution or rating: the earlier ones are labelled so.
      current: { solution: row.solution !== null, rating: await hasCurrentRating(q, row.id) },
    },
    otherCases: others.rows
      .filter((other) => other.id !== row.id && canSeeCase(principal, other))
      .slice(0, 10)
      .map((other) => {
        const wf = services.definitions.workflow(other.workflow, other.workflowVersion).definition;
        return { ref: caseRef(other.id), subject: other.subject, status: wf.states[other.status]?.label ?? other.status, category: wf.states[other.status]?.category, updatedAt: other.updatedAt };
      }),
    suggestions: suggestionIds.flatMap((id) => found.filter((p) => p.id === id).map((p) => ({ problemId: p.id, title: p.title, solution: p.solution }))),
    queues: allQueues.filter((x) => x.active).map(({ id, name, tier }) => ({ id, name, tier })),
    assignees: assignees.map((a) => ({ ...a, load: Number(a.load) })),
    canOverrideCapacity: isManagerRole(principal.actor.role),
    why: explainCase(entries, { queue: row.queueId, priority: row.priority, slaPolicy: row.slaPolicy }),
    profileHistory: await profileHistory(q, row.customerId, 5),
    canEditCustomer: isManagerRole(principal.actor.role),
    canSetCallerEmail: false,
    mentionable: (await mentionable(q, row, principal.staffId)).map((m) => ({ handle: m.handle, name: m.name })),
    macros: (await usableMacrosIn(q, principal.actor)).map((m) => ({ id: m.id, name: m.name, shared: m.ownerId === null })),
    chat: row.channel === 'chat' ? await chatPanelData(q, services, row.id) : null,
    left: mayBeLeftMessage(row) ? await leftMessagePanelData(q, services, row.id) : null,
    exampleRulesets:
      isManagerRole(principal.actor.role) && row.routing
        ? (services.definitions.workflow(services.defaultWorkflow).definition.triggers?.['case.created'] ?? []).filter((name) => services.definitions.publishedVersion('ruleset', name) !== null)
        : [],
  };
  data.canSetCallerEmail = !data.canEditCustomer && principal.staffId !== null && row.assigneeId === principal.staffId && isCallerOnlyEmail(data.view.customer.email);
  return data;
}
