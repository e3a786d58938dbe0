/** Builds the facts rules see from a case, its customer and the event being handled. */
import { caseRef } from '../cases/case-ref.js';
import type { Services } from '../services.js';
import { DateTime } from 'luxon';
import { isWithinBusinessHours } from '../sla/calendar.js';
import type { CaseFact, CustomerFact, DiagnosisFact, EventFact, Facts, LocalTimeFact, SlaFact } from './facts.js';

export interface CaseLike {
  id: number;
  subject: string;
  description: string;
  channel: string;
  priority: string;
  tags: string[];
  skills: string[];
  status: string;
  tier: number;
  queueId: string;
  assigneeId: number | null;
  reopenCount: number;
  escalationCount: number;
  createdAt: number;
  slaPolicy: string | null;
  slaConfigVersion: number | null;
  diagnosisMatched: boolean;
  suggestions: { problemId: number }[];
}

export function caseFact(c: CaseLike): CaseFact {
  return {
    id: c.id > 0 ? caseRef(c.id) : '',
    subject: c.subject,
    description: c.description,
    channel: c.channel,
    priority: c.priority,
    tags: [...c.tags],
    skills: [...c.skills],
    status: c.status,
    tier: c.tier,
    queue: c.queueId,
    assigned: c.assigneeId !== null,
    reopenCount: c.reopenCount,
    escalationCount: c.escalationCount,
    createdAt: c.createdAt,
  };
}

/** The calendar of the case's SLA policy (or the default policy's). */
function caseCalendar(services: Services, policy: string | null, slaVersion: number | null) {
  const { config } = services.definitions.sla(slaVersion ?? undefined);
  return config.policy(policy ?? config.defaultPolicy)?.calendar ?? config.policy(config.defaultPolicy)!.calendar;
}

/** Whether `at` is inside the business hours of the case's SLA policy (or the default policy). */
export function withinBusinessHours(services: Services, policy: string | null, slaVersion: number | null, at: number): boolean {
  return isWithinBusinessHours(caseCalendar(services, policy, slaVersion), at);
}

/** The IANA zone of the case's SLA calendar (or the default policy's): the zone of `localTime`. */
export function calendarZone(services: Services, policy: string | null, slaVersion: number | null): string {
  return caseCalendar(services, policy, slaVersion).timezone;
}

const MINUTE = 60_000;
/** The last wall clock computed per zone: intakes within the same minute share it (luxon costs ~9 µs). */
const lastLocalTime = new Map<string, { minute: number; fact: LocalTimeFact }>();

/** `at` as a wall clock in `zone` (luxon, IANA rules: DST included). Frozen: shared within its minute. */
export function localTimeFact(at: number, zone: string): LocalTimeFact {
  const minute = Math.floor(at / MINUTE);
  const last = lastLocalTime.get(zone);
  if (last?.minute === minute) return last.fact;
  const t = DateTime.fromMillis(at, { zone });
  const fact = Object.freeze({ hour: t.hour, minute: t.minute, weekday: t.weekday, date: t.toISODate()!, zone });
  if (lastLocalTime.size > 100) lastLocalTime.clear();
  lastLocalTime.set(zone, { minute, fact });
  return fact;
}

export interface FactInputs {
  case: CaseLike;
  customer: CustomerFact;
  diagnosis?: DiagnosisFact;
  event: EventFact;
  sla?: SlaFact;
  now: number;
  withinBusinessHours: boolean;
  localTime?: LocalTimeFact;
  /**
   * The tiers of the queues rulesets decided before the last one ran (null: not an active
   * queue): a queue a ruleset decides moves the case fact the next ones see to that queue's
   * tier, as routing moves the case (run-triggers.ts, `tiersMissing`).
   */
  queueTiers?: ReadonlyMap<string, number | null>;
  /** The same read at once (SQLite's connection), for a queue `queueTiers` lacks: nothing to read between evaluations. */
  queueTierNow?: (queueId: string) => number | null;
}

export function buildFacts(input: FactInputs): Facts {
  const c = input.case;
  return {
    case: caseFact(c),
    customer: input.customer,
    diagnosis: input.diagnosis ?? { matched: c.diagnosisMatched, problemId: c.suggestions[0]?.problemId ?? null },
    event: input.event,
    ...(input.sla ? { sla: input.sla } : {}),
    now: input.now,
    withinBusinessHours: input.withinBusinessHours,
    ...(input.localTime ? { localTime: input.localTime } : {}),
  };
}
