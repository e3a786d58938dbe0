/**
 * Which mail templates exist, for whom, and which variables each may use. The wording lives
 * in template-defaults.ts (built in) and in the database (a manager's override,
 * template-store.ts); this file is what both are checked against.
 *
 * Customer versions may use only what the customer projection holds (PRODUCT.md, "Who sees
 * what of a case"): never the queue, priority, reasons, tier, assignee or SLA. Staff versions
 * may use the queue, the priority and the reason too.
 */
import type { TemplateAudience } from '../db/schema/index.js';

export { TEMPLATE_AUDIENCES, type TemplateAudience } from '../db/schema/index.js';

/**
 * `assignee` falls back to the queue's managers (then all managers) while the case is
 * unassigned; `queueManagers` are the managers who are members of the case's queue, or all
 * managers when it has none.
 */
export const NOTIFY_TARGETS = ['customer', 'assignee', 'queue', 'queueManagers', 'managers'] as const;
export type NotifyTarget = (typeof NOTIFY_TARGETS)[number];

/** Templates rules and workflows can name in `notify { to, template }`. */
export const TEMPLATE_NAMES = ['case-received', 'solution-offered', 'case-pending', 'case-resolved', 'case-escalated', 'sla-warning', 'sla-breached', 'case-waiting'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Every editable template: the notifications and the wrapper of a staff reply mailed to the customer. */
export const MAIL_TEMPLATE_NAMES = [...TEMPLATE_NAMES, 'staff-reply'] as const;
export type MailTemplateName = (typeof MAIL_TEMPLATE_NAMES)[number];

export interface TemplateSource {
  subject: string;
  body: string;
}

export interface VariableSpec {
  name: string;
  description: string;
  /** Only usable as a section (`{{#offer}}…{{/offer}}`): it says whether something is there. */
  sectionOnly?: boolean;
}

type Extra = 'offer' | 'csat' | 'reason' | 'due' | 'reply' | 'signIn';

export interface TemplateSpec {
  name: MailTemplateName;
  title: string;
  /** When it is sent. */
  when: string;
  audiences: readonly TemplateAudience[];
  /** Variables beyond the common ones, per audience. */
  extras: Partial<Record<TemplateAudience, readonly Extra[]>>;
}

const BOTH = ['customer', 'staff'] as const;
const STAFF_REASON = { staff: ['reason'] } as const;
const STAFF_DUE = { staff: ['reason', 'due'] } as const;

export const TEMPLATE_SPECS: readonly TemplateSpec[] = [
  { name: 'case-received', title: 'Acknowledgement', when: 'A request arrived (by mail always; otherwise when a rule or the workflow says so).', audiences: BOTH, extras: { customer: ['offer', 'signIn'], staff: ['offer'] } },
  { name: 'solution-offered', title: 'Known solution offered', when: 'Diagnosis matched a known problem and the rules offer its solution to the customer.', audiences: BOTH, extras: { customer: ['offer'], staff: ['offer'] } },
  { name: 'case-pending', title: 'Waiting on you', when: 'The case went to a state waiting on the customer (in the default workflow: "Wait on customer").', audiences: BOTH, extras: {} },
  { name: 'case-resolved', title: 'Resolved', when: 'Staff resolved the case. The customer version carries the one-click "Did this solve it?" links.', audiences: BOTH, extras: { customer: ['csat'] } },
  { name: 'case-escalated', title: 'Escalated', when: 'The case was escalated (to staff; customers get a status update).', audiences: BOTH, extras: STAFF_REASON },
  { name: 'sla-warning', title: 'SLA at risk', when: 'An SLA timer reached its warning time (to staff; customers get a status update).', audiences: BOTH, extras: STAFF_DUE },
  { name: 'sla-breached', title: 'SLA breached', when: 'An SLA timer breached (to staff; customers get a status update).', audiences: BOTH, extras: STAFF_DUE },
  { name: 'case-waiting', title: 'Waiting for an agent', when: 'A case waited longer than its queue allows for an agent (to the queue managers).', audiences: BOTH, extras: STAFF_REASON },
  { name: 'staff-reply', title: 'Staff reply', when: 'A public staff reply is mailed to the customer and the addresses copied on the case.', audiences: ['customer'], extras: { customer: ['reply'] } },
];

const COMMON: readonly VariableSpec[] = [
  { name: 'case.id', description: 'the case reference, e.g. C-1042' },
  { name: 'case.subject', description: 'the subject of the request' },
  { name: 'case.status', description: 'the status (customers: in their wording, e.g. "Waiting for your reply"; staff: the state’s label, e.g. "Pending customer")' },
  { name: 'case.url', description: 'the link to the case (portal or workspace)' },
  { name: 'customer.name', description: "the customer's name" },
  { name: 'customer.firstName', description: "the first word of the customer's name" },
  { name: 'solution', description: 'the solution given when the case was resolved (empty before)' },
];

/** Variables only staff versions may use: what the customer projection never shows. */
const STAFF_ONLY: readonly VariableSpec[] = [
  { name: 'case.queue', description: 'the queue (id)' },
  { name: 'case.priority', description: 'the priority: urgent, high, normal or low' },
];

const EXTRAS: Record<Extra, readonly VariableSpec[]> = {
  offer: [
    { name: 'offer', description: 'a known solution offered and not answered yet', sectionOnly: true },
    { name: 'offer.title', description: "the known problem's title" },
    { name: 'offer.solution', description: "the known problem's solution" },
  ],
  csat: [
    { name: 'csat', description: 'the one-click rating links are there', sectionOnly: true },
    { name: 'csat.yesUrl', description: 'link: "yes, this solved it" (signed, valid 30 days)' },
    { name: 'csat.noUrl', description: 'link: "no, it did not" (signed, valid 30 days)' },
  ],
  signIn: [
    { name: 'signIn', description: 'the customer has no password yet: the mail carries a one-time sign-in link', sectionOnly: true },
    { name: 'signIn.url', description: 'link: signs the customer in once and opens the case (valid 7 days)' },
  ],
  reason: [{ name: 'reason', description: 'why: the escalation reason, the SLA timer at stake (its due time as people read it), how long it waited' }],
  due: [
    { name: 'dueAt', description: 'when the SLA target is (was) due: ISO 8601 in UTC, e.g. 2026-03-09T05:00:00.000Z' },
    { name: 'dueAtText', description: "the same as people read it, in the recipient's time zone (their profile) or the SLA calendar's, e.g. Mon 9 Mar 2026, 06:00 (Europe/Berlin)" },
  ],
  reply: [
    { name: 'reply.text', description: 'the reply as written' },
    { name: 'reply.author', description: "the replying staff member's name" },
  ],
};

/** Names a customer version is refused, with why (beyond simply unknown names). */
const STAFF_ONLY_NAMES = new Set(['case.queue', 'case.priority', 'reason', 'dueAt', 'dueAtText']);

export function templateSpec(name: string): TemplateSpec | undefined {
  return TEMPLATE_SPECS.find((s) => s.name === name);
}

export function isAudienceOf(spec: TemplateSpec, audience: string): audience is TemplateAudience {
  return (spec.audiences as readonly string[]).includes(audience);
}

/** The variables one version of a template may use, in the order the console lists them. */
export function variablesFor(name: MailTemplateName, audience: TemplateAudience): VariableSpec[] {
  const spec = templateSpec(name);
  const extras = (spec?.extras[audience] ?? []).flatMap((e) => EXTRAS[e]);
  return [...COMMON, ...(audience === 'staff' ? STAFF_ONLY : []), ...extras];
}

/** Why `name` cannot be used in this version, or null when it can. */
export function refuseName(name: string, kind: 'var' | 'section', variables: readonly VariableSpec[], audience: TemplateAudience): string | null {
  const known = variables.find((v) => v.name === name);
  if (known) return kind === 'var' && known.sectionOnly ? `{{${name}}} is a section: use {{#${name}}}…{{/${name}}}` : null;
  if (audience === 'customer' && STAFF_ONLY_NAMES.has(name)) return `{{${name}}} is for staff only: customer mails never show it`;
  return `unknown variable {{${name}}}`;
}
