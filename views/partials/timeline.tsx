/**
 * The case timeline. Staff see everything (messages, internal notes, state changes,
 * assignment, routing, SLA events, escalations); customers see the customer projection's
 * timeline (`customerTimeline`): the public conversation and status changes in their
 * wording. Every value is rendered as text.
 */
import type { TimelineEntry } from '../../src/cases/case-view.js';
import type { CustomerTimelineEntry } from '../../src/cases/customer-view.js';
import { metricLabel } from '../../src/http/pages/sla-status.js';
import type { ProfileChanges } from '../../src/db/schema/index.js';
import { Time } from '../components.js';
import { skipReasonText, type SkippedFile } from '../../src/attachments/limits.js';
import { templateSpec } from '../../src/notifications/template-catalog.js';
import { formatBytes } from '../../src/attachments/settings.js';
import { formatDuration } from '../../src/cases/log-call.js';
import { AttachmentList, type FileLink } from './attachments.js';
import { describeProfileChanges } from './case-panels.js';
import { capitalized, eventClause, rulesetName, whenEvent } from './event-names.js';
import { describeChanges, describeChat, describeData, describeNotification, list, str } from './timeline-text.js';

type Labels = Record<string, string>;

/** Names people read for what the entries store by id: states, transitions, queues (all optional: an id stands in). */
export interface TimelineNames {
  states: Labels;
  transitions?: Labels;
  queues?: Labels;
  /** Whether the case has a current solution and rating (see `earlierEntries`); omitted: both. */
  current?: Current;
}

/** Whether the case has a current solution and a current rating: a reopen leaves it neither. */
export interface Current {
  solution: boolean;
  rating: boolean;
}

/**
 * The solution and rating entries of earlier resolutions: a solution and a rating belong to a
 * resolution, so only the last of each is current, and none once the case was reopened (the
 * case has no current one). Those are labelled *Earlier solution* / *earlier rating*.
 */
export function earlierEntries(entries: readonly { id: number; type: string; solution?: unknown }[], current: Current = { solution: true, rating: true }): Set<number> {
  const solutions = entries.filter((e) => e.type === 'case.transitioned' && typeof e.solution === 'string' && e.solution !== '').map((e) => e.id);
  const ratings = entries.filter((e) => e.type === 'case.rated').map((e) => e.id);
  return new Set([...(current.solution ? solutions.slice(0, -1) : solutions), ...(current.rating ? ratings.slice(0, -1) : ratings)]);
}

/** What every entry has, staff or customer. */
type EntryRef = { id: number; at: string };

/** The files of an entry, linked under the case. */
type Files = { caseRef: string; files: FileLink[] | undefined };

function Message(p: { entry: EntryRef; body: string; kind: 'customer' | 'staff' | 'note'; heading: string; files?: Files; children?: unknown }) {
  return (
    <li class={`event event-message message-${p.kind}`} id={`event-${p.entry.id}`}>
      <div class="event-meta">
        <strong>{p.heading}</strong> <Time at={p.entry.at} />
      </div>
      <div class="message-body" dir="auto">{p.body}</div>
      {p.files ? <AttachmentList caseRef={p.files.caseRef} files={p.files.files} /> : null}
      {(p.children as never) ?? null}
    </li>
  );
}

/**
 * On a mail held for review (staff timeline, open case): post it as the customer's message
 * (src/channels/email/accept-review.ts), optionally copying the sender on the case. A plain form.
 */
function AcceptReviewedMail(p: { caseRef: string; note: number; from: string; csrfToken: string }) {
  return (
    <form method="post" action={`/cases/${p.caseRef}/reviewed-mail/${p.note}`} class="review-accept stack" hx-boost="false">
      <input type="hidden" name="_csrf" value={p.csrfToken} />
      <label for={`review-copy-${p.note}`}>
        <input type="checkbox" name="copy" value="1" id={`review-copy-${p.note}`} />
        {` Also copy ${p.from} on the case: their later mail is posted as the customer's without review, and they get the replies`}
      </label>
      <button type="submit" class="button button-secondary" id={`review-accept-${p.note}`}>
        Post as the customer's message
      </button>
    </form>
  );
}

