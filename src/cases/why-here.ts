/**
 * "Why is this case here?" told from the timeline (PURE): how the case got the queue, priority
 * and SLA policy it has now, every time rules ran with the rules that fired and what became of
 * each, and the escalations and transfers with who (or which rule) made them, when and why.
 *
 * - **Rules that fired.** Each evaluation is a `rules.evaluated` entry (at intake the routing
 *   ruleset's is `case.routed`; a ruleset that failed is `rules.failed` with its ruleset).
 *   The rulesets run for one event are recorded one after the other; at intake all of them
 *   carry `event: case.created`. For a single-valued outcome (queue, priority, SLA policy,
 *   escalation) the winner is the fired rule with the highest json-rules-engine priority, ties
 *   to the earlier rule in the file, and across the rulesets of one event the earlier ruleset
 *   (src/rules/evaluate.ts, `decide` and `mergeDecisions`). Every other rule that set the same
 *   outcome is *overruled* by the winner. What the winner did is read from the entries that
 *   follow the evaluation: `case.routed`'s outcome at intake, `case.updated` by rules (priority,
 *   policy), a `case.transferred` "routed by rules on …", a `case.escalated` naming the rule, or
 *   `rules.failed` (a queue that is gone, an escalation that could not be made). A winner that
 *   changed nothing (the case already had that queue) is *unchanged*. Tags, skills, notifications
 *   and offered solutions accumulate: no verdict.
 * - **Origins.** The latest entry that set the value the case has now: `case.routed` (a rule,
 *   the queue chosen by staff at intake, an intake path's default queue, the fallback; the
 *   requested priority; the default policy), `case.transferred` / `case.escalated` (by a rule or
 *   by a person, with their reason), `case.updated` (by rules; an SLA config re-applied),
 *   `case.priority_changed` (a person: edit, macro, bulk action). An origin whose value is not
 *   the case's current one is not told (null): the panel never claims what the timeline does not show.
 */
import type { TimelineEntry } from './case-view.js';

export type Outcome = 'queue' | 'priority' | 'slaPolicy' | 'escalation';

/** A rule with its ruleset and that ruleset's version. */
export interface RuleRef {
  rule: string;
  ruleset: string;
  version: number;
}

export type Verdict =
  | { kind: 'decided'; outcome: Outcome }
  /** `because`: the winner's higher priority, its place earlier in the file, or an earlier ruleset for the same event. */
  | { kind: 'overruled'; outcome: Outcome; by: RuleRef; because: 'priority' | 'order' | 'ruleset' }
  | { kind: 'unchanged'; outcome: Outcome }
  /** `chosen`: staff chose the queue at intake; `unavailable`: no such (active) queue or policy; `failed`: with the error. */
  | { kind: 'notApplied'; outcome: Outcome; why: 'chosen' | 'unavailable' | 'failed'; detail: string | null };

export interface FiredRuleStory {
  rule: string;
  priority: number;
  event: { type: string; params?: Record<string, unknown> };
  verdict: Verdict | null;
}

/** One ruleset run for one event. */
export interface RulesRun {
  entryId: number;
  at: string;
  /** The event the rules ran on: `case.created`, `sla.breached`, … */
  event: string;
  ruleset: string;
  version: number;
  fired: FiredRuleStory[];
  error: string | null;
}

type Actor = TimelineEntry['actor'];
/** The timeline entry an origin was read from. */
type From = { entryId: number; type: string; at: string };

export type Origin = From &
  (
    | { how: 'rule'; rule: RuleRef | null; event: string; previous: string | null; reason: string | null }
    | { how: 'staff'; actor: Actor; previous: string | null; reason: string | null }
    | { how: 'chosen'; actor: Actor }
    | { how: 'requested' }
    | { how: 'default' }
    | { how: 'intakeDefault' }
    | { how: 'fallback'; why: string | null }
    | { how: 'reapplied'; previous: string | null; configFrom: number | null; configTo: number | null }
  );

/** An escalation or a transfer. */
export interface Move {
  entryId: number;
  at: string;
  actor: Actor;
  fromQueue: string | null;
  queue: string;
  tier: number | null;
  reason: string | null;
  /** The rule that made the move, when rules did (its ruleset and version when the timeline tells them). */
  rule: RuleRef | null;
  /** The move was made by rules (a transfer "routed by rules on …" may not name its rule). */
  byRules: boolean;
  /** The event the rules ran on, when rules made it. */
  event: string | null;
}

export interface CaseStory {
  queue: Origin | null;
  priority: Origin | null;
  slaPolicy: Origin | null;
  /** Every evaluation, oldest first (the panel shows those where rules fired or failed, and intake's routing). */
  runs: RulesRun[];
  escalations: Move[];
  transfers: Move[];
}

