/**
 * The dry-run's later events (dry-run.ts): a past case's timeline read again up to each event
 * its workflow runs the ruleset on — an SLA warning or breach, a reopen, a customer reply… —
 * to give the facts its rules saw then.
 *
 * - The event fact is the timeline entry's data with its type; on an SLA event the `sla` fact
 *   is rebuilt from it (metric, policy, due time, minutes overdue; `breached` or `running`).
 * - The case fact is the case as its timeline leaves it at the moment the rules ran: intake's
 *   routing (`case.routed`), then every change recorded since — escalations and transfers
 *   (queue, tier), priority, tags, skills and SLA policy changes (by people or by rules), state
 *   changes, assignment, reopens — up to the entries the evaluation itself wrote
 *   (`rules.evaluated` / `rules.failed` naming the event), so the rules' own doing on that event
 *   is not yet in it. A queue's tier is today's.
 * - `now` is the event's time; the customer, diagnosis and business-hours calendar are taken
 *   by the caller (dry-run.ts).
 *
 * Entries recorded by an import (`imported: true`: the history of another help desk) never ran
 * any rules, and a case whose timeline no longer shows its routing cannot be rebuilt: both are
 * counted as not replayed, with the reason.
 */
import { caseRef } from '../cases/case-ref.js';
import type { CaseRowLite, EventRowLite } from './dry-run-cases/index.js';
import type { CaseFact, EventFact, SlaFact } from './facts.js';
import { STATE_ENTERED, type WorkflowDefinition } from '../workflow/definition.js';

/** Timeline entries that change what the case fact says, folded in order. */
export const CASE_ENTRY_TYPES = [
  'case.created',
  'case.routed',
  'case.escalated',
  'case.transferred',
  'case.updated',
  'case.priority_changed',
  'case.tags_changed',
  'case.subject_changed',
  'case.assigned',
  'case.unassigned',
  'case.transitioned',
  'case.reopened',
] as const;

/** The entries an evaluation writes first, one per ruleset: where the rules' own doing on an event starts. */
export const EVALUATION_ENTRY_TYPES = ['rules.evaluated', 'rules.failed'] as const;

/** Why an event was not replayed, as the dry-run reports it. */
export const NOT_REPLAYED = {
  imported: 'recorded by an import from another help desk: no rules ran on it',
  unrouted: 'the case’s timeline no longer shows how it was routed, so the case cannot be rebuilt',
} as const;
export type NotReplayedReason = keyof typeof NOT_REPLAYED;

export interface LaterEvent {
  /** The timeline entry's id (the order of a case's events). */
  id: number;
  type: string;
  at: number;
  event: EventFact;
  sla?: SlaFact;
  /** The case as it was when the rules ran on the event. */
  case: CaseFact;
  /** Its SLA policy then (for its calendar, and an outcome no rule changes). */
  slaPolicy: string | null;
  /** The SLA configuration version it was measured by then (the calendar's content), null when not known. */
  slaVersion: number | null;
}

/** Whether a `runRuleset` action of the workflow (a state's `onEnter`, a transition's `actions`) runs `ruleset`. */
export function runsOnEntering(workflow: WorkflowDefinition, ruleset: string): boolean {
  const names = (actions: readonly { action: string; ruleset?: unknown }[] | undefined) => (actions ?? []).some((a) => a.action === 'runRuleset' && a.ruleset === ruleset);
  return Object.values(workflow.states).some((s) => names(s.onEnter)) || Object.values(workflow.transitions).some((t) => names(t.actions));
}

export interface LaterEventsOptions {
  /**
   * Event types the case's workflow runs the ruleset on (never `case.created`: intake is replayed
   * on its own); `state.entered`: a `runRuleset` action runs it, replayed at each of its evaluations.
   */
  triggered: ReadonlySet<string>;
  /** The ruleset replayed (its `state.entered` evaluations are the ones a runRuleset action ran). */
  ruleset: string;
  /** The state a new case of its workflow starts in. */
  initialState: string;
  /** Active queues and their tiers. */
  tiers: ReadonlyMap<string, number>;
}

