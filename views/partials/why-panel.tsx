/**
 * "Why is this case here?" (PRODUCT.md: the fired rules, SLA policy and pause reasons on every
 * case), told from the timeline (src/cases/why-here.ts): how the case got its queue, priority
 * and SLA policy — by which rule (with its ruleset and version), or by whom, when and why —,
 * every time rules ran with what each fired rule did (decided, overruled by the winner, changed
 * nothing), the SLA clocks and why they are paused, the escalations and the transfers.
 */
import type { StaffCasePageData } from '../../src/http/pages/case-data.js';
import type { Move, Origin, Outcome, RuleRef, RulesRun, Verdict } from '../../src/cases/why-here.js';
import { CsrfField, Time } from '../components.js';
import { describeRuleEvent } from './case-panels.js';
import { capitalized, whenEvent } from './event-names.js';
import { SlaList } from './sla.js';

type Names = Record<string, string>;

/** `the rule “Billing questions go to billing” (routing rules, version 1)` */
function ruleText(r: RuleRef | null): string {
  if (!r) return 'the rules';
  return r.ruleset ? `the rule “${r.rule}” (${r.ruleset} rules, version ${r.version})` : `the rule “${r.rule}”`;
}

const OUTCOME_WORDS: Record<Outcome, string> = { queue: 'the queue', priority: 'the priority', slaPolicy: 'the SLA policy', escalation: 'the escalation' };

function verdictText(v: Verdict): string {
  switch (v.kind) {
    case 'decided':
      return v.outcome === 'escalation' ? 'escalated the case' : `decided ${OUTCOME_WORDS[v.outcome]}`;
    case 'overruled': {
      const why = v.because === 'priority' ? 'it has a higher priority' : v.because === 'order' ? 'the same priority, and it comes first in the file' : `the ${v.by.ruleset} rules ran first`;
      return `overruled by “${v.by.rule}” (${why}), which ${v.outcome === 'escalation' ? 'escalated instead' : `set ${OUTCOME_WORDS[v.outcome]}`}`;
    }
    case 'unchanged':
      return v.outcome === 'escalation' ? 'changed nothing: the case was already there' : `changed nothing: the case already had ${v.outcome === 'queue' ? 'that queue' : v.outcome === 'priority' ? 'that priority' : 'that SLA policy'}`;
    case 'notApplied':
      if (v.why === 'chosen') return 'not applied: the queue was chosen when the case was created';
      if (v.why === 'failed') return `failed: ${v.detail ?? 'see the timeline'}`;
      return v.outcome === 'slaPolicy' ? 'not applied: no such SLA policy, the default applies' : `not applied: ${v.detail ?? `no such active ${v.outcome === 'queue' ? 'queue' : 'value'}`}`;
  }
}

function RulesRuns({ runs, d }: { runs: RulesRun[]; d: StaffCasePageData }) {
  const v = d.view;
  const queues = d.timelineNames.queues;
  const routingEntry = v.routing ? runs.find((r) => r.event === 'case.created' && r.ruleset === v.routing!.ruleset) : undefined;
  const shown = runs.filter((r) => r === routingEntry || r.fired.length > 0 || r.error !== null);
  if (shown.length === 0) return <>None</>;
  const nothing = v.routing?.defaultQueue ? 'None: the case went to its default queue with its requested priority.' : 'None: the case went to the fallback queue with its requested priority.';
  return (
    <ul class="plain-list why-runs">
      {shown.map((run) => (
        <li id={`why-run-${run.entryId}`}>
          <span class="why-run">
            {`${capitalized(run.ruleset ? `the ${run.ruleset} rules (version ${run.version})` : 'the rules')}, ${whenEvent(run.event)}`}
            {run.event === 'case.created' ? null : (
              <>
                {' '}
                <Time at={run.at} />
              </>
            )}
            {':'}
          </span>
          {run.fired.length > 0 ? (
            <ul class="plain-list">
              {run.fired.map((f) => (
                <li class={f.verdict?.kind === 'overruled' ? 'why-overruled' : undefined}>
                  <strong>{f.rule}</strong>
                  {` → ${describeRuleEvent(f.event, queues)}`}
                  {f.verdict ? <span class="why-verdict">{` — ${verdictText(f.verdict)}`}</span> : null}
                </li>
              ))}
            </ul>
          ) : run === routingEntry ? (
            <p class="muted">{nothing}</p>
          ) : (
            <p class="field-error">{`Rules failed: ${run.error ?? ''}`}</p>
          )}
        </li>
      ))}
    </ul>
  );
}

