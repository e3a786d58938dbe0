/** Everything the case pages (portal and workspace) render, gathered in one place. */
import type { ChatPanelData } from '../../chat/panel.js';
import type { ChatLine } from '../../chat/lines.js';
import type { ChatSession } from '../../chat/sessions.js';
import { statement } from '../../db/fast.js';
import { chatSessions } from '../../db/schema/index.js';
import { and, asc, eq, inArray, max, sql } from 'drizzle-orm';
import { canSeeCase } from '../../cases/access.js';
import { caseRef } from '../../cases/case-ref.js';
import { caseView, timeline, type CaseRow, type CaseView, type TimelineEntry } from '../../cases/case-view.js';
import { customerCases } from '../../cases/customer-cases.js';
import { mentionable } from '../../cases/mentions.js';
import { profileHistory, type CustomerProfileEntry } from '../../cases/edit-customer.js';
import { isManagerRole } from '../../roles.js';
import { customerCaseView, customerTimeline, type CustomerCaseView, type CustomerTimelineEntry } from '../../cases/customer-view.js';
import { caseEvents, problems, queues, slaTimers, staff, staffQueues } from '../../db/schema/index.js';
import { usableMacros } from '../../macros/macro-store.js';
import type { MacroOption } from '../../../views/partials/macro-picker.js';
import type { TimelineNames } from '../../../views/partials/timeline.js';
import type { Services } from '../../services.js';
import type { StateCategory } from '../../workflow/definition.js';
import { availableTransitions, type AvailableTransition } from '../../workflow/transition.js';
import type { Principal } from '../types.js';
import { timerStatus, type SlaStatus } from './sla-status.js';
import { sha256 } from '../../auth/tokens.js';
import type { PresenceEntry } from '../../cases/presence.js';

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
  escalations: TimelineEntry[];
  /** The customer's latest profile changes (who changed what from what to what). */
  profileHistory: CustomerProfileEntry[];
  /** Managers and admins may edit the customer's profile from the case page. */
  canEditCustomer: boolean;
  /** Colleagues a note may mention (`@handle`): active staff who may see the case, the viewer left out. */
  mentionable: { handle: string; name: string }[];
  /** The macros the viewer may use in the composer (their own, then the shared ones). */
  macros: MacroOption[];
  /** The newest timeline entry shown: the composer sends it back (`seen`), so a send from a stale view is held back. */
  lastEventId: number;
  /** Colleagues who have the case open now, and who of them is typing (src/cases/presence.ts). */
  presence: PresenceEntry[];
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
 * nothing of internal activity (a note, a reassignment) by changing when it happens.
 */
function customerStamp(services: Services, principal: Principal, row: CaseRow): CaseStamp {
  const view = customerCaseView(services, row);
  const last = customerTimeline(services, row, principal.customerId).at(-1)?.id ?? 0;
  return {
    actions: sha256(JSON.stringify([view.status, view.open, view.transitions, view.rating?.ratedAt ?? 0, view.offer?.answer ?? null])).slice(0, 12),
    version: sha256(JSON.stringify([view.status, view.updatedAt])).slice(0, 8),
    content: sha256(JSON.stringify([view, last])).slice(0, 12),
  };
}

export function caseStamp(services: Services, principal: Principal, row: CaseRow): CaseStamp {
  if (principal.actor.type === 'customer') return customerStamp(services, principal, row);
  const { db } = services;
  const now = services.clock.now();
  const workflow = services.definitions.workflow(row.workflow, row.workflowVersion).definition;
  const transitions = availableTransitions(workflow, row, principal.actor.role).map((t) => t.name);
  const lastEvent = db.select({ id: max(caseEvents.id) }).from(caseEvents).where(eq(caseEvents.caseId, row.id)).get()?.id ?? 0;
  const clocks = db
    .select()
    .from(slaTimers)
    .where(eq(slaTimers.caseId, row.id))
    .all()
    .map((t) => {
      const s = timerStatus(t, now);
      return `${s.metric}:${s.level}:${s.minutesLeft ?? ''}`;
    });
  // A chat case's live chat panel (its "End chat" form) is an action too: re-rendered when the chat ends or a new one starts.
  const chat = row.channel === 'chat' ? chatSessionOf(services, row.id) : null;
  return {
    // The edit form shows subject, priority and tags: it is refreshed when someone else changes them.
    actions: sha256(JSON.stringify([row.status, row.queueId, row.assigneeId, row.open, transitions, row.subject, row.priority, row.tags, chat ? [chat.id, chat.state] : null])).slice(0, 12),
    version: sha256(`${row.id}:${row.version}`).slice(0, 8),
    content: sha256(`${row.version}|${lastEvent}|${clocks.join(',')}`).slice(0, 12),
  };
}