/** What a staff timeline entry needs beside itself: earlier entries, the mails held for review already accepted, the token for forms on it. */
interface EntryContext {
  earlier: Set<number>;
  accepted: Set<number>;
  csrfToken: string | undefined;
}

function Line(p: { entry: EntryRef; kind: string; children: unknown; detail?: string | undefined; detailLabel?: string; files?: Files }) {
  return (
    <li class={`event event-${p.kind}`} id={`event-${p.entry.id}`}>
      <div class="event-meta">
        <span class="event-text">{p.children as never}</span> <Time at={p.entry.at} />
      </div>
      {p.detail ? (
        <div class="event-detail">
          {p.detailLabel ? <span class="detail-label">{p.detailLabel}: </span> : null}
          {p.detail}
        </div>
      ) : null}
      {p.files ? <AttachmentList caseRef={p.files.caseRef} files={p.files.files} /> : null}
    </li>
  );
}

/** Files of an inbound mail that were not stored (over a limit), listed so nothing is dropped silently. */
function skippedText(d: Record<string, unknown>): string | undefined {
  const skipped = Array.isArray(d.skippedAttachments) ? (d.skippedAttachments as SkippedFile[]) : [];
  if (skipped.length === 0) return undefined;
  const limits = (d.attachmentLimits ?? {}) as { maxBytes: number; maxCount: number; maxTotalBytes: number };
  const shown = skipped.map((f) => `${str(f.filename)} (${formatBytes(Number(f.size) || 0)}: ${skipReasonText(f.reason, limits)})`).join(', ');
  const more = typeof d.skippedCount === 'number' && d.skippedCount > skipped.length ? ` … and ${d.skippedCount - skipped.length} more` : '';
  return `${shown}${more}`;
}

/** A phone call or visit: who, how long, the provider's recording and transcript, the notes. */
function CallEntry({ e }: { e: TimelineEntry }) {
  const d = e.data;
  const seconds = typeof d.durationSeconds === 'number' ? d.durationSeconds : 0;
  const walkIn = d.channel === 'walk-in';
  const what = walkIn ? 'Visit' : d.direction === 'outbound' ? 'Outbound call' : 'Phone call';
  const who = d.author ? ` logged by ${str(d.author)}` : d.from === 'withheld' ? ' from a withheld number' : typeof d.from === 'string' ? ` ${d.direction === 'outbound' ? 'to' : 'from'} ${d.from}` : '';
  const links = [
    typeof d.recordingUrl === 'string' ? { href: d.recordingUrl, label: 'Recording' } : null,
    typeof d.transcriptUrl === 'string' ? { href: d.transcriptUrl, label: 'Transcript' } : null,
  ].filter((l): l is { href: string; label: string } => l !== null);
  return (
    <Line entry={e} kind="call" detail={typeof d.notes === 'string' ? d.notes : undefined} detailLabel="Notes">
      {`${what}${who}${seconds > 0 ? ` · ${formatDuration(seconds)}` : ''}`}
      {links.map((l) => (
        <>
          {' · '}
          <a href={l.href} rel="noopener noreferrer nofollow" target="_blank" class="call-link">
            {l.label}
          </a>
        </>
      ))}
    </Line>
  );
}

