/**
 * Definitions in force: every version of every workflow, ruleset and SLA config lives in
 * `definition_versions`; this registry validates new versions before they are stored and
 * hands out compiled definitions, cached per version (one rules engine per ruleset
 * version).
 *
 * The versions themselves are held in memory (snapshot.ts), so the synchronous lookups made
 * inside case changes need no query; writes go through the storage port (version-rows.ts).
 * How the memory follows the database differs per dialect, and only here:
 * - SQLite (sqlite.ts): checked on each lookup, as before the port — rebuilt when this
 *   process stored a version (at once, and again once that transaction has ended, committed
 *   or not: a lookup inside it sees the version, one after a rollback does not) or when
 *   another process has written (`PRAGMA data_version`), so `npm run rules:import` beside a
 *   running server takes effect at once.
 * - PostgreSQL: loaded by `Definitions.open(store, …)` (or `refresh()`) at start and reloaded
 *   by `refresh()` after this process's own commands commit. A `refresh()` inside a write
 *   transaction (a publish inside a larger command) is that transaction's view only: lookups
 *   inside it see its versions, the others do not; it becomes the view in force when the
 *   transaction commits, and is forgotten when it rolls back. With a live-signal relay
 *   (several instances, src/db/live-relay.ts) a refresh that finds the versions changed tells
 *   the other instances (topic `definitions`, no data), which reload at once; after the
 *   relay reconnects every instance reloads (signals may have been missed meanwhile).
 */
import type { Db } from '../db/client.js';
import type { LiveRelay } from '../db/live-relay.js';
import type { DefinitionKind } from '../db/schema/index.js';
import { postgresWriteInProgress, sqliteOf, type Handle, type Store } from '../db/store/index.js';
import { DefinitionError, DomainError } from '../errors.js';
import { prepareRuleset } from '../rules/compile.js';
import type { CompiledRuleset } from '../rules/engine.js';
import { enabledRules, validateRuleset, type RuleCondition, type RuleJson } from '../rules/definition.js';
import { businessTimerWarnings } from '../sla/business-timer-reach.js';
import { compileSlaConfig, validateSlaConfig, type SlaConfig, type SlaConfigJson } from '../sla/config.js';
import type { WorkflowDefinition } from '../workflow/definition.js';
import type { ActionRegistry } from '../workflow/registry.js';
import { validateWorkflow } from '../workflow/validate.js';
import { hasErrors, problem, type DefinitionProblem } from './problems.js';
import { EMPTY_SNAPSHOT, keyOf, snapshotOf, type Snapshot } from './snapshot.js';
import { sqliteDefinitionSource, type SqliteDefinitionSource } from './sqlite.js';
import {
  activeQueueTiersIn,
  allVersionRows,
  insertVersionRow,
  publishedBodiesIn,
  publishedNamesIn,
  type DefinitionVersionRow,
  type NewVersionOptions,
} from './version-rows.js';

export type { DefinitionVersionRow, NewVersionOptions } from './version-rows.js';

export const SLA_CONFIG_NAME = 'sla';

/** The relay's topic: "the stored versions changed, reload" (no data). */
export const DEFINITIONS_TOPIC = 'definitions';

const ERROR_CODE = { workflow: 'INVALID_WORKFLOW', ruleset: 'INVALID_RULESET', sla: 'INVALID_SLA_CONFIG' } as const;
const NOT_FOUND = { workflow: 'WORKFLOW_NOT_FOUND', ruleset: 'RULESET_NOT_FOUND', sla: 'NOT_FOUND' } as const;

/** A stored ruleset version that no longer passes validation: it is never run. */
export interface RefusedRuleset {
  name: string;
  version: number;
  problems: DefinitionProblem[];
}

/** What start-up logs about a refused version: which one, and every problem with its JSON path. */
export function describeRefusedRuleset(refused: RefusedRuleset): { msg: string; problems: string[] } {
  return {
    msg: `The ruleset "${refused.name}" v${refused.version} (the published version) is no longer valid and will not run until a valid version is published`,
    problems: refused.problems.filter((p) => p.severity === 'error').map((p) => `${p.path}: ${p.message}`),
  };
}