interface Entry {
  id: number;
  type: string;
  at: number;
  system: boolean;
  data: Record<string, unknown>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const strings = (value: unknown): string[] | null => (Array.isArray(value) && value.every((v) => typeof v === 'string') ? [...(value as string[])] : null);

function parse(row: EventRowLite): Entry {
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch {
    data = {};
  }
  const fields = isRecord(data) ? data : {};
  // A customer's thank-you on a resolved case is their message on the timeline, but what the
  // workflow heard (and ran its rulesets on) was `customer.thanked` (src/cases/add-message.ts).
  const type = row.type === 'customer.replied' && fields.thanks === true ? 'customer.thanked' : row.type;
  return { id: row.id, type, at: row.at, system: row.actor_type === 'system', data: fields };
}

/** The case fact as intake first built it, from the case's row (before any rule ran); `queue` is intake's routing hint. */
export function initialCaseFact(
  row: Pick<CaseRowLite, 'id' | 'subject' | 'description' | 'channel' | 'requested_priority' | 'created_at'>,
  initialState: string,
  queue = 'general',
  tier = 1,
): CaseFact {
  return {
    id: caseRef(row.id),
    subject: row.subject,
    description: row.description,
    channel: row.channel,
    priority: row.requested_priority,
    tags: [],
    skills: [],
    status: initialState,
    tier,
    queue,
    assigned: false,
    reopenCount: 0,
    escalationCount: 0,
    createdAt: row.created_at,
  };
}

/** The case fact and SLA policy, changed entry by entry. */
class CaseState {
  readonly fact: CaseFact;
  slaPolicy: string | null = null;
  /** Set by laterEvents: the version the case started on; a re-apply (`case.updated`) moves it. */
  slaVersion: number | null = null;
  /** The last transition's `from` and name: null for the initial state of a new case (runRuleset's `state.entered`). */
  entered: { from: string | null; transition: string | null } = { from: null, transition: null };

  constructor(row: CaseRowLite, initialState: string, private readonly tiers: ReadonlyMap<string, number>) {
    this.fact = initialCaseFact(row, initialState);
  }

  #queue(queue: unknown, tier: unknown): void {
    if (typeof queue !== 'string') return;
    this.fact.queue = queue;
    this.fact.tier = typeof tier === 'number' ? tier : (this.tiers.get(queue) ?? 1);
  }

  apply(e: Entry): void {
    const c = this.fact;
    const d = e.data;
    switch (e.type) {
      case 'case.created':
        if (typeof d.subject === 'string') c.subject = d.subject;
        if (typeof d.requestedPriority === 'string') c.priority = d.requestedPriority;
        break;
      case 'case.routed':
        this.#queue(d.queue, undefined);
        if (typeof d.priority === 'string') c.priority = d.priority;
        c.tags = strings(d.tags) ?? c.tags;
        c.skills = strings(d.skills) ?? c.skills;
        if (typeof d.slaPolicy === 'string') this.slaPolicy = d.slaPolicy;
        break;
      case 'case.escalated':
        this.#queue(d.queue, d.tier);
        c.escalationCount += 1;
        break;
      case 'case.transferred':
        this.#queue(d.queue, d.tier);
        break;
      case 'case.updated': {
        const changes = isRecord(d.changes) ? d.changes : {};
        const to = (key: string): unknown => (Array.isArray(changes[key]) ? (changes[key] as unknown[])[1] : undefined);
        if (typeof to('priority') === 'string') c.priority = to('priority') as string;
        c.tags = strings(to('tags')) ?? c.tags;
        c.skills = strings(to('skills')) ?? c.skills;
        if (typeof to('slaPolicy') === 'string') this.slaPolicy = to('slaPolicy') as string;
        if (typeof to('slaConfigVersion') === 'number') this.slaVersion = to('slaConfigVersion') as number;
        break;
      }
      case 'case.priority_changed':
        if (typeof d.to === 'string') c.priority = d.to;
        break;
      case 'case.tags_changed':
        c.tags = strings(d.to) ?? c.tags;
        break;
      case 'case.subject_changed':
        if (typeof d.to === 'string') c.subject = d.to;
        break;
      case 'case.assigned':
        c.assigned = true;
        break;
      case 'case.unassigned':
        c.assigned = false;
        break;
      case 'case.transitioned':
        if (typeof d.to === 'string') c.status = d.to;
        this.entered = { from: typeof d.from === 'string' ? d.from : null, transition: typeof d.transition === 'string' ? d.transition : null };
        break;
      case 'case.reopened':
        c.reopenCount += 1;
        break;
    }
  }

  snapshot(): { case: CaseFact; slaPolicy: string | null; slaVersion: number | null } {
    return { case: { ...this.fact, tags: [...this.fact.tags], skills: [...this.fact.skills] }, slaPolicy: this.slaPolicy, slaVersion: this.slaVersion };
  }
}

/** The event fact as the rules saw it, and the `sla` fact of an SLA event (the sweep hands both over: src/sla/sweep.ts). */
function eventFacts(e: Entry): { event: EventFact; sla?: SlaFact } {
  const data = { ...e.data };
  // A system actor acting for someone (an admin token) gets `via` added to what the timeline keeps, not to the event.
  if (e.system && typeof data.via === 'string') delete data.via;
  if (e.type !== 'sla.warning' && e.type !== 'sla.breached') return { event: { ...data, type: e.type } };
  const breached = e.type === 'sla.breached';
  const sla: SlaFact = {
    metric: String(data.metric ?? ''),
    state: breached ? 'breached' : 'running',
    policy: String(data.policy ?? ''),
    dueAt: typeof data.dueAt === 'number' ? data.dueAt : null,
    overdueMinutes: breached && typeof data.overdueMinutes === 'number' ? data.overdueMinutes : 0,
  };
  return { event: { ...data, sla, type: e.type }, sla };
}