function staffEntry(e: TimelineEntry, names: TimelineNames, caseRef: string, { earlier, accepted, csrfToken }: EntryContext) {
  const d = e.data;
  const files: Files = { caseRef, files: e.attachments };
  const by = e.actor.name;
  const state = (name: unknown) => names.states[str(name)] ?? str(name);
  const transition = (name: unknown) => names.transitions?.[str(name)] ?? str(name);
  const queue = (id: unknown) => names.queues?.[str(id)] ?? str(id);
  // A copy of a merged duplicate's message (src/cases/merge-case.ts) says where it came from.
  const origin = typeof d.mergedFrom === 'string' ? ` · from ${d.mergedFrom}${d.request ? ' (its request)' : ''}` : '';
  switch (e.type) {
    case 'case.merged':
      return (
        <Line entry={e} kind="state" detail={str(d.note)} detailLabel="Note">
          {'Merged into '}
          <a href={`/cases/${str(d.into)}`} class="merge-link">
            {str(d.into)}
          </a>
          {` by ${by}: ${str(d.messages)} ${d.messages === 1 ? 'entry' : 'entries'} copied there${d.differentCustomer ? ' as internal notes (another customer’s case)' : ''}`}
        </Line>
      );
    case 'case.duplicate_merged':
      return (
        <Line entry={e} kind="state" detail={str(d.note)} detailLabel="Note">
          <a href={`/cases/${str(d.from)}`} class="merge-link">
            {str(d.from)}
          </a>
          {` (“${str(d.subject)}”) was merged into this case by ${by}: its ${str(d.messages)} ${d.messages === 1 ? 'entry follows' : 'entries follow'}${d.differentCustomer ? ' as internal notes (another customer’s case)' : ''}`}
        </Line>
      );
    case 'customer.replied':
      return (
        <Message entry={e} body={str(e.data.body)} kind="customer" heading={`${d.from ? `${str(d.from)} (copied)` : `${by} (customer)`} wrote${d.via === 'email' ? ' by email' : ''}${d.sentBy ? ` (Reply-To of a mail sent by ${str(d.sentBy)})` : ''}${d.thanks ? ' only to thank: the case stays resolved' : ''}${origin}`} files={files} />
      );
    case 'staff.replied':
      return <Message entry={e} body={str(e.data.body)} kind="staff" heading={`${by} replied to the customer${origin}`} files={files} />;
    case 'staff.noted':
      if (d.review) {
        const done = accepted.has(e.id);
        return (
          <Message entry={e} body={str(e.data.body)} kind="note" heading={`Mail from ${str(d.from)}, for review: ${done ? "posted as the customer's message since" : `not posted as the customer's (${str(d.reviewReason)})`}${origin}`} files={files}>
            {!done && csrfToken && typeof d.from === 'string' ? <AcceptReviewedMail caseRef={caseRef} note={e.id} from={d.from} csrfToken={csrfToken} /> : null}
          </Message>
        );
      }
      if (d.mergedType) {
        const what = d.mergedType === 'customer.replied' ? 'wrote (another customer’s case: internal here)' : d.mergedType === 'staff.replied' ? 'replied to their customer (internal here)' : 'noted';
        return <Message entry={e} body={str(e.data.body)} kind="note" heading={`${str(d.author)} ${what}${origin}`} files={files} />;
      }
      return <Message entry={e} body={str(e.data.body)} kind="note" heading={`Internal note by ${by}${origin}`} files={files} />;
    case 'email.accepted':
      return <Line entry={e} kind="system">{`${by} posted the mail from ${str(d.from)} as the customer's message${d.copied === true ? `, and copied ${str(d.from)} on the case` : ''}`}</Line>;
    case 'email.received':
      return (
        <Line entry={e} kind="system" detail={skippedText(d)} detailLabel="Attachments not stored" files={files}>
          {`Received by email from ${str(d.from)}${d.sentBy ? ` (Reply-To of a mail sent by ${str(d.sentBy)})` : ''}${d.forwardedBy ? `, forwarded by ${str(d.forwardedBy)}` : ''}${Array.isArray(d.cc) && d.cc.length ? `, copied: ${list(d.cc)}` : ''}${d.followUpOf ? `, a follow-up of ${str(d.followUpOf)}` : ''}${typeof d.contactsLeftOut === 'number' ? ` (${d.contactsLeftOut} more recipients not copied on replies: at most 50 per case)` : ''}${d.acknowledged === false ? `; not acknowledged: ${str(d.ackSkipped)}` : ''}`}
        </Line>
      );
    case 'email.sent': {
      const copied = Array.isArray(d.cc) && d.cc.length ? `, copied: ${list(d.cc)}` : '';
      if (d.kind === 'missed-replies') {
        const n = Array.isArray(d.replies) ? d.replies.length : 0;
        const what = `${n} chat ${n === 1 ? 'reply' : 'replies'} the visitor did not see`;
        if (d.delivered !== true) return <Line entry={e} kind="system">{`“Replies you may have missed” not mailed (${what}): ${str(d.reason)}`}</Line>;
        const attached = Array.isArray(d.attachments) && d.attachments.length ? ` with ${d.attachments.length} attachment${d.attachments.length === 1 ? '' : 's'}` : '';
        return <Line entry={e} kind="system">{`“Replies you may have missed” mailed to ${list(d.to)}${copied}${attached}: ${what}`}</Line>;
      }
      if (d.delivered !== true) return <Line entry={e} kind="system">{`Reply not mailed: ${str(d.reason)}`}</Line>;
      const tries = typeof d.attempts === 'number' && d.attempts > 1 ? ` (after ${d.attempts} attempts)` : '';
      const attached = Array.isArray(d.attachments) && d.attachments.length ? ` with ${d.attachments.length} attachment${d.attachments.length === 1 ? '' : 's'}` : '';
      return <Line entry={e} kind="system">{`Reply mailed to ${list(d.to)}${copied}${attached}${tries}`}</Line>;
    }
    case 'email.held': {
      const what = d.kind === 'missed-replies' ? '“Replies you may have missed”' : `“${templateSpec(str(d.template))?.title ?? str(d.template)}”`;
      return <Line entry={e} kind="sla-alert" detail={str(d.reason)} detailLabel="Why">{`Mail ${what} to ${list(d.to)} held until an agent confirms the address`}</Line>;
    }
    case 'email.released': {
      const n = Array.isArray(d.held) ? d.held.length : 0;
      const dropped = Array.isArray(d.dropped) ? d.dropped.length : 0;
      const notSent = dropped ? `; ${dropped} not sent: the case has moved on since (a status mail no longer true)` : '';
      return <Line entry={e} kind="system">{`${by} confirmed ${list(d.to)}: ${n} held mail${n === 1 ? '' : 's'} sent${notSent}`}</Line>;
    }
    case 'email.failed':
      return (
        <Line entry={e} kind="sla-alert" detail={str(d.error)} detailLabel="SMTP">
          {`${d.kind === 'reply' ? 'Reply' : d.kind === 'missed-replies' ? '“Replies you may have missed”' : `Notification ${str(d.template)}`} to ${list(d.to)}: sending failed (attempt ${str(d.attempt)}), ${d.retry ? 'will retry' : 'gave up'}`}
        </Line>
      );
    case 'email.bounced':
      // A delay report (the sending server keeps trying) or a success report is no failure.
      // Which addresses the report is about (a DSN's recipients), when it names them: a copy bouncing is not the customer's.
      if (d.action === 'delayed') return <Line entry={e} kind="system" detail={str(d.detail)}>{`Mail delivery delayed${Array.isArray(d.recipients) ? ` to ${list(d.recipients)}` : ''}: the mail server keeps trying (report from ${str(d.from)})`}</Line>;
      if (d.action === 'delivered') return <Line entry={e} kind="system" detail={str(d.detail)}>{`Mail delivered${Array.isArray(d.recipients) ? ` to ${list(d.recipients)}` : ''} (report from ${str(d.from)})`}</Line>;
      return <Line entry={e} kind="sla-alert" detail={str(d.detail)}>{`Mail delivery failed${Array.isArray(d.recipients) ? ` to ${list(d.recipients)}` : ''} (bounce from ${str(d.from)})`}</Line>;
    case 'case.created':
      // Intake records case.created with its details, then raises it (no data) for subscribers.
      if (d.channel === undefined) return null;
      return <Line entry={e} kind="system" files={files}>{d.imported ? `Created via ${str(d.channel)} (imported history)` : `Created by ${by} via ${str(d.channel)}`}</Line>;
    case 'case.imported':
      return (
        <Line entry={e} kind="system" detail={d.live ? 'Still open: live work from here on (assignment, SLA clocks)' : 'History only: nothing live was started'}>
          {`Imported${d.externalId ? ` as ${str(d.externalId)}` : ''} by ${by}`}
        </Line>
      );
    case 'case.diagnosed': {
      const titles = Array.isArray(d.suggestions) ? d.suggestions.map((s) => str((s as { title?: unknown }).title)).join('; ') : '';
      return <Line entry={e} kind="system" detail={titles} detailLabel="Suggestions">{d.matched ? 'Matched a known problem' : 'Similar known problems found'}</Line>;
    }
    case 'case.routed':
      return (
        <Line entry={e} kind="system" detail={list(Array.isArray(d.fired) ? d.fired.map((f) => (f as { rule?: unknown }).rule) : [])} detailLabel="Rules that fired">
          {`Routed to ${queue(d.queue)} (${str(d.priority)}) by ${rulesetName(str(d.ruleset))}, version ${str(d.version)}`}
        </Line>
      );
    case 'case.queued':
      return <Line entry={e} kind="system" detail={str(d.reason)}>{`Waiting for an agent in ${queue(d.queue)}`}</Line>;
    case 'case.waitAlerted':
      return <Line entry={e} kind="sla-alert">{`Waiting in ${queue(d.queue)} for over ${str(d.thresholdMinutes)} min: managers alerted`}</Line>;
    case 'case.assigned': {
      const override = d.capacityOverride as { by?: unknown; load?: unknown; capacity?: unknown; chats?: unknown; chatLimit?: unknown } | undefined;
      if (override) {
        // A live chat's override may be for the chat limit alone (docs/chat.md *Capacity*).
        const chatLimitOnly = override.chatLimit !== undefined && Number(override.load) <= Number(override.capacity);
        const beyond = chatLimitOnly ? `the chat limit (${str(override.chats)} of ${str(override.chatLimit)} live chats)` : `capacity (${str(override.load)} of ${str(override.capacity)})`;
        return (
          <Line entry={e} kind="system" detail={str(d.reason)} detailLabel="Reason">
            {`Assigned to ${str(d.assignee)} beyond ${beyond}: capacity override by ${str(override.by)}`}
          </Line>
        );
      }
      return <Line entry={e} kind="system" detail={str(d.reason)}>{`Assigned to ${str(d.assignee)}`}</Line>;
    }
    case 'case.unassigned':
      return <Line entry={e} kind="system" detail={str(d.reason)}>Unassigned</Line>;
    case 'case.transferred':
      return <Line entry={e} kind="system" detail={str(d.reason)} detailLabel="Reason">{`Moved from ${queue(d.fromQueue)} to ${queue(d.queue)}`}</Line>;
    case 'case.escalated':
      return (
        <Line entry={e} kind="escalation" detail={[str(d.reason), d.rule ? `rule: ${str(d.rule)}` : ''].filter(Boolean).join(' · ')} detailLabel="Reason">
          {/* Rules escalate as whoever's request set them off (the customer filing the case, a colleague's reply): the rules did it. */}
          {`Escalated to ${queue(d.queue)} (tier ${str(d.tier)}) by ${!d.rule ? by : d.ruleset ? `${rulesetName(str(d.ruleset))}${d.version !== undefined ? `, version ${str(d.version)}` : ''}` : 'the rules'}`}
        </Line>
      );
    case 'case.transitioned': {
      const extra = d.solution ? { detail: str(d.solution), detailLabel: earlier.has(e.id) ? 'Earlier solution (the case was reopened since)' : 'Solution' } : d.reason ? { detail: str(d.reason), detailLabel: 'Reason' } : d.note ? { detail: str(d.note), detailLabel: 'Note' } : {};
      return <Line entry={e} kind="state" {...extra}>{`${state(d.from)} → ${state(d.to)} (${transition(d.transition)}) by ${by}`}</Line>;
    }
    case 'case.rated':
      return <Line entry={e} kind="rating" detail={str(d.comment)} detailLabel="Comment">{`${by} rated the help: ${d.satisfied ? 'satisfied' : 'not satisfied'}${d.via === 'mail-link' ? ' (from the link in the resolved mail)' : ''}${earlier.has(e.id) ? ' (an earlier resolution: the case was reopened since)' : ''}`}</Line>;
    case 'customer.updated':
      return (
        <Line entry={e} kind="system" detail={describeProfileChanges((d.changes ?? {}) as ProfileChanges)}>
          {d.source === 'intake' ? `Customer profile filled in at intake by ${by}` : `Customer profile changed by ${by}`}
        </Line>
      );
    case 'case.updated':
      return (
        <Line entry={e} kind="system" detail={describeChanges(d.changes)} detailLabel="Changed">
          {d.by === 'rules' ? `Updated by the rules${d.event ? ` ${whenEvent(str(d.event))}` : ''}` : d.by === 'reapply' ? 'SLA policy re-applied' : `Updated by ${str(d.by) || by}`}
        </Line>
      );
    case 'case.priority_changed':
      return <Line entry={e} kind="state">{`Priority ${str(d.from)} → ${str(d.to)} by ${by}`}</Line>;
    case 'case.tags_changed': {
      const parts = [Array.isArray(d.added) && d.added.length ? `added ${list(d.added)}` : '', Array.isArray(d.removed) && d.removed.length ? `removed ${list(d.removed)}` : ''].filter(Boolean);
      return (
        <Line entry={e} kind="system" detail={`${list(d.from) || 'none'} → ${list(d.to) || 'none'}`} detailLabel="Tags">
          {`Tags changed by ${by}${parts.length ? `: ${parts.join('; ')}` : ''}`}
        </Line>
      );
    }
    case 'case.subject_changed':
      return <Line entry={e} kind="system" detail={`“${str(d.from)}” → “${str(d.to)}”`} detailLabel="Subject">{`Subject changed by ${by} (the customer sees it)`}</Line>;
    case 'notification.sent':
      if (d.template !== 'staff-mentioned') {
        const n = describeNotification(d);
        return <Line entry={e} kind="system" detail={n.detail} {...(n.detailLabel ? { detailLabel: n.detailLabel } : {})}>{n.text}</Line>;
      }
      return <Line entry={e} kind="system">{d.delivered === true ? `Mention mailed to ${str(d.name)}` : `Mention of ${str(d.name)} not mailed: ${str(d.reason)}`}</Line>;
    case 'staff.mentioned': {
      const names = (v: unknown) => (Array.isArray(v) ? v.map((m) => str((m as { name?: unknown }).name)).join(', ') : '');
      const skipped = names(d.notNotified);
      return (
        <Line entry={e} kind="mention" detail={skipped ? `${skipped}: ${str(d.reason)}` : undefined} detailLabel="Not notified">
          {names(d.mentioned) ? `${by} mentioned ${names(d.mentioned)} in a note` : `${by} mentioned colleagues who cannot see this case`}
        </Line>
      );
    }
    case 'rules.evaluated':
      return (
        <Line entry={e} kind="system" detail={list(Array.isArray(d.fired) ? d.fired.map((f) => (f as { rule?: unknown }).rule) : [])} detailLabel="Fired">
          {`${capitalized(rulesetName(str(d.ruleset)))} (version ${str(d.version)}) ran ${whenEvent(str(d.event))}`}
        </Line>
      );
    case 'rules.failed':
      return <Line entry={e} kind="error" detail={str(d.error)}>{`Rules failed ${whenEvent(str(d.event))}`}</Line>;
    case 'workflow.cycleStopped':
      return (
        <Line entry={e} kind="error" detail={Array.isArray(d.dropped) ? d.dropped.map((t) => eventClause(str(t))).join('; ') : undefined} detailLabel="Not acted on">
          {`The workflow stopped a cycle of automatic transitions: “${transition(d.transition)}” would have fired again in ${state(d.state)} ${whenEvent(str(d.on))}. The case stays here; move it on by hand.`}
        </Line>
      );
    case 'workflow.reapplied': {
      const scheduled = Array.isArray(d.timersScheduled) ? d.timersScheduled.map((t) => transition((t as { transition?: unknown }).transition)) : [];
      const cancelled = Array.isArray(d.timersCancelled) ? d.timersCancelled.map((t) => transition(t)) : [];
      const timers = [scheduled.length ? `started: ${scheduled.join(', ')}` : '', cancelled.length ? `cancelled: ${cancelled.join(', ')}` : ''].filter(Boolean).join('; ');
      return (
        <Line entry={e} kind="state" detail={timers || undefined} detailLabel="Timers">
          {`Workflow version ${str(d.fromVersion)} → ${str(d.toVersion)} re-applied by ${by}${d.to ? `: ${state(d.from)} → ${state(d.to)}` : ''}`}
        </Line>
      );
    }
    case 'case.solutionOffered':
      return <Line entry={e} kind="system" detail={str(d.title)} detailLabel="Known problem">Solution offered to the customer</Line>;
    case 'case.solutionAccepted':
      return <Line entry={e} kind="state" detail={str(d.title)} detailLabel="Known problem">{`${by} said the offered solution solved it`}</Line>;
    case 'case.solutionDeclined':
      return <Line entry={e} kind="state" detail={str(d.title)} detailLabel="Known problem">{`${by} still needs help after the offered solution`}</Line>;
    case 'call.logged':
      return <CallEntry e={e} />;
    case 'macro.applied':
      return (
        <Line entry={e} kind="system" detail={Array.isArray(d.changes) && d.changes.length ? d.changes.map(str).join('; ') : 'nothing besides the reply'} detailLabel="Changed">
          {`${by} applied the macro “${str(d.macro)}”${d.reply === 'internal' ? ' as an internal note' : ''}`}
        </Line>
      );
    default:
      if (e.type.startsWith('sla.')) {
        const verb = e.type.slice(4);
        const due = typeof d.dueAt === 'number' ? d.dueAt : null;
        // A timer started because its target now applies (docs/sla.md): why, and the minutes it had already used.
        const late = typeof d.startReason === 'string' ? `${d.startReason}; ${str(d.usedMinutes)} business min already used${d.paused ? `; paused: ${str(d.reason)}` : ''}` : null;
        return (
          <Line entry={e} kind={verb === 'breached' || verb === 'warning' ? 'sla-alert' : 'sla'} detail={late ?? str(d.reason)}>
            {`SLA ${metricLabel(str(d.metric))}: ${verb}`}
            {due !== null ? (
              <>
                {' (due '}
                <Time at={due} />)
              </>
            ) : null}
          </Line>
        );
      }
      const chat = describeChat(e.type, d, by);
      if (chat) return <Line entry={e} kind="system" detail={chat.detail} {...(chat.detailLabel ? { detailLabel: chat.detailLabel } : {})}>{chat.text}</Line>;
      if (Object.keys(d).length === 1 && typeof d.transition === 'string') {
        // Events a transition emits (case.resolved, case.reopened, case.closed…).
        return <Line entry={e} kind="system">{`${capitalized(eventClause(e.type))}: rules and notifications were told (after “${transition(d.transition)}”)`}</Line>;
      }
      return <Line entry={e} kind="system" detail={Object.keys(d).length ? describeData(d) : undefined}>{`${capitalized(eventClause(e.type))} (${by})`}</Line>;
  }
}

