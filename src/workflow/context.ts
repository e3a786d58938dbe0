/**
 * A unit of work on one case inside one database transaction. Commands load a case into
 * a context, change it through workflow transitions, actions and events, then `save()`.
 *
 * Events raised while a transition is being applied are queued and processed after it
 * completes (run-to-completion, as in statecharts), so a state's entry actions always
 * finish before the next transition starts.
 *
 * A new case (`CaseContext.create`, intake) is not in the database until `save()`: its
 * timeline entries, outbox items and the rows other modules defer with `whenStored` are kept
 * until then (unstored-case.ts), and `save()` inserts the case once, in its final state, and
 * them after it in multi-row inserts (fewer statements and WAL pages than insert-then-update).
 */
import { NO_DUE_AT, type cases } from '../db/schema/index.js';
import { sqliteOf, type Handle } from '../db/store/index.js';
import { all, byId, get, insertRows, json, lockedById, run, updateOf } from '../db/store/rows.js';
import { DomainError } from '../errors.js';
import { SYSTEM_ACTOR, type Actor, type Role } from '../roles.js';
import type { Services } from '../services.js';
import { caseRef } from '../cases/case-ref.js';
import { MAX_TIMER_MS, type TransitionField, type WorkflowDefinition } from './definition.js';
import { changesCustomerView } from './customer-visible.js';
import { durationMs, isOpenCategory, transition, type Effect, type TransitionOutcome } from './transition.js';
import { pendingItemDueOn } from '../outbox/dialect.js';
import { EVENT_COLUMNS, markLeftNothingDue, mayHaveFollowUps, OUTBOX_COLUMNS, UnstoredCase } from './unstored-case.js';

export { mayHaveFollowUps, mayHaveLeftWorkDue } from './unstored-case.js';

export type CaseRow = typeof cases.$inferSelect;

/**
 * When a state timer of a case that entered the state at `enteredAt` falls due: `afterMs` later
 * in calendar time, or with `businessHours` that much business time later on the calendar of
 * the case's SLA policy (in its pinned SLA config version; the default policy's calendar when
 * it has none). Computed once, when the timer is scheduled: on entering the state, by a
 * workflow re-apply and by an import (docs/workflows.md, "State timers"). A calendar with less
 * business time than that in the next three years: never (NO_DUE_AT), not a failed transition;
 * so is a stored timer longer than MAX_TIMER_MS (saved before that bound: a due time the
 * database cannot hold would fail every transition into the state).
 */
export function timerDue(
  services: Services,
  c: Pick<CaseRow, 'slaConfigVersion' | 'slaPolicy'>,
  timer: { afterMs: number; businessHours: boolean },
  enteredAt: number,
): number {
  if (!(timer.afterMs <= MAX_TIMER_MS)) return NO_DUE_AT;
  if (!timer.businessHours) return enteredAt + timer.afterMs;
  const { config } = services.definitions.sla(c.slaConfigVersion ?? undefined);
  // More business time than the calendar has in three years: never (the case still enters the state).
  return config.addBusinessTime(c.slaPolicy, enteredAt, timer.afterMs) ?? NO_DUE_AT;
}
export type TransitionFields = Partial<Record<TransitionField, string>>;

/** Every column, and the version bumped, only if the version is still the one loaded (per dialect's table: updateOf). */
const UPDATE_CASE = { except: ['id', 'version', 'changeSeq'] as ('id' | 'version' | 'changeSeq')[], also: 'version = ?', where: 'id = ? AND version = ?' };

const INSERT_OUTBOX = 'INSERT INTO outbox (type, case_id, payload, created_at, available_at) VALUES (?, ?, ?, ?, ?)';

/**
 * Settled answers for what a new case keeps with its unit of work (no statement): methods that
 * may write return a promise, but on that path none is made per call (an intake records and
 * enqueues a dozen times; docs/performance.md, "Winning back the intake's price").
 */
const DONE: Promise<void> = Promise.resolve();
const NO_ID: Promise<null> = Promise.resolve(null);

/**
 * Bound on the transitions events fire in one unit of work, behind the check for a repeat
 * (#drainPending): past it the chain is stopped as a cycle is.
 */
const MAX_STEPS = 64;

function found(row: CaseRow | undefined, caseId: number): CaseRow {
  if (!row) throw new DomainError('CASE_NOT_FOUND', `No case ${caseRef(caseId)}.`, { caseId: caseRef(caseId) });
  return row;
}

