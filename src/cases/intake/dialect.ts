/**
 * Intake's SQL that differs by dialect (sqlite.ts, pg.ts), chosen here by the handle's dialect:
 * the next case id, and the reads that make the `customer` fact, which on SQLite run as cached
 * statements in one synchronous call awaited once (the intake's hot path), on PostgreSQL as
 * the port's queries one after the other.
 */
import type { Handle } from '../../db/store/index.js';
import type { CrmFact } from '../../crm/records.js';
import type { CustomerRow } from '../customers.js';
import * as pg from './pg.js';
import * as sqlite from './sqlite.js';

/** The intake's customer as its transaction sees it. */
export interface IntakeCustomer {
  /** The stored customer (by id, or by address), undefined when there is none. */
  existing: CustomerRow | undefined;
  /** The stored customer's open cases; 0 without one. */
  openCases: number;
  /** The CRM's answer given (`crm`), or the record stored for the address. */
  crm: CrmFact | null;
}

/** Whom intake looks up: the customer filing (`id`) or the address staff or a channel gave. */
export type IntakeCustomerKey = { id: number } | { email: string };

export interface IntakeQueries {
  nextCaseId(q: Handle): Promise<number>;
  /** `crm` undefined: the record stored for the customer's address is read. */
  intakeCustomer(q: Handle, key: IntakeCustomerKey, crm: CrmFact | null | undefined): Promise<IntakeCustomer>;
  /**
   * An active queue's tier read at once (null: no such active queue), for the rulesets that
   * run after one that routes (FactInputs `queueTierNow`); undefined where reads are awaited.
   */
  queueTierNow(q: Handle): ((queueId: string) => number | null) | undefined;
}

export function intakeQueries(q: Handle): IntakeQueries {
  return q.dialect === 'sqlite' ? sqlite : pg;
}