function customerEntry(e: CustomerTimelineEntry, caseRef: string, earlier: Set<number>) {
  switch (e.type) {
    case 'customer.replied':
      return <Message entry={e} body={e.body} kind="customer" heading={e.author.you ? 'You wrote' : `${e.author.name} wrote`} files={{ caseRef, files: e.attachments }} />;
    case 'staff.replied':
      return <Message entry={e} body={e.body} kind="staff" heading={`${e.author.name} (support) wrote`} files={{ caseRef, files: e.attachments }} />;
    case 'case.created':
      return (
        <Line entry={e} kind="system" files={{ caseRef, files: e.attachments }}>
          Request received
        </Line>
      );
    case 'case.transitioned':
      return (
        <Line entry={e} kind="state" {...(e.solution ? { detail: e.solution, detailLabel: earlier.has(e.id) ? 'Earlier solution (the case was reopened since)' : 'Solution' } : {})}>
          {`Status changed to ${e.status}`}
        </Line>
      );
    case 'case.rated':
      return <Line entry={e} kind="rating" detail={e.comment} detailLabel="Comment">{`Rated: ${e.satisfied ? 'satisfied' : 'not satisfied'}${earlier.has(e.id) ? ' (an earlier resolution: the case was reopened since)' : ''}`}</Line>;
    case 'case.subject_changed':
      return <Line entry={e} kind="system">{`Subject changed to “${e.subject}”`}</Line>;
    case 'case.solutionOffered':
      return <Line entry={e} kind="system" detail={e.title} detailLabel="Suggested solution">We suggested a solution</Line>;
    case 'case.solutionAccepted':
      return <Line entry={e} kind="state">You told us the suggested solution solved it</Line>;
    case 'case.solutionDeclined':
      return <Line entry={e} kind="state">You told us you still need help</Line>;
  }
}

