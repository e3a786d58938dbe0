/**
 * A metric's clock as it would have run, rebuilt from the case's timeline: for a timer that
 * starts late (a target that now applies after a priority, policy or SLA config change), or a
 * target cut below the minutes a clock had used before its current stretch. Reads the entries
 * that move the case between states (`case.transitioned`, a workflow re-apply that mapped the
 * state), its messages and its logged calls, and asks the workflow version the case runs on now
 * what each state did to the metric (the caller's `clock`, case-timers.ts `stateClockEffect`).
 *
 * What the timeline does not record, and how it is read: a state's category and `sla` rules at
 * the time (an older workflow version may have paused other states: the current version's are
 * used; a state the current version does not have counts as running); a case not yet stored has
 * no timeline (it stayed in its current state since its creation).
 */
import type { SlaMetric } from '../db/schema/index.js';
import { and, eq, inArray } from 'drizzle-orm';
import { callAnswers } from '../cases/call-answers.js';
import type { CaseContext } from '../workflow/context.js';
import { addBusinessMinutes, businessMinutesBetween, type BusinessCalendar } from './calendar.js';

interface Entry {
  id: number;
  type: string;
  at: number;
  actorType: string;
  data: Record<string, unknown>;
}

/** A stretch of time the case spent in one state, [from, to). */
interface Stretch {
  from: number;
  to: number;
  state: string;
}

export interface CaseHistory {
  stretches: Stretch[];
  /**
   * The oldest customer message (or their call on the case) not answered yet after the first
   * response — by a public staff reply or a call in which staff spoke with them — or null.
   */
  unansweredSince: number | null;
  /** When the case first entered a state that starts `metric` (`sla.start`), or null. */
  enteredStarting(metric: SlaMetric): number | null;
}

const TYPES = ['case.transitioned', 'workflow.reapplied', 'customer.replied', 'staff.replied', 'call.logged'];

async function entries(ctx: CaseContext): Promise<Entry[]> {
  if (!ctx.stored) return [];
  const t = ctx.q.tables.caseEvents;
  const rows = await ctx.q.db
    .select({ id: t.id, type: t.type, at: t.at, actorType: t.actorType, data: t.data })
    .from(t)
    .where(and(eq(t.caseId, ctx.case.id), inArray(t.type, TYPES)))
    .orderBy(t.id);
  return rows.map((r) => ({ ...r, data: (r.data ?? {}) as Record<string, unknown> }));
}

/**
 * What answers the customer, as the SLA clocks count it (docs/sla.md, *Calls*): a public staff
 * reply, or a call in which staff spoke with them (log-call.ts tells the clocks the same).
 */
function answers(e: Entry): boolean {
  return e.type === 'staff.replied' || (e.type === 'call.logged' && callAnswers(e.actorType, e.data.direction));
}

/**
 * The customer getting in touch: a message, or a provider's inbound call appended to the case
 * (it tells `customer.replied` without a message of its own; the call that opened the case, at
 * its creation, is the request itself). A staff-logged inbound call is their contact and its
 * answer at once: `answers` covers it. A thank-you on a resolved case is not a contact.
 */
function contacts(e: Entry, createdAt: number): boolean {
  // A thank-you on a resolved case (`thanks`, src/cases/add-message.ts) is owed no answer.
  if (e.type === 'customer.replied') return e.data.thanks !== true;
  return e.type === 'call.logged' && !answers(e) && e.at > createdAt;
}

/** The states the case went through since its creation, and its unanswered messages, from its timeline. */
export async function caseHistory(ctx: CaseContext): Promise<CaseHistory> {
  const list = await entries(ctx);
  const moves = list.filter((e) => (e.type === 'case.transitioned' || e.type === 'workflow.reapplied') && typeof e.data.to === 'string');
  const initial = moves.length > 0 ? String(moves[0]!.data.from ?? ctx.case.status) : ctx.case.status;
  let state = initial;
  let from = ctx.case.createdAt;
  const stretches: Stretch[] = [];
  for (const m of moves) {
    const at = Math.max(from, m.at);
    if (at > from) stretches.push({ from, to: at, state });
    from = at;
    state = String(m.data.to);
  }
  if (ctx.now > from) stretches.push({ from, to: ctx.now, state });

  let unansweredSince: number | null = null;
  if (ctx.case.firstResponseAt !== null) {
    for (const e of list) {
      if (answers(e)) unansweredSince = null;
      else if (contacts(e, ctx.case.createdAt) && unansweredSince === null && e.at >= ctx.case.firstResponseAt) unansweredSince = e.at;
    }
  }
  return {
    stretches,
    unansweredSince,
    enteredStarting(metric) {
      const starts = (name: string) => ctx.workflow.states[name]?.sla?.start?.includes(metric) === true;
      if (starts(initial)) return ctx.case.createdAt;
      return moves.find((m) => starts(String(m.data.to)))?.at ?? null;
    },
  };
}

/** How a metric's clock ran from `since` to now: the business minutes it used, and when it had used a given amount. */
export interface MetricClock {
  usedMinutes: number;
  /** The instant the clock had used `minutes` (> 0), or null if it has not yet. */
  instantAt(minutes: number): number | null;
}

export function metricClock(history: CaseHistory, runs: (state: string) => boolean, since: number, cal: BusinessCalendar): MetricClock {
  const running = history.stretches
    .filter((s) => s.to > since && runs(s.state))
    .map((s) => ({ from: Math.max(s.from, since), to: s.to }))
    .map((s) => ({ ...s, minutes: businessMinutesBetween(cal, s.from, s.to) }));
  return {
    usedMinutes: running.reduce((sum, s) => sum + s.minutes, 0),
    instantAt(minutes) {
      let used = 0;
      for (const s of running) {
        if (used + s.minutes >= minutes) return addBusinessMinutes(cal, s.from, minutes - used);
        used += s.minutes;
      }
      return null;
    },
  };
}
