/** Builds the facts rules see from a case, its customer and the event being handled. */
import { caseRef } from '../cases/case-ref.js';
import type { Services } from '../services.js';
import { isWithinBusinessHours } from '../sla/calendar.js';
import type { CaseFact, CustomerFact, DiagnosisFact, EventFact, Facts, SlaFact } from './facts.js';

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

/** Whether `at` is inside the business hours of the case's SLA policy (or the default policy). */
export function withinBusinessHours(services: Services, policy: string | null, slaVersion: number | null, at: number): boolean {
  const { config } = services.definitions.sla(slaVersion ?? undefined);
  const calendar = config.policy(policy ?? config.defaultPolicy)?.calendar ?? config.policy(config.defaultPolicy)!.calendar;
  return isWithinBusinessHours(calendar, at);
}

export interface FactInputs {
  case: CaseLike;
  customer: CustomerFact;
  diagnosis?: DiagnosisFact;
  event: EventFact;
  sla?: SlaFact;
  now: number;
  withinBusinessHours: boolean;
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
  };
}
