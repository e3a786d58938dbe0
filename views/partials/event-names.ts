/**
 * Events and rulesets in words, for the people who read the timeline ("when the case was
 * created", not `case.created`). Only what is shown changes: stored event types, the API and
 * the definitions keep their names.
 */

const WHEN: Record<string, string> = {
  'case.created': 'the case was created',
  'case.updated': 'the case was updated',
  'case.assigned': 'the case was assigned',
  'case.unassigned': 'the case was unassigned',
  'case.escalated': 'the case was escalated',
  'case.reopened': 'the case was reopened',
  'case.merged': 'the case was merged into another',
  'case.duplicate_merged': 'a duplicate was merged into the case',
  'case.resolved': 'the case was resolved',
  'case.closed': 'the case was closed',
  'case.rated': 'the customer rated the help',
  'case.solutionOffered': 'a known solution was offered',
  'case.solutionAccepted': 'the customer said the offered solution solved it',
  'case.solutionDeclined': 'the customer still needed help after the offered solution',
  'case.priority_changed': 'the priority changed',
  'case.tags_changed': 'the tags changed',
  'case.subject_changed': 'the subject changed',
  'case.waitAlerted': 'the case waited too long for an agent',
  'customer.replied': 'the customer replied',
  'customer.thanked': 'the customer only thanked on a resolved case',
  'staff.replied': 'an agent replied',
  'staff.noted': 'an internal note was added',
  'sla.warning': 'an SLA target was at risk',
  'sla.breached': 'an SLA target was missed',
  'chat.started': 'a live chat started',
  'chat.ended': 'the live chat ended',
  'chat.transcript_sent': 'the chat transcript was mailed',
};

/** `case.orderShipped` → "case order shipped": an event a custom workflow raises, in words. */
function spelled(type: string): string {
  return type
    .replace(/[._-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .trim();
}

/** What happened, as a clause: "the case was resolved". */
export function eventClause(type: string): string {
  return WHEN[type] ?? `“${spelled(type)}” happened`;
}

/** "when the case was created": after "ran", "failed", "updated by the rules". */
export function whenEvent(type: string): string {
  return `when ${eventClause(type)}`;
}

/** "the escalation rules" / "the rules “vipRouting”": a ruleset as a manager knows it from /manage/rules. */
export function rulesetName(name: string): string {
  return /^[a-z]+$/.test(name) ? `the ${name} rules` : `the rules “${name}”`;
}

/** A sentence starts with a capital. */
export function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
