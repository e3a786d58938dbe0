/**
 * A template's wording (saved or being edited) rendered before it is saved: against a real
 * case chosen by its reference, or against a built sample. The preview never sends anything,
 * and its rating links are examples that do nothing (a manager previewing a customer's case
 * must not hold a link that rates it as the customer).
 */
import { eq } from 'drizzle-orm';
import { parseCaseRef } from '../cases/case-ref.js';
import type { CaseRow } from '../cases/case-view.js';
import { customerTimeline } from '../cases/case-read.js';
import { textToHtml } from '../channels/email/outbound.js';
import { DomainError, ValidationError, type FieldIssue } from '../errors.js';
import { isManagerRole, type Actor } from '../roles.js';
import type { Services } from '../services.js';
import { checkedSource } from './edit-template.js';
import { templateState } from './template-store.js';
import { caseValues, previewData, sampleValues } from './template-values.js';
import type { TemplateSource } from './template-catalog.js';
import { renderSource } from './templates.js';

export interface PreviewInput {
  /** The wording to preview; the one in force when left out. */
  subject?: string | undefined;
  body?: string | undefined;
  /** A case reference (`C-1042`); empty or left out: the sample. */
  case?: string | undefined;
}

export interface TemplatePreview {
  subject: string;
  text: string;
  /** The HTML part, derived from the text as every mail's is (escaped). */
  html: string;
  /** The case previewed against; null for the sample. */
  case: string | null;
}

/** The case's latest public staff reply as the customer sees it, or a stand-in when it has none. */
async function latestReply(services: Services, c: CaseRow): Promise<{ text: string; author: string }> {
  const last = (await customerTimeline(services, c)).findLast((e) => e.type === 'staff.replied');
  return last?.type === 'staff.replied' ? { text: last.body.trim(), author: last.author.name } : { text: '(The reply as written: this case has no public staff reply yet.)', author: 'Support' };
}

export async function previewTemplate(services: Services, name: string, audience: string, input: PreviewInput, actor: Actor): Promise<TemplatePreview> {
  if (!isManagerRole(actor.role)) throw new DomainError('FORBIDDEN', 'Only managers and admins can preview mail templates.');
  const state = await services.store.query((q) => templateState(q, name, audience));
  const { spec } = state;
  // Every problem at once: the wording's and the case reference's.
  const issues: FieldIssue[] = [];
  let source: TemplateSource | null = null;
  try {
    source = checkedSource(spec.name, state.audience, { subject: input.subject ?? state.source.subject, body: input.body ?? state.source.body });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues);
  }
  const ref = (input.case ?? '').trim();
  const id = ref === '' ? null : parseCaseRef(ref);
  const c = id === null ? undefined : (await services.store.query((q) => q.db.select().from(q.tables.cases).where(eq(q.tables.cases.id, id)).limit(1)))[0];
  if (ref !== '' && !c) issues.push({ path: 'case', message: `No case ${ref.slice(0, 40)}: give a reference like C-1042, or leave it empty for the sample.` });
  if (issues.length > 0 || !source) throw new ValidationError(issues, 'The template has problems; nothing to preview.');
  const caseRef = c ? `C-${c.id}` : null;
  const values = c
    ? caseValues(services, c, spec.name, state.audience, { data: previewData(services, c.id, spec.name), reply: spec.name === 'staff-reply' ? await latestReply(services, c) : null, csat: 'example' })
    : sampleValues(services, spec.name, state.audience);
  const message = renderSource(source, values, caseRef ?? 'C-1042');
  return { ...message, html: textToHtml(message.text), case: caseRef };
}