/** What the case has now, to check each origin against. */
export interface CaseNow {
  queue: string;
  priority: string;
  slaPolicy: string | null;
}

/** How `transferCase` words a transfer that rules decided (src/cases/apply-decisions.ts). */
const BY_RULES = 'routed by rules on ';

const OUTCOMES: Record<string, { outcome: Outcome; param: string }> = {
  route: { outcome: 'queue', param: 'queue' },
  setPriority: { outcome: 'priority', param: 'priority' },
  applySlaPolicy: { outcome: 'slaPolicy', param: 'policy' },
  escalate: { outcome: 'escalation', param: 'queue' },
};

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const change = (changes: unknown, key: string): [unknown, unknown] | null => {
  const c = (changes as Record<string, unknown> | null | undefined)?.[key];
  return Array.isArray(c) && c.length === 2 ? [c[0], c[1]] : null;
};

function firedOf(value: unknown): FiredRuleStory[] {
  if (!Array.isArray(value)) return [];
  return value.map((f: { rule?: unknown; priority?: unknown; event?: unknown }) => ({
    rule: String(f.rule ?? ''),
    priority: num(f.priority) ?? 1,
    event: (f.event ?? { type: '' }) as FiredRuleStory['event'],
    verdict: null,
  }));
}

function runOf(e: TimelineEntry): RulesRun | null {
  const d = e.data;
  const base = { entryId: e.id, at: e.at, ruleset: String(d.ruleset ?? ''), version: num(d.version) ?? 0 };
  if (e.type === 'case.routed') return { ...base, event: 'case.created', fired: firedOf(d.fired), error: text(d.error) };
  if (e.type === 'rules.evaluated') return { ...base, event: String(d.event ?? ''), fired: firedOf(d.fired), error: null };
  if (e.type === 'rules.failed' && text(d.ruleset)) return { ...base, event: String(d.event ?? ''), fired: [], error: text(d.error) };
  return null;
}

/** The rulesets run for one event, in the order they ran, and the entries that can tell what they did. */
interface Group {
  event: string;
  runs: RulesRun[];
  /** The intake's `case.routed` entry (the outcome at intake). */
  routed: TimelineEntry | null;
  /** Entries from the group's first to the next group's first (its effects are among them). */
  effects: TimelineEntry[];
  /** The winner of each single-valued outcome. */
  winners: Partial<Record<Outcome, { fired: FiredRuleStory; run: RulesRun }>>;
}

/** Splits the evaluations into groups: intake's (every `case.created` evaluation, routing first), then one per later event. */
function groupsOf(entries: readonly TimelineEntry[]): Group[] {
  const routed = entries.find((e) => e.type === 'case.routed') ?? null;
  const intake: Group = { event: 'case.created', runs: [], routed, effects: [], winners: {} };
  const later: { group: Group; start: number }[] = [];
  let previous: { group: Group; index: number } | null = null;
  entries.forEach((e, index) => {
    const run = runOf(e);
    if (!run) return;
    if (run.event === 'case.created') {
      // The routing ruleset's failure is told by case.routed (with its error): not twice.
      if (!(e.type === 'rules.failed' && routed && run.ruleset === routed.data.ruleset)) intake.runs.push(run);
      return;
    }
    const current = previous && previous.index === index - 1 && previous.group.event === run.event && !previous.group.runs.some((r) => r.ruleset === run.ruleset) ? previous.group : null;
    if (current) current.runs.push(run);
    else later.push({ group: { event: run.event, runs: [run], routed: null, effects: [], winners: {} }, start: index });
    previous = { group: current ?? later.at(-1)!.group, index };
  });
  // case.routed tells the routing ruleset, which ran first.
  intake.runs.sort((a, b) => Number(b.entryId === routed?.id) - Number(a.entryId === routed?.id));
  const firstLater = later[0]?.start ?? entries.length;
  intake.effects = entries.slice(0, firstLater);
  later.forEach((g, i) => (g.group.effects = entries.slice(g.start, later[i + 1]?.start ?? entries.length)));
  return [...(intake.runs.length > 0 ? [intake] : []), ...later.map((g) => g.group)];
}

const refOf = (fired: FiredRuleStory, run: RulesRun): RuleRef => ({ rule: fired.rule, ruleset: run.ruleset, version: run.version });
const paramOf = (fired: FiredRuleStory, outcome: Outcome): unknown => fired.event.params?.[Object.values(OUTCOMES).find((o) => o.outcome === outcome)!.param];

