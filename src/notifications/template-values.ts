/**
 * The values a template is filled with: from one case (for the mail being sent, or for a
 * preview against a real case) or from a built sample (a preview without a case). Customer
 * versions get the customer projection only (`customerStatus`: the status in customer
 * wording); staff versions get the queue, the priority and the reason too.
 */
import { and, desc, eq } from 'drizzle-orm';
import { caseRef } from '../cases/case-ref.js';
import type { CaseRow } from '../cases/case-view.js';
import { customerStatus } from '../cases/customer-view.js';
import { csatLinksIn } from '../channels/email/csat-link.js';
import type { Handle } from '../db/store/index.js';
import type { Services } from '../services.js';
import type { SlaMetric } from '../db/schema/index.js';
import { findTarget } from '../sla/targets.js';
import { formatInstantIn } from '../text/time-zones.js';
import { offerIn } from './case-reads.js';
import type { MailTemplateName, TemplateAudience } from './template-catalog.js';
import type { TemplateValues } from './template-language.js';
import { customerValues, staffValues } from './templates.js';

export interface ValueOptions {
  /** The outbox item's data (the SLA timer at stake, how long a case waited). */
  data?: Record<string, unknown>;
  /** The reply a staff-reply mail carries. */
  reply?: { text: string; author: string } | null;
  /** `signed`: working one-click rating links (mail); `example`: links that do nothing (previews). Default signed. */
  csat?: 'signed' | 'example';
  /** The one-time sign-in link an acknowledgement carries to a customer without a password. */
  signInUrl?: string | null;
  /**
   * The recipients' own time zone (their staff profile), when they all have the same one: times
   * are shown in it; else an SLA due time is shown in the zone of the calendar its timer counts on.
   */
  timeZone?: string | null;
}

interface SlaData {
  metric?: string;
  dueAt?: number | null;
  policy?: string;
  priority?: string;
}

/**
 * The zone of the business calendar an SLA timer counts on: its target's calendar in the SLA
 * config version the case runs on (`findTarget`, as the timer was made), else its policy's;
 * null when that config no longer knows the policy.
 */
function calendarZone(services: Services, c: CaseRow, sla: SlaData, priority: string): string | null {
  if (!sla.policy) return null;
  const { version, config } = services.definitions.sla(c.slaConfigVersion ?? undefined);
  const target = sla.metric ? findTarget(config, version, sla.policy, priority, sla.metric as SlaMetric, c.channel) : null;
  return (target?.calendar ?? config.policy(sla.policy)?.calendar)?.timezone ?? null;
}

/** The SLA due time of a warning or breach mail: ISO 8601 (UTC) and as people read it, in `zone` or the timer's calendar's. */
export function dueTime(services: Services, c: CaseRow, data: Record<string, unknown>, zone: string | null | undefined): { at: string; text: string } | null {
  const sla = (data.sla ?? null) as SlaData | null;
  if (typeof sla?.dueAt !== 'number') return null;
  const priority = typeof data.priority === 'string' ? data.priority : c.priority;
  const shown = zone ?? calendarZone(services, c, sla, priority) ?? 'UTC';
  return { at: new Date(sla.dueAt).toISOString(), text: formatInstantIn(sla.dueAt, shown) };
}

/**
 * What the message explains: the escalation's reason, or the SLA timer at stake with its due
 * time as people read it (`dueTime`), or how long the case waited (since when: in `zone`, or UTC).
 */
export async function reasonFor(q: Handle, services: Services, template: MailTemplateName, c: CaseRow, data: Record<string, unknown>, zone?: string | null): Promise<string | null> {
  if (template === 'case-escalated') {
    const last = await lastData(q, c.id, 'case.escalated');
    return (last?.reason as string | undefined) ?? null;
  }
  if (template === 'sla-warning' || template === 'sla-breached') {
    const sla = (data.sla ?? null) as SlaData | null;
    if (!sla?.metric) return null;
    const due = dueTime(services, c, data, zone)?.text ?? null;
    const policy = sla.policy ? ` (${sla.policy})` : '';
    return template === 'sla-warning' ? `The ${sla.metric} target${policy} is due ${due ?? 'soon'}.` : `The ${sla.metric} target${policy}${due ? ` was due ${due}` : ''}.`;
  }
  if (template === 'case-waiting') {
    const wait = data as { waitingSince?: unknown; thresholdMinutes?: unknown };
    if (typeof wait.waitingSince !== 'number') return null;
    const threshold = typeof wait.thresholdMinutes === 'number' ? ` (the queue alerts after ${wait.thresholdMinutes} min)` : '';
    return `Waiting since ${formatInstantIn(wait.waitingSince, zone ?? 'UTC')}${threshold}.`;
  }
  return null;
}

function exampleCsat(services: Services): { yesUrl: string; noUrl: string } {
  return { yesUrl: `${services.publicUrl}/csat/example?answer=yes`, noUrl: `${services.publicUrl}/csat/example?answer=no` };
}

