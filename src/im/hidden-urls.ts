/**
 * A Slack or Teams incoming-webhook URL is a credential: whoever has it can post into the
 * channel. `notify` rules and workflow actions may carry one inline (`url`), so what staff
 * who do not manage the rules read — rulesets and workflows through the API, the rules that
 * fired on a case's timeline and its "Why is this case here?" panel — shows `HIDDEN_URL` in
 * its place. Managers and admins read definitions as they are (the rule builder and the
 * rules-as-code round trip need the real URL).
 */

export const HIDDEN_URL = '(hidden)';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A copy of `value` (a ruleset, a workflow, a rule event, a list of fired rules) with the
 * `url` of every notify rule event (`{ type: "notify", params: { url } }`) and notify workflow
 * action (`{ action: "notify", url }`) replaced by HIDDEN_URL. Parts without one are shared,
 * not copied; `value` itself is never changed.
 */
export function hideNotifyUrls<T>(value: T): T {
  if (Array.isArray(value)) {
    let changed = false;
    const out = value.map((item) => {
      const next = hideNotifyUrls(item);
      if (next !== item) changed = true;
      return next;
    });
    return (changed ? out : value) as T;
  }
  if (!isRecord(value)) return value;
  let out: Record<string, unknown> | null = null;
  for (const [key, item] of Object.entries(value)) {
    const next = hideNotifyUrls(item);
    if (next !== item) (out ??= { ...value })[key] = next;
  }
  const record = out ?? value;
  if (record.type === 'notify' && isRecord(record.params) && typeof record.params.url === 'string') {
    return { ...record, params: { ...record.params, url: HIDDEN_URL } } as T;
  }
  if (record.action === 'notify' && typeof record.url === 'string') return { ...record, url: HIDDEN_URL } as T;
  return record as T;
}