/** Thrown when a refused ruleset version is asked for; the rules that would run are none. */
export class RefusedRulesetError extends DefinitionError {
  constructor(readonly refused: RefusedRuleset) {
    const errors = refused.problems.filter((p) => p.severity === 'error');
    super(
      'INVALID_RULESET',
      `The ruleset "${refused.name}" v${refused.version} is not run: it is no longer valid (${errors.length} problem${errors.length === 1 ? '' : 's'}; first: ${errors[0]?.path}: ${errors[0]?.message}).`,
      refused.problems,
    );
    this.name = 'RefusedRulesetError';
  }
}

export class Definitions {
  readonly #store: Store;
  readonly #actions: ActionRegistry;
  /** SQLite only: the synchronous look at the database (sqlite.ts); null on PostgreSQL. */
  readonly #sqlite: SqliteDefinitionSource | null;
  readonly #workflows = new Map<string, WorkflowDefinition>();
  readonly #rulesets = new Map<string, CompiledRuleset | RefusedRuleset>();
  readonly #sla = new Map<string, SlaConfig>();
  /** The committed versions (on SQLite: valid while `#stale` is false). */
  #snapshot: Snapshot = EMPTY_SNAPSHOT;
  #stale = true;
  /** SQLite: this process stored a version in a transaction that may not have ended yet. */
  #stored = false;
  #seenDataVersion = -1;
  /** SQLite: the group commit transaction (sqlite.ts `writeTransaction`) `#seenDataVersion` was read in; 0: none. */
  #checkedIn = 0;
  /** SQLite: the view inside a transaction that stored a version, by the table's fingerprint; never kept after it. */
  #inTransaction: { print: string; snapshot: Snapshot } | null = null;

  /** PostgreSQL: what the loaded versions were (ids and states), to tell a change from a reload that found none; null before the first load. */
  #loaded: string | null = null;
  readonly #relay: LiveRelay | null;
  /** PostgreSQL: the reload in progress (reloads run one after the other, the last one wins). */
  #reloading: Promise<void> = Promise.resolve();
  /** PostgreSQL: what a write transaction that stored versions sees, by its token (postgresWriteInProgress), until it ends. */
  readonly #inWrite = new WeakMap<object, Snapshot>();

  /**
   * `sqlite`: the database behind a SQLite store (its lookups follow it synchronously); null on
   * PostgreSQL, then `refresh()` loads. `relay` (PostgreSQL, several instances): publishes
   * reach the other instances.
   */
  constructor(actions: ActionRegistry, store: Store, sqlite: Db | null, relay?: LiveRelay) {
    this.#actions = actions;
    this.#store = store;
    this.#sqlite = sqlite ? sqliteDefinitionSource(sqlite) : null;
    this.#relay = sqlite ? null : (relay ?? null);
    if (this.#relay) {
      const reload = () => void this.#reload().catch(() => undefined); // a failed reload is repaired by the next signal or refresh
      this.#relay.receive(DEFINITIONS_TOPIC, reload);
      this.#relay.onResync(reload);
    }
  }

  /** A registry over `store`, loaded (a new process, or services pointed at another database). */
  static async open(store: Store, actions: ActionRegistry): Promise<Definitions> {
    const sqlite = store.dialect === 'sqlite' ? await store.query(async (q) => sqliteOf(q)) : null;
    const definitions = new Definitions(actions, store, sqlite);
    await definitions.refresh();
    return definitions;
  }

  get actions(): ActionRegistry {
    return this.#actions;
  }

