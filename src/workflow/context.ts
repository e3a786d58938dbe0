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
import { cases } from '../db/schema/index.js';
import { rowById, rowUpdate, statement } from '../db/fast.js';
import { DomainError } from '../errors.js';
import { SYSTEM_ACTOR, type Actor, type Role } from '../roles.js';
import type { Services } from '../services.js';
import { caseRef } from '../cases/case-ref.js';
import type { TransitionField, WorkflowDefinition } from './definition.js';
import { durationMs, isOpenCategory, transition, type Effect, type TransitionOutcome } from './transition.js';
import { pendingItemDue } from '../outbox/outbox.js';
import { markLeftNothingDue, mayHaveFollowUps, UnstoredCase } from './unstored-case.js';

export { mayHaveFollowUps, mayHaveLeftWorkDue } from './unstored-case.js';

export type CaseRow = typeof cases.$inferSelect;
export type TransitionFields = Partial<Record<TransitionField, string>>;

/** Every column, and the version bumped, only if the version is still the one loaded. */
const UPDATE_CASE = rowUpdate(cases, { except: ['id', 'version'], also: 'version = ?', where: 'id = ? AND version = ?' });

/** Bound on events processed by one unit of work: a workflow that loops fails loudly. */
const MAX_STEPS = 64;

export class CaseContext {
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

  /** `now` defaults to the clock; imports of history pass the case's own time. */
  constructor(services: Services, row: CaseRow, actor: Actor, now: number = services.clock.now()) {
    this.services = services;
    this.actor = actor;
    this.now = now;
    this.case = row;
    this.workflow = services.definitions.workflow(row.workflow, row.workflowVersion).definition;
  }

  /** Loads a case for change; call inside a transaction. */
  static load(services: Services, caseId: number, actor: Actor): CaseContext {
    const row = rowById(services.db, cases, caseId);
    if (!row) throw new DomainError('CASE_NOT_FOUND', `No case ${caseRef(caseId)}.`, { caseId: caseRef(caseId) });
    return new CaseContext(services, row, actor);
  }

  /**
   * A new case, not yet in the database: `row` is complete (its id reserved); `save()`
   * inserts it in its final state, then everything written for it meanwhile.
   */
  static create(services: Services, row: CaseRow, actor: Actor, now: number): CaseContext {
    const ctx = new CaseContext(services, row, actor, now);
    ctx.#unstored = new UnstoredCase();
    return ctx;
  }

  get ref(): string {
    return caseRef(this.case.id);
  }

  /** False for a new case until `save()` (or `store()`) has inserted it. */
  get stored(): boolean {
    return this.#unstored === null;
  }