/** What the winner of `outcome` did, read from the entries after the evaluation. */
function winnerVerdict(group: Group, outcome: Outcome, fired: FiredRuleStory): Verdict {
  const value = paramOf(fired, outcome);
  const routed = group.routed?.data;
  const failed = (start: string) => group.effects.find((e) => e.type === 'rules.failed' && !text(e.data.ruleset) && String(e.data.error ?? '').startsWith(start));
  if (outcome === 'escalation') {
    if (group.effects.some((e) => e.type === 'case.escalated' && e.data.rule === fired.rule)) return { kind: 'decided', outcome };
    const error = failed('cannot escalate');
    return error ? { kind: 'notApplied', outcome, why: 'failed', detail: text(error.data.error) } : { kind: 'unchanged', outcome };
  }
  if (group.event === 'case.created' && routed) {
    const now = outcome === 'queue' ? routed.queue : outcome === 'priority' ? routed.priority : routed.slaPolicy;
    if (now === value) return { kind: 'decided', outcome };
    if (outcome === 'queue' && routed.chosen) return { kind: 'notApplied', outcome, why: 'chosen', detail: null };
    return { kind: 'notApplied', outcome, why: 'unavailable', detail: null };
  }
  if (outcome === 'queue') {
    if (group.effects.some((e) => e.type === 'case.transferred' && e.data.queue === value && String(e.data.reason ?? '').startsWith(BY_RULES))) return { kind: 'decided', outcome };
    const error = failed(`queue "${String(value)}"`);
    return error ? { kind: 'notApplied', outcome, why: 'unavailable', detail: text(error.data.error) } : { kind: 'unchanged', outcome };
  }
  const updated = group.effects.some((e) => e.type === 'case.updated' && e.data.by === 'rules' && change(e.data.changes, outcome)?.[1] === value);
  return updated ? { kind: 'decided', outcome } : { kind: 'unchanged', outcome };
}

/** Marks every fired rule of the group that set a single-valued outcome: the winner with what it did, the others overruled. */
function judge(group: Group): void {
  for (const { outcome } of Object.values(OUTCOMES)) {
    const candidates = group.runs.flatMap((run) =>
      run.fired
        .map((fired, index) => ({ fired, run, index }))
        .filter(({ fired }) => OUTCOMES[fired.event.type]?.outcome === outcome)
        .sort((a, b) => b.fired.priority - a.fired.priority || a.index - b.index),
    );
    const [winner, ...losers] = candidates;
    if (!winner) continue;
    group.winners[outcome] = winner;
    winner.fired.verdict = winnerVerdict(group, outcome, winner.fired);
    for (const loser of losers) {
      const because = loser.run !== winner.run ? 'ruleset' : winner.fired.priority > loser.fired.priority ? 'priority' : 'order';
      loser.fired.verdict = { kind: 'overruled', outcome, by: refOf(winner.fired, winner.run), because };
    }
  }
}

/** The group whose evaluation an entry followed (the one whose effects hold it). */
function groupOf(groups: readonly Group[], entry: TimelineEntry): Group | undefined {
  return groups.find((g) => g.effects.includes(entry));
}

/** The rule a move by rules names: the entry's own (ruleset and version recorded since they are), else the fired rule in the evaluation before it. */
function moveRule(groups: readonly Group[], entry: TimelineEntry, outcome: Outcome): RuleRef | null {
  const d = entry.data;
  if (outcome === 'escalation') {
    const rule = text(d.rule);
    if (!rule) return null;
    if (text(d.ruleset) && num(d.version) !== null) return { rule, ruleset: String(d.ruleset), version: num(d.version)! };
    const group = groupOf(groups, entry);
    const run = group?.runs.find((r) => r.fired.some((f) => f.rule === rule && f.event.type === 'escalate'));
    return run ? { rule, ruleset: run.ruleset, version: run.version } : { rule, ruleset: '', version: 0 };
  }
  const winner = groupOf(groups, entry)?.winners[outcome];
  return winner && winner.fired.verdict?.kind === 'decided' ? refOf(winner.fired, winner.run) : null;
}

function moveOf(groups: readonly Group[], e: TimelineEntry): Move {
  const d = e.data;
  const reason = text(d.reason);
  const byRules = e.type === 'case.escalated' ? text(d.rule) !== null : (reason ?? '').startsWith(BY_RULES);
  const rule = byRules ? moveRule(groups, e, e.type === 'case.escalated' ? 'escalation' : 'queue') : null;
  return {
    entryId: e.id,
    at: e.at,
    actor: e.actor,
    fromQueue: text(d.fromQueue),
    queue: String(d.queue ?? ''),
    tier: num(d.tier),
    // A transfer by rules or a reassignment without a reason is worded by Casebook: not a reason anyone gave.
    reason: e.type === 'case.transferred' && (byRules || reason === `reassigned by ${e.actor.name}`) ? null : reason,
    rule,
    byRules,
    event: byRules ? (e.type === 'case.transferred' ? reason!.slice(BY_RULES.length) : (groupOf(groups, e)?.event ?? null)) : null,
  };
}