  /**
   * Follows what was committed since: called by the commands that store versions, after their
   * transaction. On SQLite the next lookup rebuilds (it would anyway: this process stored a
   * version); on PostgreSQL the versions are read again.
   */
  async refresh(): Promise<void> {
    if (this.#sqlite) {
      this.#stale = true;
      this.#stored = true;
      return;
    }
    const write = postgresWriteInProgress();
    if (write) {
      // Its own uncommitted versions: seen inside it only, in force once it commits (never after a rollback).
      const snapshot = snapshotOf(await this.#store.query(allVersionRows));
      this.#inWrite.set(write, snapshot);
      this.#store.afterCommit(() => {
        this.#snapshot = snapshot;
        void this.refresh().catch(() => undefined); // and what others committed meanwhile; tells the other instances
      });
      return;
    }
    const before = this.#loaded;
    await this.#reload();
    // Another instance learns of a version this one stored (or saw first) at once; a first load tells nobody.
    if (before !== null && before !== this.#loaded) this.#relay?.send(DEFINITIONS_TOPIC, {});
  }

  /** PostgreSQL: reads every version again (after the reloads already running). */
  #reload(): Promise<void> {
    const next = this.#reloading.then(async () => {
      const rows = await this.#store.query(allVersionRows);
      this.#snapshot = snapshotOf(rows);
      this.#loaded = rows.map((row) => `${row.id}:${row.state}`).join(',');
    });
    this.#reloading = next.catch(() => undefined);
    return next;
  }

  #view(): Snapshot {
    const source = this.#sqlite;
    if (!source) {
      const write = postgresWriteInProgress();
      return (write && this.#inWrite.get(write)) ?? this.#snapshot;
    }
    // Other processes' commits (a publish by `npm run rules:import`): asked once per write
    // transaction of group commit (nobody else commits while it is open), else on every lookup.
    const transaction = source.writeTransaction();
    if (transaction === 0 || transaction !== this.#checkedIn) {
      const dataVersion = source.dataVersion();
      if (dataVersion !== this.#seenDataVersion) {
        this.#seenDataVersion = dataVersion;
        this.#stale = true;
      }
      this.#checkedIn = transaction;
    }
    if (!this.#stale) return this.#snapshot;
    const inTransaction = source.inTransaction();
    if (inTransaction && this.#stored) {
      // What this connection sees, a version of its own transaction included: not kept, it may roll back.
      const print = source.fingerprint();
      if (this.#inTransaction?.print !== print) this.#inTransaction = { print, snapshot: snapshotOf(source.rows()) };
      return this.#inTransaction.snapshot;
    }
    // Outside a transaction, or inside one that stored no version: what it sees is committed (another process's publish).
    this.#snapshot = snapshotOf(source.rows());
    this.#stale = false;
    if (!inTransaction) {
      this.#stored = false;
      this.#inTransaction = null;
    }
    return this.#snapshot;
  }

  publishedVersion(kind: DefinitionKind, name: string): number | null {
    return this.#view().published.get(keyOf(kind, name)) ?? null;
  }

  /** The given (or the published) version of a definition, compiled once and cached. */
  #compiled<T>(cache: Map<string, T>, kind: DefinitionKind, name: string, version: number | undefined, compile: (body: unknown, version: number) => T) {
    const v = version ?? this.publishedVersion(kind, name);
    if (v === null) throw new DomainError(NOT_FOUND[kind], `No published ${kind} named "${name}".`, { name });
    const key = `${name}@${v}`;
    let value = cache.get(key);
    if (value === undefined) {
      const row = this.version(kind, name, v);
      if (!row) throw new DomainError(NOT_FOUND[kind], `No version ${v} of the ${kind} "${name}".`, { name, version: v });
      value = compile(structuredClone(row.body), v);
      cache.set(key, value);
    }
    return { version: v, value };
  }

  workflow(name: string, version?: number): { version: number; definition: WorkflowDefinition } {
    const { version: v, value } = this.#compiled(this.#workflows, 'workflow', name, version, (body) => body as WorkflowDefinition);
    return { version: v, definition: value };
  }

  /**
   * The given (or the published) version of a ruleset, compiled. A stored version is
   * validated again before it is compiled (rules get stricter over time: a version stored
   * before a check existed must not run around it); one that fails is never compiled and
   * every request for it throws RefusedRulesetError. References (queues, SLA policies) are
   * not re-checked here: they change at run time and are handled when decisions apply.
   */
  ruleset(name: string, version?: number): CompiledRuleset {
    const { value } = this.#compiled(this.#rulesets, 'ruleset', name, version, (body, v) => {
      const result = validateRuleset(body, { queues: null, policies: null, stored: true }, name);
      if (!result.ok) return { name, version: v, problems: result.problems };
      try {
        // Rules switched off ("enabled": false) stay in the stored body but are not compiled.
        const ruleset = prepareRuleset(enabledRules(result.definition), v);
        ruleset.warnings = result.problems.filter((p) => p.severity === 'warning');
        return ruleset;
      } catch (error) {
        // json-rules-engine refuses what validation let through: that version is not run either (never a crash at start-up or intake).
        const message = error instanceof Error ? error.message : String(error);
        return { name, version: v, problems: [...result.problems, problem([], `json-rules-engine refuses to build this version: ${message}`)] };
      }
    });
    if (!('engine' in value)) throw new RefusedRulesetError(value);
    return value;
  }

  /** The published version of `name` when it is stored but no longer valid (so not run), else null. */
  refusedRuleset(name: string): RefusedRuleset | null {
    try {
      this.ruleset(name);
      return null;
    } catch (error) {
      if (error instanceof RefusedRulesetError) return error.refused;
      if (error instanceof DomainError && error.code === 'RULESET_NOT_FOUND') return null;
      throw error;
    }
  }

  /**
   * What loading the published version of `name` warns about, though it runs (a priority stored
   * before whole numbers were asked for, run as json-rules-engine reads it); none when it is
   * refused or missing.
   */
  rulesetWarnings(name: string): DefinitionProblem[] {
    try {
      return this.ruleset(name).warnings ?? [];
    } catch (error) {
      if (error instanceof RefusedRulesetError || (error instanceof DomainError && error.code === 'RULESET_NOT_FOUND')) return [];
      throw error;
    }
  }

  /** Published ruleset versions that are stored but no longer valid, so not run. */
  refusedRulesets(): RefusedRuleset[] {
    return this.names('ruleset')
      .map((name) => this.refusedRuleset(name))
      .filter((r) => r !== null);
  }

  /** The shared conditions of the published version of a ruleset (`{ "condition": name }`); none when it is refused. */
  publishedSharedConditions(name: string): RuleCondition[] {
    try {
      return Object.values(this.ruleset(name).definition.sharedConditions ?? {});
    } catch (error) {
      if (error instanceof RefusedRulesetError) return [];
      throw error;
    }
  }

  /** The rules of the published version of a ruleset; none when it is refused. */
  publishedRules(name: string): RuleJson[] {
    try {
      return this.ruleset(name).definition.rules;
    } catch (error) {
      if (error instanceof RefusedRulesetError) return [];
      throw error;
    }
  }

  sla(version?: number): { version: number; config: SlaConfig } {
    const { version: v, value } = this.#compiled(this.#sla, 'sla', SLA_CONFIG_NAME, version, (body) => compileSlaConfig(body));
    return { version: v, config: value };
  }

  /** Names with at least one published version. */
  names(kind: DefinitionKind): string[] {
    return [...(this.#view().names.get(kind) ?? [])];
  }

  /** Every version of kind/name, newest first. */
  history(kind: DefinitionKind, name: string): DefinitionVersionRow[] {
    return [...(this.#view().history.get(keyOf(kind, name)) ?? [])];
  }

  version(kind: DefinitionKind, name: string, version: number): DefinitionVersionRow | undefined {
    return this.#view().history.get(keyOf(kind, name))?.find((row) => row.version === version);
  }

  /** Every problem with `body` as a new version of kind/name, checked against what exists now (in `q`'s transaction). */
  async validate(q: Handle, kind: DefinitionKind, name: string, body: unknown): Promise<DefinitionProblem[]> {
    switch (kind) {
      case 'ruleset': {
        const queueTiers = await activeQueueTiersIn(q);
        return validateRuleset(body, { queues: new Set(queueTiers.keys()), queueTiers, policies: await this.#policyNames(q) }, name).problems;
      }
      case 'workflow': {
        const queueTiers = await activeQueueTiersIn(q);
        const result = validateWorkflow(body, { actions: this.#actions, rulesets: new Set(await publishedNamesIn(q, 'ruleset')), queues: new Set(queueTiers.keys()), queueTiers });
        const problems = result.problems;
        const sla = (await publishedBodiesIn(q, 'sla')).get(SLA_CONFIG_NAME);
        if (result.ok && sla) problems.push(...businessTimerWarnings(result.definition, sla.body as SlaConfigJson));
        const named = (body as { workflow?: unknown } | null)?.workflow;
        if (typeof named === 'string' && named !== name) {
          problems.push(problem(['workflow'], `the workflow is named "${named}" but is stored as "${name}"`));
        }
        return problems;
      }
      case 'sla':
        return [...validateSlaConfig(body), ...(await this.#policiesStillUsed(q, body)), ...(await this.#calendarsStillUsed(q, body))];
    }
  }

  /** Validates and stores a new version. Throws DefinitionError listing every problem. */
  async createVersion(q: Handle, kind: DefinitionKind, name: string, body: unknown, options: NewVersionOptions): Promise<DefinitionVersionRow> {
    const problems = await this.validate(q, kind, name, body);
    if (hasErrors(problems)) {
      throw new DefinitionError(ERROR_CODE[kind], `The ${kind} "${name}" has ${problems.filter((p) => p.severity === 'error').length} problem(s).`, problems);
    }
    return this.insertVersion(q, kind, name, body, options);
  }

  /** Stores a version without validation: only for bodies validated by the caller. Call `refresh()` once the transaction has ended. */
  insertVersion(q: Handle, kind: DefinitionKind, name: string, body: unknown, options: NewVersionOptions): Promise<DefinitionVersionRow> {
    this.#stale = true;
    this.#stored = true;
    return insertVersionRow(q, kind, name, body, options);
  }

  /** The policy names of the published SLA config (null when there is none). */
  async #policyNames(q: Handle): Promise<Set<string> | null> {
    const published = (await publishedBodiesIn(q, 'sla')).get(SLA_CONFIG_NAME);
    return published ? new Set(compileSlaConfig(structuredClone(published.body)).policyNames) : null;
  }

  /**
   * A new SLA config must keep every calendar a chat site keeps its hours by (docs/chat.md): a
   * site whose calendar is gone would take chats at every hour without a word, while its own
   * form refuses a calendar sla.json does not have.
   */
  async #calendarsStillUsed(q: Handle, body: unknown): Promise<DefinitionProblem[]> {
    const calendars = (body as SlaConfigJson | null)?.calendars;
    if (typeof calendars !== 'object' || calendars === null) return [];
    const sites = q.tables.chatSites;
    const rows = await q.db.select({ name: sites.name, calendar: sites.calendar }).from(sites).orderBy(sites.name);
    return rows
      .filter((site) => site.calendar !== null && !Object.hasOwn(calendars, site.calendar))
      .map((site) => problem(['calendars'], `the calendar "${site.calendar}" is the business hours of the chat site "${site.name}": keep it, or choose another calendar for the site first (/manage/channels)`));
  }

  /** A new SLA config must keep every policy the published rulesets apply. */
  async #policiesStillUsed(q: Handle, body: unknown): Promise<DefinitionProblem[]> {
    const policies = (body as SlaConfigJson | null)?.policies;
    if (typeof policies !== 'object' || policies === null) return [];
    const out: DefinitionProblem[] = [];
    for (const [name, { body: rulesetBody }] of await publishedBodiesIn(q, 'ruleset')) {
      const result = validateRuleset(structuredClone(rulesetBody), { queues: null, policies: null, stored: true }, name);
      if (!result.ok) continue; // a refused version runs no rules
      enabledRules(result.definition).rules.forEach((rule) => {
        const policy = rule.event.type === 'applySlaPolicy' ? (rule.event.params?.policy as string | undefined) : undefined;
        if (policy && !Object.hasOwn(policies, policy)) {
          out.push(problem(['policies'], `the policy "${policy}" is used by the published ruleset "${name}" (rule "${rule.name ?? '?'}")`));
        }
      });
    }
    return out;
  }
}
