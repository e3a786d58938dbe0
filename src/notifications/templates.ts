/**
 * Notification templates rules and workflows can name (`notify { to, template }`), each in
 * a staff version (`renderTemplate`) and a customer version (`renderCustomerTemplate`, fed
 * by the customer projection only). Plain text: mail clients render it as-is and no HTML
 * escaping can go wrong.
 */
export const NOTIFY_TARGETS = ['customer', 'assignee', 'queue', 'managers'] as const;
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
  url: string;
}

export interface RenderedMessage {
  subject: string;
  text: string;
}

const TEMPLATES = {
  'case-received': (c: TemplateInput) => ({
    subject: `[${c.caseRef}] We received your request: ${c.subject}`,
    text: `Hello ${c.customerName},\n\nWe received your request "${c.subject}" (${c.caseRef}). We will get back to you soon.\n\nFollow it here: ${c.url}\n`,
  }),
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
  'case-resolved': (c: TemplateInput) => ({
    subject: `[${c.caseRef}] Resolved: ${c.subject}`,
    text: `Hello ${c.customerName},\n\nYour request "${c.subject}" was resolved.${c.solution ? `\n\nSolution:\n${c.solution}` : ''}\n\nTell us how we did: ${c.url}\n`,
  }),
} satisfies Record<string, (c: TemplateInput) => RenderedMessage>;

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
  url: string;
}

const customerUpdate = (c: CustomerMailInput): RenderedMessage => ({
  subject: `[${c.caseRef}] Update on your request: ${c.subject}`,
  text: `Hello ${c.customerName},\n\nYour request "${c.subject}" (${c.caseRef}) is now: ${c.status}.\n\nFollow it here: ${c.url}\n`,
});

/** Every template in its customer version; staff-facing ones become a plain status update. */
const CUSTOMER_TEMPLATES: Record<keyof typeof TEMPLATES, (c: CustomerMailInput) => RenderedMessage> = {
  'case-received': (c) => ({
    subject: `[${c.caseRef}] We received your request: ${c.subject}`,
    text: `Hello ${c.customerName},\n\nWe received your request "${c.subject}" (${c.caseRef}). We will get back to you soon.\n\nFollow it here: ${c.url}\n`,
  }),
  'case-resolved': (c) => ({
    subject: `[${c.caseRef}] Resolved: ${c.subject}`,
    text: `Hello ${c.customerName},\n\nYour request "${c.subject}" was resolved.${c.solution ? `\n\nSolution:\n${c.solution}` : ''}\n\nTell us how we did: ${c.url}\n`,
  }),
  'case-escalated': customerUpdate,
  'sla-warning': customerUpdate,
  'sla-breached': customerUpdate,
};

export type TemplateName = keyof typeof TEMPLATES;
export const TEMPLATE_NAMES = Object.keys(TEMPLATES) as [TemplateName, ...TemplateName[]];

export function renderTemplate(name: TemplateName, input: TemplateInput): RenderedMessage {
  return TEMPLATES[name](input);
}

/** The customer's version of a template, from the customer projection only. */
export function renderCustomerTemplate(name: TemplateName, input: CustomerMailInput): RenderedMessage {
  return CUSTOMER_TEMPLATES[name](input);
}
