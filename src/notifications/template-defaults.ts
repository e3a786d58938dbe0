/**
 * The built-in wording of every template and audience (the language: template-language.ts;
 * the variables: template-catalog.ts). A manager's override replaces one of these until it
 * is reset. Mails written for the customer say only what the customer projection holds, so
 * their staff copies read the same.
 */
import type { MailTemplateName, TemplateAudience, TemplateSource } from './template-catalog.js';

const received: TemplateSource = {
  subject: '[{{case.id}}] We received your request: {{case.subject}}',
  body: `Hello {{customer.name}},

We received your request "{{case.subject}}" ({{case.id}}). We will get back to you soon.

{{#offer}}
This may solve it ({{offer.title}}):
{{offer.solution}}

Did it? Tell us with "This solved it" or "No, I still need help": {{case.url}}

{{/offer}}
{{#signIn}}
Follow it here (this link signs you in; it works once, within 7 days):
{{signIn.url}}

After that, open it at {{case.url}} (the sign-in page mails you a new link whenever you need one).
{{/signIn}}
{{^signIn}}
Follow it here: {{case.url}}
{{/signIn}}
`,
};

/** Staff copies never carry the customer's sign-in link. */
const receivedStaff: TemplateSource = {
  subject: received.subject,
  body: `Hello {{customer.name}},

We received your request "{{case.subject}}" ({{case.id}}). We will get back to you soon.

{{#offer}}
This may solve it ({{offer.title}}):
{{offer.solution}}

Did it? Tell us with "This solved it" or "No, I still need help": {{case.url}}

{{/offer}}
Follow it here: {{case.url}}
`,
};

const offered: TemplateSource = {
  subject: '[{{case.id}}] A solution for: {{case.subject}}',
  body: `Hello {{customer.name}},

{{#offer}}
We know this problem: {{offer.title}}.

{{offer.solution}}

If this solved it, tell us with "This solved it" and we close your request; if not, choose "No, I still need help" and an agent takes it from here: {{case.url}}
{{/offer}}
{{^offer}}
Your request "{{case.subject}}" ({{case.id}}) is with our team.

Follow it here: {{case.url}}
{{/offer}}
`,
};

const pending: TemplateSource = {
  subject: '[{{case.id}}] We need your reply: {{case.subject}}',
  body: `Hello {{customer.name}},

We are waiting for your reply on your request "{{case.subject}}" ({{case.id}}) before we can go on.

Answer this mail, or reply here: {{case.url}}
`,
};

const resolvedSubject = '[{{case.id}}] Resolved: {{case.subject}}';
const solutionPart = `{{#solution}}
Solution:
{{solution}}

{{/solution}}`;

const customerUpdate: TemplateSource = {
  subject: '[{{case.id}}] Update on your request: {{case.subject}}',
  body: `Hello {{customer.name}},

Your request "{{case.subject}}" ({{case.id}}) is now: {{case.status}}.

Follow it here: {{case.url}}
`,
};

const reasonPart = `{{#reason}}
{{reason}}
{{/reason}}`;

export const TEMPLATE_DEFAULTS: Record<MailTemplateName, Partial<Record<TemplateAudience, TemplateSource>>> = {
  'case-received': { customer: received, staff: receivedStaff },
  'solution-offered': { customer: offered, staff: offered },
  'case-pending': { customer: pending, staff: pending },
  'case-resolved': {
    customer: {
      subject: resolvedSubject,
      body: `Hello {{customer.name}},

Your request "{{case.subject}}" was resolved.

${solutionPart}
{{#csat}}
Did this solve it?
Yes: {{csat.yesUrl}}
No: {{csat.noUrl}}

{{/csat}}
Follow your request here: {{case.url}}
`,
    },
    staff: {
      subject: resolvedSubject,
      body: `Hello {{customer.name}},

Your request "{{case.subject}}" was resolved.

${solutionPart}
Tell us how we did: {{case.url}}
`,
    },
  },
  'case-escalated': {
    customer: customerUpdate,
    staff: {
      subject: '[{{case.id}}] Escalated to {{case.queue}}: {{case.subject}}',
      body: `{{case.id}} "{{case.subject}}" ({{case.priority}}) was escalated to {{case.queue}}.
{{#reason}}
Reason: {{reason}}
{{/reason}}

{{case.url}}
`,
    },
  },
  'sla-warning': {
    customer: customerUpdate,
    staff: {
      subject: '[{{case.id}}] SLA at risk: {{case.subject}}',
      body: `{{case.id}} "{{case.subject}}" ({{case.priority}}, {{case.queue}}) is close to breaching its SLA.
${reasonPart}

{{case.url}}
`,
    },
  },
  'sla-breached': {
    customer: customerUpdate,
    staff: {
      subject: '[{{case.id}}] SLA breached: {{case.subject}}',
      body: `{{case.id}} "{{case.subject}}" ({{case.priority}}, {{case.queue}}) breached its SLA.
${reasonPart}

{{case.url}}
`,
    },
  },
  'case-waiting': {
    customer: customerUpdate,
    staff: {
      subject: '[{{case.id}}] Waiting for an agent in {{case.queue}}: {{case.subject}}',
      body: `{{case.id}} "{{case.subject}}" ({{case.priority}}) is waiting for an agent in {{case.queue}}: nobody with the skills and spare capacity is available.
${reasonPart}

{{case.url}}
`,
    },
  },
  'staff-reply': {
    customer: {
      subject: 'Re: [{{case.id}}] {{case.subject}}',
      body: `{{reply.text}}

{{reply.author}}, support

Reply to this mail to answer, or follow your request at {{case.url}}
`,
    },
  },
};
