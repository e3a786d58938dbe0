import { describe, expect, it } from 'vitest';
import { checkMacroBody, renderMacroBody } from './macro-language.js';

const values = new Map<string, string | null>([
  ['case.id', 'C-1042'],
  ['customer.name', 'Chloe Martin'],
  ['customer.firstName', 'Chloe'],
  ['agent.firstName', 'Alice'],
  ['case.subject', '{{agent.name}} <b>'],
]);

describe('macro bodies', () => {
  it.each([
    ['Hi {{customer.firstName}}, about {{case.id}}', 'Hi Chloe, about C-1042'],
    ['{{#customer.firstName}}Hi {{customer.firstName}},{{/customer.firstName}}{{^customer.firstName}}Hello,{{/customer.firstName}}', 'Hi Chloe,'],
    ['{{#case.url}}link{{/case.url}}done', 'done'],
    // Values are inserted as they are and never parsed again.
    ['Re: {{case.subject}}', 'Re: {{agent.name}} <b>'],
    ['— {{agent.firstName}}\n', '— Alice\n'],
  ])('renders %j', (body, expected) => {
    expect(checkMacroBody(body)).toEqual([]);
    expect(renderMacroBody(body, values)).toBe(expected);
  });

  it.each([
    ['Hi {{customer.age}}', 'line 1: unknown variable {{customer.age}}'],
    ['Hi\n{{case.priority}}', 'line 2: {{case.priority}} is for staff only: a reply goes to the customer'],
    ['Hi {{case.queue}}', 'line 1: {{case.queue}} is for staff only'],
    ['{{#customer.name}}open', 'line 1: {{#customer.name}} is not closed with {{/customer.name}}'],
    ['{{ constructor.prototype }}', 'line 1: unknown variable {{constructor.prototype}}'],
    ['{{customer.name', 'line 1: "{{" is not closed with "}}"'],
  ])('refuses %j', (body, message) => {
    const issues = checkMacroBody(body);
    expect(issues.map((i) => i.path)).toContain('body');
    expect(issues.map((i) => i.message).join('\n')).toContain(message);
  });

  it('lists every problem in the order of the text, and refuses an overlong body', () => {
    const issues = checkMacroBody('{{a.b}}\n{{case.tier}}\n{{c}}');
    expect(issues.map((i) => i.message.slice(0, 7))).toEqual(['line 1:', 'line 2:', 'line 3:']);
    expect(checkMacroBody('x'.repeat(10_001))[0]!.message).toBe('The reply is 10001 characters long; at most 10000.');
  });
});
