import { describe, expect, it } from 'vitest';
import { textToHtml } from '../channels/email/outbound.js';
import { TEMPLATE_SPECS, variablesFor } from './template-catalog.js';
import { BODY_MAX, checkTemplate, customerValues, defaultTemplate, renderCustomerTemplate, renderMail, renderTemplate, SUBJECT_MAX, staffValues, type TemplateInput } from './templates.js';

const staffInput: TemplateInput = {
  caseRef: 'C-1042',
  subject: 'Invoice charged twice',
  status: 'open',
  queue: 'billing',
  priority: 'high',
  customerName: 'Chloe Carter',
  reason: 'VIP customer',
  solution: null,
  offer: null,
  url: 'https://help.example.com/cases/C-1042',
};
const customerInput = { caseRef: 'C-1042', subject: 'Invoice charged twice', status: 'In progress', customerName: 'Chloe Carter', solution: null, offer: null, url: 'https://help.example.com/cases/C-1042' };
const versions = TEMPLATE_SPECS.flatMap((spec) => spec.audiences.map((audience) => [spec.name, audience] as const));

describe('the built-in templates', () => {
  it.each(versions)('%s (%s) passes its own checks', (name, audience) => {
    expect(checkTemplate(name, audience, defaultTemplate(name, audience))).toEqual([]);
  });

  it.each(versions)('%s (%s) carries the case reference in its subject', (name, audience) => {
    const message = audience === 'staff' ? renderMail(name, 'staff', staffValues(staffInput), 'C-1042') : renderMail(name, 'customer', customerValues(customerInput), 'C-1042');
    expect(message.subject).toMatch(/\[C-1042\]/);
    expect(message.customized).toBe(false);
  });

  it('customer versions never say what only staff may see', () => {
    for (const [name] of versions.filter(([, a]) => a === 'customer')) {
      const text = JSON.stringify(renderCustomerTemplate(name, customerInput));
      expect(text, name).not.toMatch(/billing|VIP|high/);
    }
  });

  it('the resolved mail carries the one-click rating links for the customer, and not for staff', () => {
    const csat = { yesUrl: 'https://help.example.com/csat/t?answer=yes', noUrl: 'https://help.example.com/csat/t?answer=no' };
    const text = renderCustomerTemplate('case-resolved', { ...customerInput, solution: 'Refunded.', csat }).text;
    expect(text).toContain('Solution:\nRefunded.\n\nDid this solve it?\nYes: https://help.example.com/csat/t?answer=yes\nNo: https://help.example.com/csat/t?answer=no\n');
    expect(variablesFor('case-resolved', 'staff').map((v) => v.name)).not.toContain('csat.yesUrl');
  });
});