/** The data of the case's latest entry of `type`, or undefined. */
async function lastData(q: Handle, caseId: number, type: string): Promise<Record<string, unknown> | undefined> {
  const t = q.tables.caseEvents;
  const [last] = await q.db
    .select({ data: t.data })
    .from(t)
    .where(and(eq(t.caseId, caseId), eq(t.type, type)))
    .orderBy(desc(t.id))
    .limit(1);
  return last?.data;
}

/** The state as staff read it on their pages: its label in the case's workflow version, else its name. */
function staffStatus(services: Services, c: CaseRow): string {
  return services.definitions.workflow(c.workflow, c.workflowVersion).definition.states[c.status]?.label ?? c.status;
}

/** The values of one version of a template for case `c`, read with `q`. */
export async function caseValues(q: Handle, services: Services, c: CaseRow, name: MailTemplateName, audience: TemplateAudience, options: ValueOptions = {}): Promise<TemplateValues> {
  const [customer] = await q.db.select({ name: q.tables.customers.name }).from(q.tables.customers).where(eq(q.tables.customers.id, c.customerId)).limit(1);
  const ref = caseRef(c.id);
  const url = `${services.publicUrl}/cases/${ref}`;
  const offered = name === 'case-received' || name === 'solution-offered' ? await offerIn(q, c.id) : null;
  const offer = offered?.answer === 'open' ? { title: offered.title, solution: offered.solution } : null;
  const customerName = customer?.name ?? '';
  if (audience === 'customer') {
    const csat = name !== 'case-resolved' ? null : options.csat === 'example' ? exampleCsat(services) : await csatLinksIn(q, services, c.id, c.customerId);
    return customerValues({ caseRef: ref, subject: c.subject, status: customerStatus(services, c).status, customerName, solution: c.solution, offer, url, csat, reply: options.reply ?? null, signInUrl: name === 'case-received' ? options.signInUrl ?? null : null });
  }
  const data = options.data ?? {};
  const reason = await reasonFor(q, services, name, c, data, options.timeZone);
  const due = name === 'sla-warning' || name === 'sla-breached' ? dueTime(services, c, data, options.timeZone) : null;
  return staffValues({ caseRef: ref, subject: c.subject, status: staffStatus(services, c), queue: c.queueId, priority: c.priority, customerName, reason, solution: c.solution, offer, url, due });
}

const EVENT_OF: Partial<Record<MailTemplateName, string>> = { 'sla-warning': 'sla.warning', 'sla-breached': 'sla.breached', 'case-waiting': 'case.waitAlerted' };

/** For a preview against a real case: the data its latest matching event would have given the mail. */
export async function previewData(q: Handle, caseId: number, name: MailTemplateName): Promise<Record<string, unknown>> {
  const type = EVENT_OF[name];
  if (!type) return {};
  const last = await lastData(q, caseId, type);
  if (!last) return {};
  return name === 'case-waiting' ? last : { sla: last };
}

const SAMPLE_REASONS: Partial<Record<MailTemplateName, string>> = {
  'case-escalated': 'Enterprise customer with an urgent problem.',
  'sla-warning': 'The firstResponse target (standard) is due Mon 2 Mar 2026, 18:00 (Europe/Berlin).',
  'sla-breached': 'The resolution target (standard) was due Mon 2 Mar 2026, 18:00 (Europe/Berlin).',
  'case-waiting': 'Waiting since Mon 2 Mar 2026, 09:00 (UTC) (the queue alerts after 30 min).',
};

/** A made-up case for previews without a case: every value of the version filled in. */
export function sampleValues(services: Services, name: MailTemplateName, audience: TemplateAudience): TemplateValues {
  const ref = 'C-1042';
  const common = {
    caseRef: ref,
    subject: 'Invoice 2026-03 charged twice',
    customerName: 'Chloe Carter',
    solution: 'We refunded the second charge; it shows on your statement within 3 business days.',
    offer: { title: 'Charged twice', solution: 'A second charge is a card authorisation that disappears within 3 business days.' },
    url: `${services.publicUrl}/cases/${ref}`,
  };
  if (audience === 'customer') {
    return customerValues({ ...common, status: 'In progress', csat: exampleCsat(services), signInUrl: name === 'case-received' ? `${services.publicUrl}/login/link?token=example` : null, reply: { text: 'Hello Chloe,\n\nwe refunded the second charge.', author: 'Alice Archer' } });
  }
  const due = name === 'sla-warning' || name === 'sla-breached' ? { at: '2026-03-02T17:00:00.000Z', text: 'Mon 2 Mar 2026, 18:00 (Europe/Berlin)' } : null;
  return staffValues({ ...common, status: 'open', queue: 'billing', priority: 'high', reason: SAMPLE_REASONS[name] ?? null, due });
}