/** Who set the value a `case.routed` entry gave, for each outcome. */
function intakeOrigin(groups: readonly Group[], e: TimelineEntry, outcome: 'queue' | 'priority' | 'slaPolicy'): Origin {
  const from = { entryId: e.id, type: e.type, at: e.at };
  const intake = groups.find((g) => g.routed === e);
  const winner = intake?.winners[outcome];
  if (winner && winner.fired.verdict?.kind === 'decided') return { ...from, how: 'rule', rule: refOf(winner.fired, winner.run), event: 'case.created', previous: null, reason: null };
  const d = e.data;
  if (outcome === 'queue') {
    if (d.chosen) return { ...from, how: 'chosen', actor: e.actor };
    if (text(d.defaultQueue) && d.queue === d.defaultQueue) return { ...from, how: 'intakeDefault' };
    const failure = intake?.effects.find((x) => x.type === 'rules.failed' && !text(x.data.ruleset) && x.data.event === 'case.created' && String(x.data.error ?? '').startsWith('queue "'));
    return { ...from, how: 'fallback', why: text(d.error) ?? text(failure?.data.error) };
  }
  // No rule set it: the priority asked for at intake, the SLA config's default policy.
  return outcome === 'priority' ? { ...from, how: 'requested' } : { ...from, how: 'default' };
}

/** The case's story from its timeline (oldest entry first) and what it has now. */
export function explainCase(entries: readonly TimelineEntry[], now: CaseNow): CaseStory {
  const groups = groupsOf(entries);
  groups.forEach(judge);
  // In the order they ran: intake's (routing first), then each later event's.
  const story: CaseStory = { queue: null, priority: null, slaPolicy: null, runs: groups.flatMap((g) => g.runs), escalations: [], transfers: [] };
  // The value each origin gave, to keep only those that still hold.
  const values: { queue: unknown; priority: unknown; slaPolicy: unknown } = { queue: undefined, priority: undefined, slaPolicy: undefined };
  const set = (key: 'queue' | 'priority' | 'slaPolicy', origin: Origin, value: unknown) => {
    story[key] = origin;
    values[key] = value;
  };
  for (const e of entries) {
    const d = e.data;
    const from = { entryId: e.id, type: e.type, at: e.at };
    switch (e.type) {
      case 'case.routed':
        set('queue', intakeOrigin(groups, e, 'queue'), d.queue);
        set('priority', intakeOrigin(groups, e, 'priority'), d.priority);
        set('slaPolicy', intakeOrigin(groups, e, 'slaPolicy'), d.slaPolicy);
        break;
      case 'case.transferred':
      case 'case.escalated': {
        const move = moveOf(groups, e);
        (e.type === 'case.escalated' ? story.escalations : story.transfers).push(move);
        const origin: Origin = move.byRules
          ? { ...from, how: 'rule', rule: move.rule, event: move.event ?? '', previous: move.fromQueue, reason: move.reason }
          : { ...from, how: 'staff', actor: e.actor, previous: move.fromQueue, reason: move.reason };
        set('queue', origin, move.queue);
        break;
      }
      case 'case.priority_changed':
        set('priority', { ...from, how: 'staff', actor: e.actor, previous: text(d.from), reason: null }, d.to);
        break;
      case 'case.updated': {
        const group = d.by === 'rules' ? groupOf(groups, e) : undefined;
        for (const key of ['priority', 'slaPolicy'] as const) {
          const c = change(d.changes, key);
          if (!c) continue;
          const previous = text(c[0]);
          if (d.by === 'rules') {
            const winner = group?.winners[key];
            const rule = winner && paramOf(winner.fired, key) === c[1] ? refOf(winner.fired, winner.run) : null;
            set(key, { ...from, how: 'rule', rule, event: text(d.event) ?? group?.event ?? '', previous, reason: null }, c[1]);
          } else if (d.by === 'reapply') {
            const config = change(d.changes, 'slaConfigVersion');
            set(key, { ...from, how: 'reapplied', previous, configFrom: num(config?.[0]), configTo: num(config?.[1]) }, c[1]);
          } else {
            set(key, { ...from, how: 'staff', actor: e.actor, previous, reason: null }, c[1]);
          }
        }
        break;
      }
    }
  }
  if (values.queue !== now.queue) story.queue = null;
  if (values.priority !== now.priority) story.priority = null;
  if (values.slaPolicy !== now.slaPolicy) story.slaPolicy = null;
  return story;
}