describe('checkTemplate', () => {
  const check = (body: string, audience: 'customer' | 'staff' = 'customer', subject = 'Hello {{case.subject}}') => checkTemplate('case-resolved', audience, { subject, body });

  it('accepts the variables of the version, sections included', () => {
    expect(check('{{customer.firstName}}: {{#csat}}{{csat.yesUrl}} {{csat.noUrl}}{{/csat}}{{^solution}}none{{/solution}}')).toEqual([]);
    expect(check('{{case.queue}} {{case.priority}}', 'staff')).toEqual([]);
  });

  it('refuses unknown variables, with the line', () => {
    expect(check('Hi\n{{case.assignee}} {{customer.email}}')).toEqual([
      { path: 'body', message: 'line 2: unknown variable {{case.assignee}}' },
      { path: 'body', message: 'line 2: unknown variable {{customer.email}}' },
    ]);
  });

  it('refuses staff-only variables in customer versions (the customer projection)', () => {
    expect(check('{{case.queue}} {{case.priority}}\n{{#reason}}{{/reason}}')).toEqual([
      { path: 'body', message: 'line 1: {{case.queue}} is for staff only: customer mails never show it' },
      { path: 'body', message: 'line 1: {{case.priority}} is for staff only: customer mails never show it' },
      { path: 'body', message: 'line 2: {{reason}} is for staff only: customer mails never show it' },
    ]);
    expect(check('x', 'customer', '{{case.queue}}')).toEqual([{ path: 'subject', message: '{{case.queue}} is for staff only: customer mails never show it' }]);
  });

  it('refuses variables of another template, and sections used as values', () => {
    expect(check('{{offer.title}} {{reply.text}} {{csat}}')).toEqual([
      { path: 'body', message: 'line 1: unknown variable {{offer.title}}' },
      { path: 'body', message: 'line 1: unknown variable {{reply.text}}' },
      { path: 'body', message: 'line 1: {{csat}} is a section: use {{#csat}}…{{/csat}}' },
    ]);
    expect(check('{{#csat}}x{{/csat}}', 'staff')).toEqual([{ path: 'body', message: 'line 1: unknown variable {{csat}}' }]);
  });

  it('refuses unbalanced sections and broken tags', () => {
    expect(check('{{#solution}}\nx')).toEqual([{ path: 'body', message: 'line 1: {{#solution}} is not closed with {{/solution}}' }]);
    expect(check('{{/solution}}')).toEqual([{ path: 'body', message: 'line 1: {{/solution}} closes a section that was never opened' }]);
    expect(check('x {{case.subject')).toEqual([{ path: 'body', message: 'line 1: "{{" is not closed with "}}"' }]);
  });

  it('refuses an empty subject or body, a subject on two lines, and texts too long', () => {
    expect(check('text', 'customer', '  ')).toEqual([{ path: 'subject', message: 'The subject is empty.' }]);
    expect(check(' \n ')).toEqual([{ path: 'body', message: 'The body is empty.' }]);
    expect(check('x', 'customer', 'a\nb')).toEqual([{ path: 'subject', message: 'The subject must be one line.' }]);
    expect(check('x', 'customer', 'a'.repeat(SUBJECT_MAX + 1))).toEqual([{ path: 'subject', message: `The subject is ${SUBJECT_MAX + 1} characters long; at most ${SUBJECT_MAX}.` }]);
    expect(check('b'.repeat(BODY_MAX + 1))).toEqual([{ path: 'body', message: `The body is ${BODY_MAX + 1} characters long; at most ${BODY_MAX}.` }]);
  });
});

describe('rendering', () => {
  it('uses an override, adds the reference when its subject lacks it, and removes bidi controls', () => {
    const message = renderTemplate('sla-warning', staffInput, { subject: 'Hurry: {{case.subject}} \u202Eexe', body: 'Dear {{customer.firstName}}, {{case.queue}}/{{case.priority}}: {{reason}}' });
    expect(message).toEqual({ subject: '[C-1042] Hurry: Invoice charged twice exe', text: 'Dear Chloe, billing/high: VIP customer', customized: true });
  });

  it('falls back to the default when a stored override no longer passes the checks', () => {
    const message = renderCustomerTemplate('case-received', customerInput, { subject: 'x', body: '{{case.queue}}' });
    expect(message.customized).toBe(false);
    expect(message.subject).toBe('[C-1042] We received your request: Invoice charged twice');
  });

  it('gives plain text; the HTML part derived from it escapes every value', () => {
    const hostile = { ...customerInput, customerName: '<script>alert(1)</script>', subject: 'A & "B" <i>' };
    const message = renderCustomerTemplate('case-pending', hostile, { subject: '{{case.subject}}', body: 'Hello {{customer.name}},\n\n<b>{{case.subject}}</b>' });
    expect(message.text).toBe('Hello <script>alert(1)</script>,\n\n<b>A & "B" <i></b>');
    const html = textToHtml(message.text);
    expect(html).toContain('<p dir="auto">Hello &lt;script&gt;alert(1)&lt;/script&gt;,</p>');
    expect(html).toContain('<p dir="auto">&lt;b&gt;A &amp; &quot;B&quot; &lt;i&gt;&lt;/b&gt;</p>');
    expect(html).not.toMatch(/<script|<b>|<i>/);
  });
});
