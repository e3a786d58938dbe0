/**
 * What an erasure keeps of a timeline entry (PURE). The entry's type, time and actor stay
 * (the table's trigger allows nothing else to change); of its data, the keys below keep their
 * values, because reports and dashboards read them and they hold no one's words: state and
 * queue names, priorities, tiers, SLA metrics and policies, rule names, ids, numbers and
 * flags. Every other string, at any depth, becomes `[erased]` (numbers, booleans and nulls
 * stay, so counts and durations still add up).
 */

import { guardFormulas } from '../reports/render-csv.js';
import { escapeHtml } from '../reports/render-html.js';
import { displayText } from '../text/display.js';

export const ERASED = '[erased]';

/** Data keys whose values are kept as they are, on every entry type. */
const KEEP = new Set([
  'type', 'metric', 'state', 'policy', 'policyVersion', 'calendar', 'queue', 'fromQueue', 'fromTier', 'tier', 'priority',
  'requestedPriority', 'channel', 'workflow', 'workflowVersion', 'transition', 'on', 'ruleset', 'version', 'event', 'rule',
  'fired', 'tags', 'skills', 'added', 'removed', 'slaPolicy', 'assigneeId', 'previousAssigneeId', 'assignee', 'author',
  'by', 'satisfied', 'ratingId', 'matched', 'problemId', 'suggestions', 'first', 'breached', 'dueAt', 'warnAt',
  'overdueMinutes', 'waitedMs', 'capacityOverride', 'chosen', 'defaultQueue', 'fallback', 'macroId', 'macro', 'scope',
  'reply', 'via', 'imported', 'source', 'mailbox', 'customerId', 'outcome', 'title',
]);

/** Keys kept only on some entry types (elsewhere the same key holds someone's words, e.g. a subject's `from`/`to`). */
const KEEP_ON: Record<string, ReadonlySet<string>> = {
  'case.transitioned': new Set(['from', 'to']),
  'case.priority_changed': new Set(['from', 'to']),
};

function erase(value: unknown): unknown {
  if (typeof value === 'string') return value === '' ? '' : ERASED;
  if (Array.isArray(value)) return value.map(erase);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, erase(v)]));
  return value;
}

/** The data of a timeline entry of `type` as an erasure leaves it. */
export function redactEventData(type: string, data: Record<string, unknown>): Record<string, unknown> {
  const also = KEEP_ON[type];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) out[key] = KEEP.has(key) || also?.has(key) ? value : erase(value);
  out.erased = true;
  return out;
}

/** Every string in a value erased (profile changes, routing input): its shape stays. */
export function eraseStrings(value: unknown): unknown {
  return erase(value);
}

/**
 * The ways a text may appear in a stored document: as is, HTML-escaped (named entities, and the
 * report's numeric ones without bidi controls), CSV-quoted (plain, and as the report's `csvCell`
 * writes it: bidi controls removed, formula-guarded, so `Refund;=x` is stored as `Refund;'=x`),
 * JSON-escaped.
 */
export function textForms(text: string): string[] {
  if (text.trim() === '') return [];
  const html = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  const csv = text.replace(/"/g, '""');
  const reportCsv = guardFormulas(displayText(text)).replace(/"/g, '""');
  const json = JSON.stringify(text).slice(1, -1);
  return [...new Set([text, html, escapeHtml(text), csv, reportCsv, json])];
}
