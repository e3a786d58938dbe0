/**
 * Rendering the mail templates rules and workflows name (`notify { to, template }`), and the
 * staff-reply wrapper: a template's wording (the built-in default or a manager's override,
 * checked by `checkTemplate`) filled with the values of one case. Staff versions
 * (`renderTemplate`) get the staff values; customer versions (`renderCustomerTemplate`) only
 * values from the customer projection. Plain text: mail clients render it as-is, and the
 * HTML part is derived from it, escaped (`textToHtml`).
 */
import type { FieldIssue } from '../errors.js';
import { own } from '../own.js';
import { displayText } from '../text/display.js';
import { refuseName, variablesFor, type MailTemplateName, type TemplateAudience, type TemplateName, type TemplateSource } from './template-catalog.js';
import { TEMPLATE_DEFAULTS } from './template-defaults.js';
import { parseTemplate, renderNodes, type TemplateValues } from './template-language.js';

export { NOTIFY_TARGETS, TEMPLATE_NAMES, type NotifyTarget, type TemplateName } from './template-catalog.js';

export const SUBJECT_MAX = 200;
export const BODY_MAX = 10_000;

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
  /** The SLA due time of a warning or breach (ISO 8601, UTC), and as people read it (`dueAtText`). */
  due?: { at: string; text: string } | null;
}

export interface RenderedMessage {
  subject: string;
  text: string;
}

export interface RenderedMail extends RenderedMessage {
  /** A manager's override was used (false: the built-in default). */
  customized: boolean;
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
  /** The one-click rating links (case-resolved). */
  csat?: { yesUrl: string; noUrl: string } | null;
  /**
   * A one-time sign-in link that opens the case (src/auth/sign-in-link.ts), in the
   * acknowledgement to a customer without a password; null otherwise.
   */
  signInUrl?: string | null;
  /** The reply a staff-reply mail carries. */
  reply?: { text: string; author: string } | null;
}

export function defaultTemplate(name: MailTemplateName, audience: TemplateAudience): TemplateSource {
  const source = own(TEMPLATE_DEFAULTS, name)?.[audience];
  if (!source) throw new Error(`No ${audience} version of the mail template "${name}"`);
  return source;
}

/**
 * Everything wrong with a template's wording for one audience, as field issues (`subject`,
 * `body`): empty, too long, a subject on several lines, syntax (unclosed tags, unbalanced
 * sections) and names the version may not use (unknown, or staff-only in a customer version).
 */
export function checkTemplate(name: MailTemplateName, audience: TemplateAudience, source: TemplateSource): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const variables = variablesFor(name, audience);
  const fields = [
    ['subject', source.subject, SUBJECT_MAX],
    ['body', source.body, BODY_MAX],
  ] as const;
  for (const [path, text, max] of fields) {
    if (text.trim() === '') {
      issues.push({ path, message: `The ${path} is empty.` });
      continue;
    }
    if (text.length > max) issues.push({ path, message: `The ${path} is ${text.length} characters long; at most ${max}.` });
    if (path === 'subject' && /[\r\n]/.test(text)) issues.push({ path, message: 'The subject must be one line.' });
    const parsed = parseTemplate(text);
    const found = [...parsed.problems];
    for (const tag of parsed.tags) {
      const refused = refuseName(tag.name, tag.kind, variables, audience);
      if (refused) found.push({ line: tag.line, message: refused });
    }
    // In the order of the text (a stable sort keeps syntax problems first on a line).
    for (const p of found.sort((a, b) => a.line - b.line)) issues.push({ path, message: path === 'body' ? `line ${p.line}: ${p.message}` : p.message });
  }
  return issues;
}

/**
 * Every mail about a case carries its reference (a reply threads by subject at least), on
 * one line, and bidi controls in user text are removed (src/text/display.ts).
 */
function finish(message: RenderedMessage, caseRef: string): RenderedMessage {
  const line = message.subject.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const subject = line.includes(`[${caseRef}]`) ? line : `[${caseRef}] ${line}`;
  return { subject: displayText(subject), text: displayText(message.text) };
}

/** One wording filled with values. The wording must have passed `checkTemplate`. */
export function renderSource(source: TemplateSource, values: TemplateValues, caseRef: string): RenderedMessage {
  const subject = parseTemplate(source.subject);
  const body = parseTemplate(source.body);
  return finish({ subject: renderNodes(subject.nodes, values), text: renderNodes(body.nodes, values) }, caseRef);
}

/** The override when it still passes the checks (a later version may know other names), else the default. */
export function renderMail(name: MailTemplateName, audience: TemplateAudience, values: TemplateValues, caseRef: string, override?: TemplateSource | null): RenderedMail {
  const usable = override && overrideInUse(name, audience, override) ? override : null;
  return { ...renderSource(usable ?? defaultTemplate(name, audience), values, caseRef), customized: usable !== null };
}

/** Whether a manager's saved version is the one mailed (one that no longer passes its checks is not). */
export function overrideInUse(name: MailTemplateName, audience: TemplateAudience, override: TemplateSource | null | undefined): boolean {
  return !!override && checkTemplate(name, audience, override).length === 0;
}

function firstName(name: string): string {
  return name.trim().split(/\s+/)[0] || name;
}

function offerValues(offer: { title: string; solution: string } | null): [string, string | null][] {
  return [
    ['offer', offer ? 'yes' : null],
    ['offer.title', offer?.title ?? null],
    ['offer.solution', offer?.solution ?? null],
  ];
}

/** The values of a staff version. */
export function staffValues(c: TemplateInput): TemplateValues {
  return new Map<string, string | null>([
    ['case.id', c.caseRef],
    ['case.subject', c.subject],
    ['case.status', c.status],
    ['case.url', c.url],
    ['case.queue', c.queue],
    ['case.priority', c.priority],
    ['customer.name', c.customerName],
    ['customer.firstName', firstName(c.customerName)],
    ['solution', c.solution],
    ['reason', c.reason],
    ['dueAt', c.due?.at ?? null],
    ['dueAtText', c.due?.text ?? null],
    ...offerValues(c.offer),
  ]);
}

/** The values of a customer version: the customer projection only. */
export function customerValues(c: CustomerMailInput): TemplateValues {
  return new Map<string, string | null>([
    ['case.id', c.caseRef],
    ['case.subject', c.subject],
    ['case.status', c.status],
    ['case.url', c.url],
    ['customer.name', c.customerName],
    ['customer.firstName', firstName(c.customerName)],
    ['solution', c.solution],
    ...offerValues(c.offer),
    ['csat', c.csat ? 'yes' : null],
    ['csat.yesUrl', c.csat?.yesUrl ?? null],
    ['csat.noUrl', c.csat?.noUrl ?? null],
    ['signIn', c.signInUrl ? 'yes' : null],
    ['signIn.url', c.signInUrl ?? null],
    ['reply.text', c.reply?.text ?? null],
    ['reply.author', c.reply?.author ?? null],
  ]);
}

/** The staff version of a template (the default wording unless an override is given). */
export function renderTemplate(name: TemplateName, input: TemplateInput, override?: TemplateSource | null): RenderedMail {
  return renderMail(name, 'staff', staffValues(input), input.caseRef, override);
}

/** The customer's version of a template, from the customer projection only. */
export function renderCustomerTemplate(name: MailTemplateName, input: CustomerMailInput, override?: TemplateSource | null): RenderedMail {
  return renderMail(name, 'customer', customerValues(input), input.caseRef, override);
}