/** Whether `e` is the evaluation (`rules.evaluated` / `rules.failed`) of `ruleset` on the event `type`. */
function isEvaluationOf(e: Entry, type: string, ruleset: string): boolean {
  return (EVALUATION_ENTRY_TYPES as readonly string[]).includes(e.type) && e.data.event === type && e.data.ruleset === ruleset;
}

/**
 * Where the rules' evaluation of each event starts: the first entry of an evaluation of that
 * event type after it, not already taken by an earlier event of that type; with none (the
 * rules have not run yet, or wrote nothing), the end of the command that recorded it (its
 * entries share its time).
 */
function cutsOf(entries: readonly Entry[], events: readonly number[]): Map<number, number> {
  const taken = new Set<number>();
  const cuts = new Map<number, number>();
  for (const j of events) {
    const type = entries[j]!.type;
    let cut = -1;
    for (let k = j + 1; k < entries.length; k++) {
      const e = entries[k]!;
      if (!taken.has(k) && (EVALUATION_ENTRY_TYPES as readonly string[]).includes(e.type) && e.data.event === type && typeof e.data.ruleset === 'string') {
        cut = k;
        break;
      }
    }
    if (cut === -1) {
      cut = j + 1;
      while (cut < entries.length && entries[cut]!.at === entries[j]!.at) cut++;
    } else {
      // One entry per ruleset of the chain, written together.
      for (let k = cut; k < entries.length && entries[k]!.type === entries[cut]!.type && entries[k]!.data.event === type && entries[k]!.at === entries[cut]!.at; k++) taken.add(k);
    }
    cuts.set(j, cut);
  }
  return cuts;
}

/**
 * The events of one case (its timeline `rows`, in order: CASE_ENTRY_TYPES, EVALUATION_ENTRY_TYPES
 * and the triggered types) the ruleset runs on, each with the facts it was handled with; and
 * those that cannot be replayed, by reason.
 */
export function laterEvents(row: CaseRowLite, rows: readonly EventRowLite[], options: LaterEventsOptions): { events: LaterEvent[]; notReplayed: Partial<Record<NotReplayedReason, number>> } {
  const entries = rows.map(parse);
  const notReplayed: Partial<Record<NotReplayedReason, number>> = {};
  const skip = (reason: NotReplayedReason) => (notReplayed[reason] = (notReplayed[reason] ?? 0) + 1);
  const candidates: number[] = [];
  // A runRuleset action's evaluations of the ruleset: no entry of their own but the evaluation's.
  const entering = new Set<number>();
  entries.forEach((e, j) => {
    if (options.triggered.has(STATE_ENTERED) && isEvaluationOf(e, STATE_ENTERED, options.ruleset)) {
      entering.add(j);
      candidates.push(j);
      return;
    }
    if (e.type === 'case.created' || !options.triggered.has(e.type)) return;
    if (e.data.imported === true) skip('imported');
    else candidates.push(j);
  });
  if (candidates.length === 0) return { events: [], notReplayed };
  if (!entries.some((e) => e.type === 'case.routed')) {
    for (const _ of candidates) skip('unrouted');
    return { events: [], notReplayed };
  }

  const cuts = cutsOf(entries, candidates.filter((j) => !entering.has(j)));
  for (const j of entering) cuts.set(j, j);
  const at = new Map<number, number[]>();
  for (const [j, cut] of cuts) at.set(cut, [...(at.get(cut) ?? []), j]);
  const state = new CaseState(row, options.initialState, options.tiers);
  // The version the case started on: the one its first re-apply moved it from, else the one it has.
  const reapplied = entries.find((e) => e.type === 'case.updated' && isRecord(e.data.changes) && Array.isArray(e.data.changes.slaConfigVersion));
  const from = reapplied ? ((reapplied.data.changes as Record<string, unknown[]>).slaConfigVersion![0]) : row.sla_config_version;
  state.slaVersion = typeof from === 'number' ? from : null;
  const events: LaterEvent[] = [];
  const take = (cut: number) => {
    for (const j of at.get(cut) ?? []) {
      const e = entries[j]!;
      if (entering.has(j)) {
        // The event as recorded with the evaluation; before it was recorded, the state the case was in then and its last transition.
        const recorded = isRecord(e.data.entered) ? e.data.entered : null;
        const event: EventFact = recorded ? { ...recorded, type: STATE_ENTERED } : { type: STATE_ENTERED, state: state.fact.status, ...state.entered };
        events.push({ id: e.id, type: STATE_ENTERED, at: e.at, event, ...state.snapshot() });
      } else {
        events.push({ id: e.id, type: e.type, at: e.at, ...eventFacts(e), ...state.snapshot() });
      }
    }
  };
  entries.forEach((e, i) => {
    take(i);
    state.apply(e);
  });
  take(entries.length);
  return { events: events.sort((a, b) => a.id - b.id), notReplayed };
}
