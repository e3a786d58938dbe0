/**
 * A macro's reply is written in the mail templates' language (src/notifications/
 * template-language.ts: `{{var}}`, `{{#section}}…{{/section}}`, `{{^section}}`), with the
 * variables below. A reply goes to the customer, so it may name only what the customer
 * projection shows (never the queue, priority, tier or tags) plus the replying agent's name.
 * `checkMacroBody` lists every problem with its line before a macro is saved;
 * `renderMacroBody` fills a checked body with one case's values.
 */
import { eq } from 'drizzle-orm';
import { caseRef } from '../cases/case-ref.js';
import type { CaseRow } from '../cases/case-view.js';
import { openUnverifiedVisitor } from '../cases/chat-identity.js';
import { customerStatus } from '../cases/customer-view.js';
import type { Handle } from '../db/store/index.js';
import type { FieldIssue } from '../errors.js';
import type { Actor } from '../roles.js';
import type { Services } from '../services.js';
import { parseTemplate, renderNodes, type TemplateValues } from '../notifications/template-language.js';
import type { VariableSpec } from '../notifications/template-catalog.js';

export const MACRO_BODY_MAX = 10_000;

export const MACRO_VARIABLES: readonly VariableSpec[] = [
  { name: 'case.id', description: 'the case reference, e.g. C-1042' },
  { name: 'case.subject', description: 'the subject of the request' },
  { name: 'case.status', description: 'the status in the customer’s wording, before the macro’s own changes' },
  { name: 'case.url', description: 'the link to the case' },
  { name: 'customer.name', description: 'the customer’s name' },
  { name: 'customer.firstName', description: 'the first word of the customer’s name' },
  { name: 'customer.email', description: 'the customer’s email address' },
  { name: 'agent.name', description: 'your name (whoever applies the macro)' },
  { name: 'agent.firstName', description: 'the first word of your name' },
];

/** Names the customer never sees: refused with the reason, not just as unknown. */
const STAFF_ONLY = new Set(['case.queue', 'case.priority', 'case.tier', 'case.tags', 'case.assignee', 'reason']);

function refuse(name: string): string | null {
  if (MACRO_VARIABLES.some((v) => v.name === name)) return null;
  if (STAFF_ONLY.has(name)) return `{{${name}}} is for staff only: a reply goes to the customer`;
  return `unknown variable {{${name}}}: use ${MACRO_VARIABLES.map((v) => `{{${v.name}}}`).join(', ')}`;
}

/** Every problem of a body (syntax, unknown or staff-only names), each with its line. */
export function checkMacroBody(body: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (body.length > MACRO_BODY_MAX) issues.push({ path: 'body', message: `The reply is ${body.length} characters long; at most ${MACRO_BODY_MAX}.` });
  const parsed = parseTemplate(body);
  const found = [...parsed.problems];
  for (const tag of parsed.tags) {
    const refused = refuse(tag.name);
    if (refused) found.push({ line: tag.line, message: refused });
  }
  for (const p of found.sort((a, b) => a.line - b.line)) issues.push({ path: 'body', message: `line ${p.line}: ${p.message}` });
  return issues;
}

function firstName(name: string): string {
  return name.trim().split(/\s+/)[0] ?? '';
}

/** The values of one case, for the agent applying the macro. */
export async function macroValues(q: Handle, services: Services, c: CaseRow, actor: Actor): Promise<TemplateValues> {
  // An unverified chat visitor reads the reply live: they get the name they gave, not the stored customer's (chat-identity.ts).
  const visitor = c.channel === 'chat' ? await openUnverifiedVisitor(q, c.id) : null;
  const { customers } = q.tables;
  const [customer] = visitor ? [visitor] : await q.db.select({ name: customers.name, email: customers.email }).from(customers).where(eq(customers.id, c.customerId)).limit(1);
  const ref = caseRef(c.id);
  const customerName = customer?.name ?? '';
  return new Map<string, string | null>([
    ['case.id', ref],
    ['case.subject', c.subject],
    ['case.status', customerStatus(services, c).status],
    ['case.url', `${services.publicUrl}/cases/${ref}`],
    ['customer.name', customerName],
    ['customer.firstName', firstName(customerName)],
    ['customer.email', customer?.email ?? ''],
    ['agent.name', actor.name],
    ['agent.firstName', firstName(actor.name)],
  ]);
}

/** A checked body filled with values: plain text, values inserted as they are. */
export function renderMacroBody(body: string, values: TemplateValues): string {
  return renderNodes(parseTemplate(body).nodes, values);
}