/** How the value the case has now was set: by which rule or whom, when (but at intake) and why. */
function HowSet({ origin, kind, names }: { origin: Origin | null; kind: 'queue' | 'priority' | 'slaPolicy'; names: Names }) {
  if (!origin) return null;
  const was = (previous: string | null) => (kind === 'queue' && previous !== null ? (names[previous] ?? previous) : (previous ?? '—'));
  let text: string;
  let reason: string | null = null;
  switch (origin.how) {
    case 'rule': {
      const by = `${ruleText(origin.rule)} ${whenEvent(origin.event)}`;
      if (origin.type === 'case.routed') text = `${kind === 'queue' ? 'Routed here' : 'Set'} by ${by}`;
      else if (origin.type === 'case.escalated') text = `Escalated here from ${was(origin.previous)} by ${by}`;
      else if (origin.type === 'case.transferred') text = `Moved here from ${was(origin.previous)} by ${by}`;
      else text = `Changed from ${was(origin.previous)} by ${by}`;
      reason = origin.reason;
      break;
    }
    case 'staff': {
      const verb = origin.type === 'case.escalated' ? 'Escalated here' : origin.type === 'case.transferred' ? 'Moved here' : 'Changed';
      text = `${verb} from ${was(origin.previous)} by ${origin.actor.name}`;
      reason = origin.reason && `“${origin.reason}”`;
      break;
    }
    case 'chosen':
      text = `Chosen by ${origin.actor.name} when the case was created`;
      break;
    case 'requested':
      text = 'As requested when the case was created: no rule set it';
      break;
    case 'default':
      text = 'The default policy: no rule set one';
      break;
    case 'intakeDefault':
      text = 'The default queue of the way it came in: no rule routed the case';
      break;
    case 'fallback':
      text = `The fallback queue: ${origin.why ?? 'no rule routed the case'}`;
      break;
    case 'reapplied':
      text = `Re-applied with SLA config version ${origin.configTo ?? '—'} (was ${origin.previous ?? '—'} under version ${origin.configFrom ?? '—'})`;
      break;
  }
  // At intake the time is the case's own; later, when it happened.
  const when = origin.type !== 'case.routed' && !(origin.how === 'rule' && origin.event === 'case.created');
  return (
    <p class="muted why-how" id={`why-${kind}-how`}>
      {text}
      {when ? (
        <>
          {', '}
          <Time at={origin.at} />
        </>
      ) : null}
      {reason ? `: ${reason}${/[.!?…”]$/.test(reason) ? '' : '.'}` : '.'}
    </p>
  );
}

function Escalation({ e, names }: { e: Move; names: Names }) {
  const rule = e.rule ? (e.rule.ruleset ? ` (rule “${e.rule.rule}”, ${e.rule.ruleset} rules, version ${e.rule.version})` : ` (rule “${e.rule.rule}”)`) : ` by ${e.actor.name}`;
  return (
    <li>
      {`To ${names[e.queue] ?? e.queue} (tier ${e.tier ?? '—'})${e.reason ? `: ${e.reason}` : ''}${rule} · `}
      <Time at={e.at} />
    </li>
  );
}

function Transfer({ t, names }: { t: Move; names: Names }) {
  const by = t.byRules ? `${ruleText(t.rule)}${t.event ? ` ${whenEvent(t.event)}` : ''}` : t.actor.name;
  return (
    <li>
      {`From ${t.fromQueue === null ? '—' : (names[t.fromQueue] ?? t.fromQueue)} to ${names[t.queue] ?? t.queue} by ${by}${t.reason ? `: ${t.reason}` : ''} · `}
      <Time at={t.at} />
    </li>
  );
}