export class CaseContext {
  /** The transaction the unit of work runs in (services.store.write). */
  readonly q: Handle;
  readonly services: Services;
  readonly actor: Actor;
  readonly now: number;
  readonly workflow: WorkflowDefinition;
  /** The case as it will be saved; mutate it, then call save(). */
  case: CaseRow;
  /** Fields given with the command (solution, note, reason), visible to actions. */
  fields: TransitionFields = {};
  /** Events whose rulesets were already evaluated by the caller (e.g. on creation). */
  readonly skipTriggers = new Set<string>();
  readonly #freed = new Set<number>();
  readonly #pending: string[] = [];
  #processing = false;
  #steps = 0;
  #automatic: { on: string } | null = null;
  #unstored: UnstoredCase | null = null;
  #entered: { from: string; to: string; transition: string } | null = null;

  /** `now` defaults to the clock; imports of history pass the case's own time. */
  constructor(q: Handle, services: Services, row: CaseRow, actor: Actor, now: number = services.clock.now()) {
    this.q = q;
    this.services = services;
    this.actor = actor;
    this.now = now;
    this.case = row;
    this.workflow = services.definitions.workflow(row.workflow, row.workflowVersion).definition;
  }

  /**
   * Loads a case for change; call inside a write transaction. The row is locked until the
   * transaction ends (lockedById): commands on one case run one after the other, each on what
   * the one before committed. A caller's stale `expectedVersion` is still refused (assertVersion).
   */
  static async load(q: Handle, services: Services, caseId: number, actor: Actor): Promise<CaseContext> {
    return new CaseContext(q, services, found(await lockedById(q, q.tables.cases, caseId), caseId), actor);
  }

  /** The case as stored, for reading only (a preview, in any transaction): nothing locked. */
  static async row(q: Handle, caseId: number): Promise<CaseRow> {
    return found(await byId(q, q.tables.cases, caseId), caseId);
  }

  /**
   * A new case, not yet in the database: `row` is complete (its id reserved); `save()`
   * inserts it in its final state, then everything written for it meanwhile.
   */
  static create(q: Handle, services: Services, row: CaseRow, actor: Actor, now: number): CaseContext {
    const ctx = new CaseContext(q, services, row, actor, now);
    ctx.#unstored = new UnstoredCase();
    return ctx;
  }

  get ref(): string {
    return caseRef(this.case.id);
  }

  /** The last state entered by a transition in this unit of work (null: none yet, e.g. a new case's initial state). */
  get entered(): { from: string; to: string; transition: string } | null {
    return this.#entered;
  }

  /** False for a new case until `save()` (or `store()`) has inserted it. */
  get stored(): boolean {
    return this.#unstored === null;
  }

  /** Runs `write` once the case row is in the database: at once, or (new case) when `save()` inserts it. */
  whenStored(write: () => void | Promise<void>): Promise<void> {
    if (!this.#unstored) return (async () => write())();
    this.#unstored.whenStored(write);
    return DONE;
  }

  /**
   * Appends an entry to the case timeline (no workflow reaction); returns the entry's id, or
   * null for a new case not stored yet (its entries get their ids when `save()` or `store()`
   * inserts them; `storedEntryId` finds one then). An entry the customer sees moves the case's
   * `customerUpdatedAt` to its time (customer-visible.ts); `save()` writes it with the case.
   */
  record(type: string, data: Record<string, unknown> = {}, actor: Actor = this.actor): Promise<number | null> {
    const stored = actor.type === 'system' && actor.role !== 'system' ? { ...data, via: actor.name } : data;
    // At the case's creation time the value would be created_at, which null already reads as: an
    // intake leaves it null, and its case row keeps its shape (setting it there showed as ~3 KiB
    // an intake kept by V8's old generation: test/ops/old-generation.test.ts).
    if (this.now !== this.case.createdAt && changesCustomerView(this.workflow, type, data, actor.type)) this.case.customerUpdatedAt = Math.max(this.case.customerUpdatedAt ?? this.now, this.now);
    const values = [this.case.id, type, this.now, actor.type, actor.id, JSON.stringify(stored)];
    if (this.#unstored) {
      this.#unstored.record(values, type, stored);
      return NO_ID;
    }
    return this.#insertEntry(values);
  }

  async #insertEntry(values: unknown[]): Promise<number> {
    const [id] = await insertRows(this.q, 'case_events', EVENT_COLUMNS, [values]);
    return id!;
  }

