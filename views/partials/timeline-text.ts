/**
 * Words for timeline entries whose data is a record rather than a sentence: notifications
 * (mail, Slack/Teams posts), the changes the rules or a policy re-apply made, and any other
 * entry's data. Staff read sentences and `name: value` pairs, never JSON.
 */
import { templateSpec } from '../../src/notifications/template-catalog.js';

export function str(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(str).join(', ');
  if (typeof value === 'object') return describeData(value as Record<string, unknown>);
  return String(value);
}

export function list(value: unknown): string {
  return Array.isArray(value) ? value.map(str).join(', ') : str(value);
}

/** `name: value; name: value`, nested records in parentheses. */
export function describeData(d: Record<string, unknown>): string {
  return Object.entries(d)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? `${k}: (${describeData(v as Record<string, unknown>)})` : `${k}: ${list(v) || 'none'}`))
    .join('; ');
}

/** The case's fields in the order their changes are told (the order the commands make them in: PostgreSQL's jsonb keeps no key order). */
const FIELD_LABELS: Record<string, string> = { queue: 'queue', priority: 'priority', tags: 'tags', skills: 'skills', slaConfigVersion: 'SLA config version', slaPolicy: 'SLA policy', tier: 'tier' };

/** Entries of a stored change set in `order` (fields it does not name after): PostgreSQL's jsonb hands the keys out in its own order. */
export function inFieldOrder<V>(changes: Record<string, V>, order: readonly string[]): [string, V][] {
  const rank = (field: string) => {
    const at = order.indexOf(field);
    return at < 0 ? order.length : at;
  };
  return Object.entries(changes).sort(([a], [b]) => rank(a) - rank(b));
}

/** `{ priority: ['normal', 'urgent'] }` → "priority normal → urgent"; known fields in FIELD_LABELS's order, others after. */
export function describeChanges(changes: unknown): string {
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) return str(changes);
  return inFieldOrder(changes as Record<string, unknown>, Object.keys(FIELD_LABELS))
    .map(([field, v]) => {
      const name = FIELD_LABELS[field] ?? field;
      if (Array.isArray(v) && v.length === 2) return `${name} ${list(v[0]) || 'none'} → ${list(v[1]) || 'none'}`;
      return `${name}: ${list(v) || 'none'}`;
    })
    .join('; ');
}

const AUDIENCES: Record<string, string> = {
  customer: 'the customer',
  assignee: 'the assignee',
  queueManagers: 'the queue’s managers',
  queue: 'the queue’s agents',
  managers: 'the managers',
};

export interface EntryText {
  text: string;
  detail?: string;
  detailLabel?: string;
}

/** A `notification.sent` entry other than a mention: what was sent (by its template's title), to whom, or why not. */
export function describeNotification(d: Record<string, unknown>): EntryText {
  const template = str(d.template);
  const title = templateSpec(template)?.title ?? (template || 'Case update');
  if (typeof d.channel === 'string') {
    const where = d.channel === 'slack' ? 'Slack' : d.channel === 'teams' ? 'Teams' : d.channel;
    if (d.skipped) return { text: `${where} post “${title}” not sent`, detail: str(d.skipped), detailLabel: 'Why' };
    if (d.failed) return { text: `${where} post “${title}” failed${typeof d.status === 'number' ? ` (HTTP ${d.status})` : ''}`, detail: str(d.failed), detailLabel: 'Error' };
    return { text: `${where} post “${title}” sent` };
  }
  const to = AUDIENCES[str(d.to)] ?? str(d.to);
  const recipients = list(d.recipients);
  const fallback = d.fallback ? ` (nobody assigned: ${str(d.fallback)})` : '';
  const customized = d.customized ? ', as reworded on Mail templates' : '';
  if (d.delivered === true) {
    return { text: `Mail “${title}” sent to ${to}${fallback}${customized}${d.signInLink ? ', with a sign-in link' : ''}`, ...(recipients && recipients !== to ? { detail: recipients, detailLabel: 'To' } : {}) };
  }
  return { text: `Mail “${title}” to ${to}${fallback} not sent`, detail: `${str(d.reason) || 'unknown'}${recipients ? ` (for ${recipients})` : ''}`, detailLabel: 'Why' };
}

/** A live chat's entries (`chat.started`, `chat.ended`, `chat.transcript_sent`) in words; null for another type. */
export function describeChat(type: string, d: Record<string, unknown>, by: string): EntryText | null {
  switch (type) {
    case 'chat.started':
      return { text: `${str(d.visitor) || by} started a live chat on ${str(d.siteName) || 'the website'}`, ...(d.hostOrigin ? { detail: str(d.hostOrigin), detailLabel: 'From the page at' } : {}) };
    case 'chat.ended': {
      const lines = typeof d.messages === 'number' ? ` after ${d.messages} message${d.messages === 1 ? '' : 's'}` : '';
      if (d.by === 'inactivity') return { text: `The live chat ended by itself, without messages for a while${lines}` };
      if (d.by === 'closed') return { text: `The live chat ended${lines}: ${str(d.name) || by} closed the case` };
      if (d.answerBy === 'email') return { text: `${str(d.name) || by} ended the live chat${lines} while waiting for an agent, to be answered by e-mail` };
      return { text: `${str(d.name) || by} ended the live chat${lines}` };
    }
    case 'chat.transcript_sent':
      return d.delivered === true ? { text: `Chat transcript mailed to ${str(d.to)}` } : { text: 'Chat transcript not mailed', detail: str(d.reason), detailLabel: 'Why' };
    default:
      return null;
  }
}