export function loadCasePage(services: Services, principal: Principal, row: CaseRow): CasePageData {
  const { db } = services;
  const now = services.clock.now();
  const workflow = services.definitions.workflow(row.workflow, row.workflowVersion).definition;
  const state = workflow.states[row.status];
  const stamp = caseStamp(services, principal, row);
  const base: CasePageBase = {
    ref: caseRef(row.id),
    category: state?.category,
    final: state?.final === true,
    transitions: availableTransitions(workflow, row, principal.actor.role),
    stamp: formatStamp(stamp),
    stampParts: stamp,
    now,
    uploads: services.attachments.settings,
  };
  if (principal.actor.type === 'customer') {
    return { ...base, audience: 'customer', view: customerCaseView(services, row), timeline: customerTimeline(services, row, principal.customerId) };
  }

  const stateLabels = Object.fromEntries(Object.entries(workflow.states).map(([name, s]) => [name, s.label ?? name]));
  const timerRows = db.select().from(slaTimers).where(eq(slaTimers.caseId, row.id)).orderBy(asc(slaTimers.id)).all();
  const entries = timeline(services, row.id);
  const data: StaffCasePageData = {
    ...base,
    audience: 'staff',
    row,
    view: caseView(services, row),
    timeline: entries,
    lastEventId: entries.reduce((m, e) => Math.max(m, e.id), 0),
    presence: services.presence.others(row.id, principal.staffId, now),
    timers: timerRows.map((t) => timerStatus(t, now)),
    stateLabels,
    timelineNames: {
      states: stateLabels,
      transitions: Object.fromEntries(Object.entries(workflow.transitions).map(([name, t]) => [name, t.label ?? name])),
      queues: Object.fromEntries(db.select({ id: queues.id, name: queues.name }).from(queues).all().map((q) => [q.id, q.name])),
    },
    otherCases: [],
    suggestions: [],
    queues: [],
    assignees: [],
    canOverrideCapacity: false,
    escalations: [],
    profileHistory: profileHistory(services, row.customerId, 5),
    canEditCustomer: isManagerRole(principal.actor.role),
    mentionable: mentionable(services, row, principal.staffId).map((m) => ({ handle: m.handle, name: m.name })),
    macros: usableMacros(db, principal.actor).map((m) => ({ id: m.id, name: m.name, shared: m.ownerId === null })),
    chat: row.channel === 'chat' ? chatPanelOf(services, row.id) : null,
    exampleRulesets:
      isManagerRole(principal.actor.role) && row.routing
        ? (services.definitions.workflow(services.defaultWorkflow).definition.triggers?.['case.created'] ?? []).filter((name) => services.definitions.publishedVersion('ruleset', name) !== null)
        : [],
  };

  data.otherCases = customerCases(services, row.customerId, { limit: 11 })
    .rows.filter((other) => other.id !== row.id && canSeeCase(principal, other))
    .slice(0, 10)
    .map((other) => {
      const wf = services.definitions.workflow(other.workflow, other.workflowVersion).definition;
      return { ref: caseRef(other.id), subject: other.subject, status: wf.states[other.status]?.label ?? other.status, category: wf.states[other.status]?.category, updatedAt: other.updatedAt };
    });
  const suggestionIds = row.suggestions.map((s) => s.problemId);
  const found = suggestionIds.length
    ? db.select({ id: problems.id, title: problems.title, solution: problems.solution }).from(problems).where(and(inArray(problems.id, suggestionIds), eq(problems.active, true))).all()
    : [];
  data.suggestions = suggestionIds.flatMap((id) => found.filter((p) => p.id === id).map((p) => ({ problemId: p.id, title: p.title, solution: p.solution })));
  data.queues = db.select({ id: queues.id, name: queues.name, tier: queues.tier }).from(queues).where(eq(queues.active, true)).orderBy(asc(queues.tier), asc(queues.id)).all();
  data.canOverrideCapacity = isManagerRole(principal.actor.role);
  data.assignees = db
    .select({
      id: staff.id,
      name: staff.name,
      capacity: staff.capacity,
      load: sql<number>`(SELECT count(*) FROM cases c WHERE c.assignee_id = ${staff.id} AND c.open = 1)`,
    })
    .from(staffQueues)
    .innerJoin(staff, eq(staff.id, staffQueues.staffId))
    .where(and(eq(staffQueues.queueId, row.queueId), eq(staff.active, true)))
    .orderBy(asc(staff.name))
    .all();
  data.escalations = entries.filter((e) => e.type === 'case.escalated');
  return data;
}

/**
 * The chat panel's reads for this synchronous page model: src/chat/panel.ts and
 * sessionOfCase (src/chat/sessions.ts) have them on the storage port; these two go once the
 * case page reads through the store (the "reads" lane).
 */
function chatSessionOf(services: Services, caseId: number): ChatSession | null {
  const row = statement<[number], { id: number }>(services.db, "SELECT id FROM chat_sessions WHERE case_id = ? ORDER BY state = 'open' DESC, id DESC LIMIT 1").get(caseId);
  return row ? (services.db.select().from(chatSessions).where(eq(chatSessions.id, row.id)).get() ?? null) : null;
}

function chatPanelOf(services: Services, caseId: number): ChatPanelData | null {
  const session = chatSessionOf(services, caseId);
  if (!session) return null;
  const site = statement<[string], { name: string }>(services.db, 'SELECT name FROM chat_sites WHERE id = ?').get(session.siteId)?.name ?? session.siteId;
  const lines = statement<[number], ChatLine>(services.db, 'SELECT seq, author, author_name AS name, body, at FROM chat_messages WHERE session_id = ? ORDER BY seq LIMIT 1000').all(session.id);
  return { state: session.state, visitor: session.name, email: session.email, verified: session.verified, site, endedBy: session.endedBy, lines };
}