  /** The id of the case's first stored timeline entry of this type (e.g. `case.created`), or null. */
  storedEntryId(type: string): Promise<number | null> {
    return this.#unstored ? NO_ID : this.#storedEntryId(type);
  }

  async #storedEntryId(type: string): Promise<number | null> {
    const row = await get<{ id: number | null }>(this.q, 'SELECT min(id) AS id FROM case_events WHERE case_id = ? AND type = ?', [this.case.id, type]);
    return row?.id ?? null;
  }

  /** The case's timeline entries of these types written so far in this unit of work or before, oldest first. */
  timelineOf(types: readonly string[]): Promise<{ type: string; data: Record<string, unknown> }[]> {
    return this.#unstored ? Promise.resolve(this.#unstored.entries(types)) : this.#storedTimelineOf(types);
  }

  async #storedTimelineOf(types: readonly string[]): Promise<{ type: string; data: Record<string, unknown> }[]> {
    const rows = await all<{ type: string; data: unknown }>(
      this.q,
      `SELECT type, data FROM case_events WHERE case_id = ? AND type IN (${types.map((t) => `'${t.replaceAll("'", "''")}'`).join(', ')}) ORDER BY id`,
      [this.case.id],
    );
    return rows.map((r) => ({ type: r.type, data: json<Record<string, unknown>>(r.data) }));
  }

  /**
   * Records an event on the timeline, lets subscribers react, queues it for the workflow
   * (`on` transitions) and, when the workflow names rulesets for it, writes an outbox item
   * so the rules run after commit.
   */
  async raise(type: string, data: Record<string, unknown> = {}): Promise<number | null> {
    const id = await this.record(type, data);
    await this.raiseTold(type, data);
    return id;
  }

  /**
   * `raise` for an event another entry already tells on the timeline (a de-escalation is its
   * `case.transferred`): the rulesets the workflow names for it run, and its `on` transitions
   * fire, without a second entry.
   */
  async raiseTold(type: string, data: Record<string, unknown> = {}): Promise<void> {
    if (this.workflow.triggers?.[type]?.length && !this.skipTriggers.has(type)) {
      await this.enqueue('case.event', { type, data, actor: this.actor });
    }
    await this.dispatch(type, data);
  }

  /**
   * Lets subscribers and the workflow's `on` transitions react to an event that is already
   * on the timeline (recorded by a batch job such as the SLA sweep): no record, no rules.
   */
  async dispatch(type: string, data: Record<string, unknown> = {}): Promise<void> {
    await this.services.subscribers.emit(this, { type, data });
    this.#pending.push(type);
    await this.#drain();
  }

  /** Invokes a named transition for `role`; throws INVALID_TRANSITION / TRANSITION_REQUIREMENT_MISSING. */
  /**
   * Runs a transition the caller asked for. `fields` are the caller's and are checked against
   * what the transition requires or allows; `supplied` are Casebook's own (e.g. the library's
   * solution a customer accepted), recorded with them but never taken from a request.
   */
  async invoke(name: string, role: Role, fields: TransitionFields = {}, supplied: TransitionFields = {}): Promise<TransitionOutcome> {
    const outcome = transition(this.workflow, this.case, { kind: 'command', transition: name, role, fields });
    if (!outcome.ok) throw new DomainError(outcome.code, outcome.message, { transition: name, missing: outcome.missing ?? [], ...(outcome.refused ? { refused: outcome.refused } : {}) });
    if (outcome.transition === null) throw new Error('a command always names a transition');
    this.fields = { ...fields, ...supplied };
    await this.#run(() => this.#apply(outcome));
    return outcome;
  }

  /** Fires a transition on behalf of a state timer; false when it no longer applies. */
  async fireTimer(name: string): Promise<boolean> {
    const outcome = transition(this.workflow, this.case, { kind: 'timer', transition: name });
    if (!outcome.ok || outcome.transition === null) return false;
    await this.#run(() => this.#apply(outcome, { on: 'timer' }));
    return true;
  }

  /**
   * Ends the case in `state` (a closed one) although no transition of the workflow leads there
   * (a merge: src/cases/merge-case.ts). Recorded as a transition named `name`, and everything
   * that follows a case entering a closed state follows (SLA clocks stand still, a live chat
   * ends, load is freed) — but not the state's own actions or timers: nothing is mailed.
   */
  async closeOutsideWorkflow(state: string, name: string, note?: string): Promise<void> {
    const category = this.workflow.states[state]?.category;
    if (category !== 'closed') throw new Error(`${this.ref}: "${state}" is not a closed state`);
    this.fields = note ? { note } : {};
    await this.#run(() => this.#enter({ type: 'enter', from: this.case.status, to: state, transition: name, category }));
  }

  /** Enters the workflow's initial state (new cases). */
  async enterInitialState(): Promise<void> {
    const initial = this.workflow.initial;
    const state = this.workflow.states[initial]!;
    const effects: Effect[] = [];
    for (const call of state.onEnter ?? []) effects.push({ type: 'action', call, origin: `states.${initial}.onEnter` });
    for (const timer of state.timers ?? []) {
      effects.push({ type: 'startTimer', transition: timer.transition, afterMs: durationMs(timer.after), businessHours: timer.businessHours === true, state: initial });
    }
    await this.#run(() => this.#perform(effects, null));
  }

  enqueue(type: string, payload: Record<string, unknown>, availableAt: number = this.now): Promise<void> {
    const values = [type, this.case.id, JSON.stringify(payload), this.now, availableAt];
    if (!this.#unstored) return this.#insertItem(values);
    this.#unstored.enqueue(values, type, availableAt <= this.now);
    return DONE;
  }

  async #insertItem(values: unknown[]): Promise<void> {
    await run(this.q, INSERT_OUTBOX, values);
  }

  /** Notes that an agent's load dropped; waiting cases are offered to them after save(). */
  freeCapacity(staffId: number): void {
    this.#freed.add(staffId);
  }

  /**
   * A new case: inserts it as it is now, then its timeline, outbox items and deferred rows;
   * from here on the context writes through (a channel that records what it received with
   * the case needs it stored). Nothing for a stored case.
   */
  store(): Promise<void> {
    return this.#store(false);
  }

  async #store(saving: boolean): Promise<void> {
    const unstored = this.#unstored;
    if (!unstored) return;
    this.case.updatedAt = this.now;
    // Saved now, with nothing for `settle`: the committed row is the answer.
    const written = await unstored.flush(this.q, this.case, { settled: saving });
    this.#unstored = null;
    for (const write of unstored.afterwards()) await write();
    // Its acknowledgement in this transaction, not in a second one of the drain (src/outbox/perform-now.ts,
    // on SQLite's connection; on PostgreSQL the drain performs it after commit).
    if (written.length > 0 && this.q.dialect === 'sqlite') this.services.outbox.performWritten(sqliteOf(this.q), written);
    // With nothing pending and due now (its mail done), the command's kick of the drain can be left out.
    if (saving && !mayHaveFollowUps(this.case) && !(await pendingItemDueOn(this.q, this.now))) markLeftNothingDue(this.case);
  }

  /** Writes the case if nobody changed it since it was loaded (optimistic concurrency); inserts a new one. */
  async save(): Promise<void> {
    if (this.#unstored) {
      await this.#store(true);
      await this.#afterSave();
      return;
    }
    const { id, version } = this.case;
    this.case.updatedAt = this.now;
    const update = updateOf(this.q.tables.cases, UPDATE_CASE);
    const changes = await run(this.q, update.sql, [...update.values(this.case), version + 1, id, version]);
    if (changes !== 1) {
      throw new DomainError('CONFLICT', `${this.ref} was changed by someone else; reload and try again.`, { caseId: this.ref });
    }
    this.case.version = version + 1;
    await this.#afterSave();
  }

  async #afterSave(): Promise<void> {
    for (const staffId of this.#freed) await this.services.subscribers.capacityFreed(this.q, this.services, staffId, this.actor);
    this.#freed.clear();
  }

  async #run(fn: () => Promise<void>): Promise<void> {
    if (this.#processing) {
      await fn();
      return;
    }
    this.#processing = true;
    try {
      await fn();
    } finally {
      this.#processing = false;
    }
    await this.#drain();
  }

  #drain(): Promise<void> {
    return this.#processing || this.#pending.length === 0 ? DONE : this.#drainPending();
  }

  /**
   * Fires the transitions the queued events call for, one after the other. An event that would
   * fire the same transition from the same state as earlier in this chain means the workflow's
   * automatic transitions cycle (each would set the next off for ever): the chain stops there,
   * before the repeat, and the timeline says so (`workflow.cycleStopped`). What the command did
   * stays — a customer's message is kept and answered as usual — and the case stays where the
   * chain left it, for staff to move on.
   */
  async #drainPending(): Promise<void> {
    this.#processing = true;
    const fired = new Set<string>();
    try {
      while (this.#pending.length > 0) {
        const type = this.#pending.shift()!;
        const outcome = transition(this.workflow, this.case, { kind: 'event', type });
        if (!outcome.ok || outcome.transition === null) continue;
        const step = JSON.stringify([outcome.transition, outcome.from, type]);
        if (fired.has(step) || ++this.#steps > MAX_STEPS) {
          await this.#stopCycle(outcome, type);
          break;
        }
        fired.add(step);
        await this.#apply(outcome, { on: type });
      }
    } finally {
      this.#processing = false;
    }
  }

  /** Ends a chain of automatic transitions that cycles: nothing still queued fires; recorded on the timeline and logged. */
  async #stopCycle(outcome: TransitionOutcome, on: string): Promise<void> {
    const dropped = this.#pending.splice(0);
    const data = { transition: outcome.transition, state: outcome.from, on, ...(dropped.length ? { dropped } : {}) };
    this.services.logger.warn('workflow stopped an automatic cycle', { case: this.ref, workflow: this.workflow.workflow, version: this.case.workflowVersion, ...data });
    await this.record('workflow.cycleStopped', data, SYSTEM_ACTOR);
  }

  /** `automatic`: the transition fired on an event or a timer, not by a command. */
  async #apply(outcome: TransitionOutcome, automatic: { on: string } | null = null): Promise<void> {
    const previous = this.#automatic;
    this.#automatic = automatic;
    try {
      await this.#perform(outcome.effects, outcome);
    } finally {
      this.#automatic = previous;
    }
  }

  async #perform(effects: readonly Effect[], outcome: TransitionOutcome | null): Promise<void> {
    for (const effect of effects) {
      switch (effect.type) {
        case 'action': {
          const action = this.services.actions.get(effect.call.action);
          const { action: _name, ...params } = effect.call;
          await action.run(this, action.params.parse(params));
          break;
        }
        case 'enter':
          await this.#enter(effect);
          break;
        case 'startTimer':
          await this.enqueue(
            'workflow.timer',
            { transition: effect.transition, state: effect.state, enteredAt: this.now },
            timerDue(this.services, this.case, { afterMs: effect.afterMs, businessHours: effect.businessHours }, this.now),
          );
          break;
        case 'emit':
          await this.raise(effect.event, outcome ? { transition: outcome.transition } : {});
          break;
      }
    }
  }

  async #enter(effect: Extract<Effect, { type: 'enter' }>): Promise<void> {
    const c = this.case;
    const wasOpen = c.open;
    // "@previous" is the last *other* state: a transition back into the same state (a reminder) keeps it.
    if (effect.to !== c.status) c.previousStatus = c.status;
    c.status = effect.to;
    c.stateEnteredAt = this.now;
    c.open = isOpenCategory(effect.category);
    if (effect.category === 'resolved') c.resolvedAt = this.now;
    if (effect.category === 'closed') c.closedAt = this.now;
    if (!wasOpen && c.open) {
      // Reopened: the solution belonged to the resolution that ended (the timeline keeps it); a new one comes with the next.
      c.resolvedAt = null;
      c.closedAt = null;
      c.solution = null;
    }
    if (!c.open) c.waitingSince = null;
    if (this.fields.solution?.trim()) c.solution = this.fields.solution.trim();
    if (wasOpen && !c.open && c.assigneeId !== null) this.freeCapacity(c.assigneeId);
    const fields = Object.fromEntries(Object.entries(this.fields).filter(([, v]) => typeof v === 'string' && v.trim() !== ''));
    const automatic = this.#automatic;
    const data = { transition: effect.transition, from: effect.from, to: effect.to, ...(automatic ? {} : fields) };
    // Automatic transitions are Casebook's doing; the timeline says what set them off.
    if (automatic) await this.record('case.transitioned', { ...data, on: automatic.on, ...(this.actor.type !== 'system' ? { after: this.actor.name } : {}) }, SYSTEM_ACTOR);
    else await this.record('case.transitioned', data);
    await this.services.subscribers.emit(this, { type: 'case.transitioned', data: { ...data, category: effect.category } });
    this.#entered = { from: effect.from, to: effect.to, transition: effect.transition };
  }
}
