/**
 * Notification templates rules and workflows can name (`notify { to, template }`), each in
 * a staff version (`renderTemplate`) and a customer version (`renderCustomerTemplate`, fed
 * by the customer projection only). Plain text: mail clients render it as-is and no HTML
 * escaping can go wrong.
 */
import { describeDuration } from '../auth/access-mails.js';
import { LINK_TTL_MS } from '../auth/links.js';
import { own } from '../own.js';
import { displayText } from '../text/display.js';

/**
 * `assignee` falls back to the queue's managers (then all managers) while the case is
 * unassigned; `queueManagers` are the managers who are members of the case's queue, or all
 * managers when it has none.
 */
export const NOTIFY_TARGETS = ['customer', 'assignee', 'queue', 'queueManagers', 'managers'] as const;
export type NotifyTarget = (typeof NOTIFY_TARGETS)[number];

export interface TemplateInput {
  caseRef: string;
  subject: string;
  status: string;
  queue: string;
  priority: string;
  customerName: string;
  reason: string | null;
  solution: string | null;
  /** The known problem's solution offered to the customer, while it waits for their answer. */
  offer: { title: string; solution: string } | null;
  url: string;
}

export interface RenderedMessage {
  subject: string;
  text: string;
}

/**
 * What a mail to the customer may say: the customer projection of the case
 * (`src/cases/customer-view.ts`) — never the queue, priority, tier, reasons or SLA.
 */
export interface CustomerMailInput {
  caseRef: string;
  subject: string;
  /** The status in customer wording. */
  status: string;
  customerName: string;
  solution: string | null;
  /** The known problem's solution offered to the customer, while it waits for their answer. */
  offer: { title: string; solution: string } | null;
  url: string;
  /**
   * A one-time sign-in link that opens the case (src/auth/sign-in-link.ts), in the
   * acknowledgement to a customer without a password; null otherwise.
   */
  signInUrl?: string | null;
}

function offerText(c: CustomerMailInput): string {
  return c.offer
    ? `\n\nThis may solve it (${c.offer.title}):\n${c.offer.solution}\n\nDid it? Tell us with "This solved it" or "No, I still need help": ${c.url}\n`
    : '';
}

/** Mails written for the customer: they say only what the customer projection holds, so staff copies read the same. */
const FOR_CUSTOMERS = {
  'case-received': (c: CustomerMailInput) => ({
    subject: `[${c.caseRef}] We received your request: ${c.subject}`,
    text: `Hello ${c.customerName},\n\nWe received your request "${c.subject}" (${c.caseRef}). We will get back to you soon.${offerText(c)}\n\n${
      c.signInUrl ? `Follow it here (this link signs you in; it works once, within ${describeDuration(LINK_TTL_MS.caseMail)}):\n${c.signInUrl}\n\nAfter that, open it at ${c.url} (the sign-in page mails you a new link whenever you need one).` : `Follow it here: ${c.url}`
    }\n`,
  }),
  'solution-offered': (c: CustomerMailInput) => ({
    subject: `[${c.caseRef}] A solution for: ${c.subject}`,
    text: c.offer
      ? `Hello ${c.customerName},\n\nWe know this problem: ${c.offer.title}.\n\n${c.offer.solution}\n\nIf this solved it, tell us with "This solved it" and we close your request; if not, choose "No, I still need help" and an agent takes it from here: ${c.url}\n`
      : `Hello ${c.customerName},\n\nYour request "${c.subject}" (${c.caseRef}) is with our team.\n\nFollow it here: ${c.url}\n`,
  }),
  'case-resolved': (c: CustomerMailInput) => ({
    subject: `[${c.caseRef}] Resolved: ${c.subject}`,
    text: `Hello ${c.customerName},\n\nYour request "${c.subject}" was resolved.${c.solution ? `\n\nSolution:\n${c.solution}` : ''}\n\nTell us how we did: ${c.url}\n`,
  }),
} satisfies Record<string, (c: CustomerMailInput) => RenderedMessage>;

const TEMPLATES = {
  ...FOR_CUSTOMERS,
  'case-escalated': (c: TemplateInput) => ({
    subject: `[${c.caseRef}] Escalated to ${c.queue}: ${c.subject}`,
    text: `${c.caseRef} "${c.subject}" (${c.priority}) was escalated to ${c.queue}.${c.reason ? `\nReason: ${c.reason}` : ''}\n\n${c.url}\n`,
  }),
  'sla-warning': (c: TemplateInput) => ({
    subject: `[${c.caseRef}] SLA at risk: ${c.subject}`,
    text: `${c.caseRef} "${c.subject}" (${c.priority}, ${c.queue}) is close to breaching its SLA.${c.reason ? `\n${c.reason}` : ''}\n\n${c.url}\n`,
  }),
  'sla-breached': (c: TemplateInput) => ({
    subject: `[${c.caseRef}] SLA breached: ${c.subject}`,
    text: `${c.caseRef} "${c.subject}" (${c.priority}, ${c.queue}) breached its SLA.${c.reason ? `\n${c.reason}` : ''}\n\n${c.url}\n`,
  }),
  'case-waiting': (c: TemplateInput) => ({
    subject: `[${c.caseRef}] Waiting for an agent in ${c.queue}: ${c.subject}`,
    text: `${c.caseRef} "${c.subject}" (${c.priority}) is waiting for an agent in ${c.queue}: nobody with the skills and spare capacity is available.${c.reason ? `\n${c.reason}` : ''}\n\n${c.url}\n`,
  }),
} satisfies Record<string, (c: TemplateInput) => RenderedMessage>;

const customerUpdate = (c: CustomerMailInput): RenderedMessage => ({
  subject: `[${c.caseRef}] Update on your request: ${c.subject}`,
  text: `Hello ${c.customerName},\n\nYour request "${c.subject}" (${c.caseRef}) is now: ${c.status}.\n\nFollow it here: ${c.url}\n`,
});

/** Every template in its customer version; staff-facing ones become a plain status update. */
const CUSTOMER_TEMPLATES: Record<keyof typeof TEMPLATES, (c: CustomerMailInput) => RenderedMessage> = {
  ...FOR_CUSTOMERS,
  'case-escalated': customerUpdate,
  'sla-warning': customerUpdate,
  'sla-breached': customerUpdate,
  'case-waiting': customerUpdate,
};

export type TemplateName = keyof typeof TEMPLATES;
export const TEMPLATE_NAMES = Object.keys(TEMPLATES) as [TemplateName, ...TemplateName[]];

/**
 * Every mail about a case carries its reference (a reply threads by subject at least), and
 * bidi controls in user text are removed (src/text/display.ts).
 */
function finish(message: RenderedMessage, caseRef: string): RenderedMessage {
  const subject = message.subject.includes(`[${caseRef}]`) ? message.subject : `[${caseRef}] ${message.subject}`;
  return { subject: displayText(subject), text: displayText(message.text) };
}

/** The staff version of a template. */
export function renderTemplate(name: TemplateName, input: TemplateInput): RenderedMessage {
  const render = own<(c: TemplateInput) => RenderedMessage>(TEMPLATES, name);
  if (!render) throw new Error(`No mail template named "${name}"`);
  return finish(render(input), input.caseRef);
}

/** The customer's version of a template, from the customer projection only. */
export function renderCustomerTemplate(name: TemplateName, input: CustomerMailInput): RenderedMessage {
  const render = own<(c: CustomerMailInput) => RenderedMessage>(CUSTOMER_TEMPLATES, name);
  if (!render) throw new Error(`No mail template named "${name}"`);
  return finish(render(input), input.caseRef);
}