/** "Keep this as an example": one click adds the case, with what happened to it, to a ruleset's examples (a new draft). */
function KeepAsExample({ d, csrfToken }: { d: StaffCasePageData; csrfToken: string }) {
  if (d.exampleRulesets.length === 0) return null;
  return (
    <form method="post" action={`/manage/rules/${encodeURIComponent(d.exampleRulesets[0]!)}/examples`} class="keep-example" id="keep-example">
      <CsrfField token={csrfToken} />
      <input type="hidden" name="case" value={d.ref} />
      <span class="keep-example-label">Keep this case as an example of the rules:</span>{' '}
      {d.exampleRulesets.map((name, i) => (
        <button type="submit" class="button button-secondary button-small" formaction={`/manage/rules/${encodeURIComponent(name)}/examples`} id={`keep-example-${i}`}>
          {name}
        </button>
      ))}
    </form>
  );
}

export function WhyPanel({ d, oob, csrfToken }: { d: StaffCasePageData; oob?: boolean; csrfToken?: string }) {
  const v = d.view;
  const why = d.why;
  const names = d.timelineNames.queues ?? {};
  const paused = d.timers.filter((t) => t.level === 'paused');
  return (
    <section class="panel" id="case-why" aria-labelledby="why-heading" hx-swap-oob={oob ? 'true' : undefined}>
      <h2 id="why-heading">Why is this case here?</h2>
      <dl class="facts">
        <dt>Queue</dt>
        <dd id="why-queue">
          <span>{`${names[v.queue] ?? v.queue} (tier ${v.tier})`}</span>
          <HowSet origin={why.queue} kind="queue" names={names} />
        </dd>
        <dt>Priority</dt>
        <dd id="why-priority">
          <span>{v.priority}</span>
          <HowSet origin={why.priority} kind="priority" names={names} />
        </dd>
        <dt>Routing</dt>
        <dd id="why-routing">
          {v.routing ? `${v.routing.ruleset} ruleset, version ${v.routing.version}` : 'Not routed by rules'}
          {v.routing?.error ? <p class="field-error">{`Rules failed: ${v.routing.error}`}</p> : null}
          {v.routing?.defaultQueue ? <p class="muted">{`Came in through ${v.routing.mailbox ? `the mailbox ${v.routing.mailbox}` : 'an intake path'}, whose default queue is ${names[v.routing.defaultQueue] ?? v.routing.defaultQueue}: it applies unless a rule routes the case.`}</p> : null}
        </dd>
        <dt>Rules that fired</dt>
        <dd id="why-rules">
          <RulesRuns runs={why.runs} d={d} />
        </dd>
        <dt>SLA policy</dt>
        <dd id="why-policy">
          <span>{v.slaPolicy ? `${v.slaPolicy} (SLA config version ${d.row.slaConfigVersion ?? '—'})` : 'None'}</span>
          <HowSet origin={why.slaPolicy} kind="slaPolicy" names={names} />
        </dd>
        <dt>SLA clocks</dt>
        <dd>
          <SlaList timers={d.timers} />
        </dd>
        {paused.length > 0 ? (
          <>
            <dt>Paused because</dt>
            <dd>{paused.map((t) => t.pauseReason ?? 'paused by the workflow state').join('; ')}</dd>
          </>
        ) : null}
        {v.skills.length > 0 ? (
          <>
            <dt>Required skills</dt>
            <dd>{v.skills.join(', ')}</dd>
          </>
        ) : null}
        {v.waitingSince ? (
          <>
            <dt>Waiting</dt>
            <dd>
              For an available agent since <Time at={v.waitingSince} />
            </dd>
          </>
        ) : null}
        <dt>Escalations</dt>
        <dd id="why-escalations">
          {why.escalations.length === 0 ? (
            'None'
          ) : (
            <ul class="plain-list">
              {why.escalations.map((e) => (
                <Escalation e={e} names={names} />
              ))}
            </ul>
          )}
        </dd>
        {why.transfers.length > 0 ? (
          <>
            <dt>Transfers</dt>
            <dd id="why-transfers">
              <ul class="plain-list">
                {why.transfers.map((t) => (
                  <Transfer t={t} names={names} />
                ))}
              </ul>
            </dd>
          </>
        ) : null}
        <dt>Workflow</dt>
        <dd>{`${v.workflow.name} version ${v.workflow.version}, state ${v.statusLabel}`}</dd>
      </dl>
      {csrfToken ? <KeepAsExample d={d} csrfToken={csrfToken} /> : null}
    </section>
  );
}
