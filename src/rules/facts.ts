import type { CrmFact } from '../crm/records.js';

/**
 * The facts rules can read, and how they are built from a case. Names and fields are a
 * contract (PRODUCT.md): extend, don't rename. Times are epoch milliseconds.
 */
export interface CaseFact {
  id: string;
  subject: string;
  description: string;
  channel: string;
  priority: string;
  tags: string[];
  skills: string[];
  status: string;
  tier: number;
  queue: string;
  assigned: boolean;
  reopenCount: number;
  escalationCount: number;
  createdAt: number;
}

export interface CustomerFact {
  email: string;
  name: string;
  tier: string;
  organization: string | null;
  openCases: number;
  /** What CRM_LOOKUP_URL last said about the customer (`{ plan, mrr, accountOwner, churned }`), null when nothing. */
  crm?: CrmFact | null;
}

export interface DiagnosisFact {
  matched: boolean;
  problemId: number | null;
}

export interface SlaFact {
  metric: string;
  state: string;
  policy: string;
  dueAt: number | null;
  overdueMinutes: number;
}

/** The time in a calendar's zone (build-facts.ts `localTimeFact`): ISO weekday 1 (Monday) – 7 (Sunday), date `YYYY-MM-DD`. */
export interface LocalTimeFact {
  hour: number;
  minute: number;
  weekday: number;
  date: string;
  zone: string;
}

export interface EventFact {
  type: string;
  [key: string]: unknown;
}

export interface Facts {
  case: CaseFact;
  customer: CustomerFact;
  diagnosis: DiagnosisFact;
  event: EventFact;
  sla?: SlaFact;
  now: number;
  withinBusinessHours: boolean;
  /** `now` in the zone of the case's SLA calendar (intake: the default policy's). */
  localTime?: LocalTimeFact;
}

/** Fact name → the fields a `path` may start with (null: a scalar, no path). */
export const FACT_FIELDS: Readonly<Record<keyof Facts, readonly string[] | null>> = {
  case: ['id', 'subject', 'description', 'channel', 'priority', 'tags', 'skills', 'status', 'tier', 'queue', 'assigned', 'reopenCount', 'escalationCount', 'createdAt'],
  customer: ['email', 'name', 'tier', 'organization', 'openCases', 'crm'],
  diagnosis: ['matched', 'problemId'],
  event: null,
  sla: ['metric', 'state', 'policy', 'dueAt', 'overdueMinutes'],
  now: null,
  withinBusinessHours: null,
  localTime: ['hour', 'minute', 'weekday', 'date', 'zone'],
};

/** The fields of `customer.crm` (what CRM_LOOKUP_URL answers; docs/integrations.md). */
export const CRM_FIELDS: readonly string[] = ['plan', 'mrr', 'accountOwner', 'churned'];

export const FACT_NAMES: ReadonlySet<string> = new Set(Object.keys(FACT_FIELDS));

/** Facts whose fields are open-ended (any path allowed). */
export const OPEN_FACTS: ReadonlySet<string> = new Set(['event']);
