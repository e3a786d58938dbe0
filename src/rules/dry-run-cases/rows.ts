import type { Priority } from '../../db/schema/cases.js';

/** A case as the dry-run replays it (column names as stored; `routing` is the record's JSON text). */
export interface CaseRowLite {
  id: number;
  subject: string;
  description: string;
  channel: string;
  requested_priority: Priority;
  created_at: number;
  routing: string | null;
  workflow: string;
  workflow_version: number;
  /** Set for a case imported from another help desk: only the first `case.created` ruleset routed it. */
  imported_at: number | null;
  /** The SLA configuration version the case is measured by now (a re-apply moves it: the timeline's `case.updated` says from which). */
  sla_config_version: number | null;
}

export const COLUMNS = 'id, subject, description, channel, requested_priority, created_at, routing, workflow, workflow_version, imported_at, sla_config_version';

/** A timeline entry as the dry-run replays a case's later events (`data` as JSON text). */
export interface EventRowLite {
  case_id: number;
  id: number;
  type: string;
  at: number;
  actor_type: string;
  data: string;
}