  /** Runs `write` once the case row is in the database: at once, or (new case) when `save()` inserts it. */
  whenStored(write: () => void): void {
    if (this.#unstored) this.#unstored.whenStored(write);
    else write();
  }

  /**
   * Appends an entry to the case timeline (no workflow reaction); returns the entry's id, or
   * null for a new case not stored yet (its entries get their ids when `save()` or `store()`
   * inserts them; `storedEntryId` finds one then).
   */
  record(type: string, data: Record<string, unknown> = {}, actor: Actor = this.actor): number | null {
    const stored = actor.type === 'system' && actor.role !== 'system' ? { ...data, via: actor.name } : data;
    const values = [this.case.id, type, this.now, actor.type, actor.id, JSON.stringify(stored)];
    if (this.#unstored) {
      this.#unstored.record(values, type, stored);
      return null;
    }
    const inserted = statement(this.services.db, 'INSERT INTO case_events (case_id, type, at, actor_type, actor_id, data) VALUES (?, ?, ?, ?, ?, ?)').run(...values);
    return Number(inserted.lastInsertRowid);
  }

  /** The id of the case's first stored timeline entry of this type (e.g. `case.created`), or null. */
  storedEntryId(type: string): number | null {
    if (this.#unstored) return null;
    return statement<[number, string], number>(this.services.db, 'SELECT min(id) FROM case_events WHERE case_id = ? AND type = ?').pluck().get(this.case.id, type) ?? null;
  }

  /** The case's timeline entries of these types written so far in this unit of work or before, oldest first. */
  timelineOf(types: readonly string[]): { type: string; data: Record<string, unknown> }[] {
    if (this.#unstored) return this.#unstored.entries(types);
    const rows = statement<[number], { type: string; data: string }>(
      this.services.db,
      `SELECT type, data FROM case_events WHERE case_id = ? AND type IN (${types.map((t) => `'${t.replaceAll("'", "''")}'`).join(', ')}) ORDER BY id`,
    ).all(this.case.id);
    return rows.map((r) => ({ type: r.type, data: JSON.parse(r.data) as Record<string, unknown> }));
  }

  /**
   * Records an event on the timeline, lets subscribers react, queues it for the workflow
   * (`on` transitions) and, when the workflow names rulesets for it, writes an outbox item
   * so the rules run after commit.
   */
  raise(type: string, data: Record<string, unknown> = {}): number | null {
    const id = this.record(type, data);
    if (this.workflow.triggers?.[type]?.length && !this.skipTriggers.has(type)) {
      this.enqueue('case.event', { type, data, actor: this.actor });
    }
    this.dispatch(type, data);
    return id;
  }

  /**
   * Lets subscribers and the workflow's `on` transitions react to an event that is already
   * on the timeline (recorded by a batch job such as the SLA sweep): no record, no rules.
   */
  dispatch(type: string, data: Record<string, unknown> = {}): void {
    this.services.subscribers.emit(this, { type, data });
    this.#pending.push(type);
    this.#drain();
  }

  /** Invokes a named transition for `role`; throws INVALID_TRANSITION / TRANSITION_REQUIREMENT_MISSING. */
  /**
   * Runs a transition the caller asked for. `fields` are the caller's and are checked against
   * what the transition requires or allows; `supplied` are Casebook's own (e.g. the library's
   * solution a customer accepted), recorded with them but never taken from a request.
   */
  invoke(name: string, role: Role, fields: TransitionFields = {}, supplied: TransitionFields = {}): TransitionOutcome {
    const outcome = transition(this.workflow, this.case, { kind: 'command', transition: name, role, fields });
    if (!outcome.ok) throw new DomainError(outcome.code, outcome.message, { transition: name, missing: outcome.missing ?? [], ...(outcome.refused ? { refused: outcome.refused } : {}) });
    if (outcome.transition === null) throw new Error('a command always names a transition');
    this.fields = { ...fields, ...supplied };
    this.#run(() => this.#apply(outcome));
    return outcome;
  }

  /** Fires a transition on behalf of a state timer; false when it no longer applies. */
  fireTimer(name: string): boolean {
    const outcome = transition(this.workflow, this.case, { kind: 'timer', transition: name });
    if (!outcome.ok || outcome.transition === null) return false;
    this.#run(() => this.#apply(outcome, { on: 'timer' }));
    return true;
  }

  /** Enters the workflow's initial state (new cases). */
  enterInitialState(): void {
    const initial = this.workflow.initial;
    const state = this.workflow.states[initial]!;
    const effects: Effect[] = [];
    for (const call of state.onEnter ?? []) effects.push({ type: 'action', call, origin: `states.${initial}.onEnter` });
    for (const timer of state.timers ?? []) {
      effects.push({ type: 'startTimer', transition: timer.transition, afterMs: durationMs(timer.after), state: initial });
    }
    this.#run(() => this.#perform(effects, null));
  }

  enqueue(type: string, payload: Record<string, unknown>, availableAt: number = this.now): void {
    const values = [type, this.case.id, JSON.stringify(payload), this.now, availableAt];
    if (this.#unstored) this.#unstored.enqueue(values, type, availableAt <= this.now);
    else statement(this.services.db, 'INSERT INTO outbox (type, case_id, payload, created_at, available_at) VALUES (?, ?, ?, ?, ?)').run(...values);
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
  store(): void {
    this.#store(false);
  }

  #store(saving: boolean): void {
    const unstored = this.#unstored;
    if (!unstored) return;
    this.case.updatedAt = this.now;
    // Saved now, with nothing for `settle`: the committed row is the answer.
    const written = unstored.flush(this.services.db, this.case, { settled: saving });
    this.#unstored = null;
    for (const write of unstored.afterwards()) write();
    // Its acknowledgement in this transaction, not in a second one of the drain (src/outbox/perform-now.ts).
    if (written.length > 0) this.services.outbox.performWritten(written);
    // With nothing pending and due now (its mail done), the command's kick of the drain can be left out.
    if (saving && !mayHaveFollowUps(this.case) && !pendingItemDue(this.services.db, this.now)) markLeftNothingDue(this.case);
  }

  /** Writes the case if nobody changed it since it was loaded (optimistic concurrency); inserts a new one. */
  save(): void {
    if (this.#unstored) {
      this.#store(true);
      this.#afterSave();
      return;
    }
    const { id, version } = this.case;
    this.case.updatedAt = this.now;
    const result = statement(this.services.db, UPDATE_CASE.sql).run(...UPDATE_CASE.values(this.case), version + 1, id, version);
    if (result.changes !== 1) {
      throw new DomainError('CONFLICT', `${this.ref} was changed by someone else; reload and try again.`, { caseId: this.ref });
    }
    this.case.version = version + 1;
    this.#afterSave();
  }

  #afterSave(): void {
    for (const staffId of this.#freed) this.services.subscribers.capacityFreed(this.services, staffId, this.actor);
    this.#freed.clear();
  }

  #run(fn: () => void): void {
    if (this.#processing) {
      fn();
      return;
    }
    this.#processing = true;
    try {
      fn();
    } finally {
      this.#processing = false;
    }
    this.#drain();
  }

  #drain(): void {
    if (this.#processing) return;
    this.#processing = true;
    try {
      while (this.#pending.length > 0) {
        if (++this.#steps > MAX_STEPS) throw new Error(`Workflow "${this.workflow.workflow}" loops on ${this.ref}`);
        const type = this.#pending.shift()!;
        const outcome = transition(this.workflow, this.case, { kind: 'event', type });
        if (outcome.ok && outcome.transition !== null) this.#apply(outcome, { on: type });
      }
    } finally {
      this.#processing = false;
    }
  }

  /** `automatic`: the transition fired on an event or a timer, not by a command. */
  #apply(outcome: TransitionOutcome, automatic: { on: string } | null = null): void {
    const previous = this.#automatic;
    this.#automatic = automatic;
    try {
      this.#perform(outcome.effects, outcome);
    } finally {
      this.#automatic = previous;
    }
  }

  #perform(effects: readonly Effect[], outcome: TransitionOutcome | null): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'action': {
          const action = this.services.actions.get(effect.call.action);
          const { action: _name, ...params } = effect.call;
          action.run(this, action.params.parse(params));
          break;
        }
        case 'enter':
          this.#enter(effect);
          break;
        case 'startTimer':
          this.enqueue(
            'workflow.timer',
            { transition: effect.transition, state: effect.state, enteredAt: this.now },
            this.now + effect.afterMs,
          );
          break;
        case 'emit':
          this.raise(effect.event, outcome ? { transition: outcome.transition } : {});
          break;
      }
    }
  }

  #enter(effect: Extract<Effect, { type: 'enter' }>): void {
    const c = this.case;
    const wasOpen = c.open;
    c.previousStatus = c.status;
    c.status = effect.to;
    c.stateEnteredAt = this.now;
    c.open = isOpenCategory(effect.category);
    if (effect.category === 'resolved') c.resolvedAt = this.now;
    if (effect.category === 'closed') c.closedAt = this.now;
    if (!wasOpen && c.open) {
      c.resolvedAt = null;
      c.closedAt = null;
    }
    if (!c.open) c.waitingSince = null;
    if (this.fields.solution?.trim()) c.solution = this.fields.solution.trim();
    if (wasOpen && !c.open && c.assigneeId !== null) this.freeCapacity(c.assigneeId);
    const fields = Object.fromEntries(Object.entries(this.fields).filter(([, v]) => typeof v === 'string' && v.trim() !== ''));
    const automatic = this.#automatic;
    const data = { transition: effect.transition, from: effect.from, to: effect.to, ...(automatic ? {} : fields) };
    // Automatic transitions are Casebook's doing; the timeline says what set them off.
    if (automatic) this.record('case.transitioned', { ...data, on: automatic.on, ...(this.actor.type !== 'system' ? { after: this.actor.name } : {}) }, SYSTEM_ACTOR);
    else this.record('case.transitioned', data);
    this.services.subscribers.emit(this, { type: 'case.transitioned', data: { ...data, category: effect.category } });
  }
}
