/**
 * Rule and condition priorities as json-rules-engine (7.3) reads them, and what validation
 * accepts. json-rules-engine does not always use the number written:
 * - a rule: `Rule.setPriority` takes `parseInt(priority || 1, 10)` and refuses a result ≤ 0
 *   ("Priority must be greater than zero"): 10.5 runs as 10, 1e21 as 1, 0.5 is refused;
 * - an all / any / not group: its constructor takes `parseInt(priority, 10) || 1`: 1.5 is 1;
 * - a leaf condition: the number as written (its constructor parseInt's the JSON it was given
 *   only after copying it), or its fact's priority, 1 for ours.
 *
 * Validation therefore asks for whole numbers from 1, which every reading leaves unchanged. A
 * version stored before that check is still run, as json-rules-engine reads it — by the
 * compiled rules, the conflict resolution and the lint too — unless json-rules-engine refuses it.
 */

/** The largest priority accepted: beyond it a number is no longer exact (and from 1e21 parseInt reads its exponent form). */
export const MAX_PRIORITY = Number.MAX_SAFE_INTEGER;

/** A rule's priority as json-rules-engine runs it (`Rule.setPriority`); at 0 or below it refuses the rule. */
export function rulePriority(value: unknown): number {
  return Number.parseInt(String(value || 1), 10);
}

/** A condition's priority as json-rules-engine orders conditions within a group (highest first; default 1). */
export function conditionPriority(condition: object): number {
  const priority = (condition as { priority?: unknown }).priority;
  if (isGroup(condition)) return Number.parseInt(String(priority), 10) || 1;
  return typeof priority === 'number' ? priority || 1 : 1;
}

/** An all / any / not group, as json-rules-engine tells one (`Condition.booleanOperator`). */
export function isGroup(condition: object): boolean {
  return Object.hasOwn(condition, 'all') || Object.hasOwn(condition, 'any') || Object.hasOwn(condition, 'not');
}

/** What validation accepts: a whole number from 1 to MAX_PRIORITY, which json-rules-engine reads unchanged. */
export function isWholePriority(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}