/** The customer's conversation: rendered from the customer projection only. */
export function CustomerTimeline(p: { caseRef: string; entries: CustomerTimelineEntry[]; current?: Current; oob?: boolean }) {
  const earlier = earlierEntries(p.entries, p.current);
  return (
    <section class="panel timeline" id="case-timeline" aria-labelledby="timeline-heading" hx-swap-oob={p.oob ? 'true' : undefined}>
      <h2 id="timeline-heading">Conversation</h2>
      <ol class="events">{p.entries.map((e) => customerEntry(e, p.caseRef, earlier))}</ol>
    </section>
  );
}

/** The staff timeline: every entry. */
/** `csrfToken`: given on an open case, the forms on entries are shown (posting a mail held for review). */
export function Timeline(p: { caseRef: string; entries: TimelineEntry[]; names: TimelineNames; csrfToken?: string | undefined; oob?: boolean }) {
  const earlier = earlierEntries(
    p.entries.map((e) => ({ id: e.id, type: e.type, solution: e.data.solution })),
    p.names.current,
  );
  const accepted = new Set(p.entries.filter((e) => e.type === 'email.accepted').map((e) => Number(e.data.note)));
  const context: EntryContext = { earlier, accepted, csrfToken: p.csrfToken };
  return (
    <section class="panel timeline" id="case-timeline" aria-labelledby="timeline-heading" hx-swap-oob={p.oob ? 'true' : undefined}>
      <h2 id="timeline-heading">Timeline</h2>
      <ol class="events">{p.entries.map((e) => staffEntry(e, p.names, p.caseRef, context))}</ol>
    </section>
  );
}
