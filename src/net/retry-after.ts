/**
 * A receiver's `Retry-After` (RFC 9110 §10.2.3) on a 429 or 503 answer: how long it asks us to
 * wait before the next attempt, as delay-seconds (`120`) or an HTTP-date
 * (`Wed, 21 Oct 2026 07:28:00 GMT`). Pure: `now` is the caller's (injected) clock.
 *
 * It is a minimum wait, never a hurry: the next attempt waits the longer of the retry
 * schedule's step and the receiver's wait, and the receiver's wait counts for at most
 * RETRY_AFTER_MAX_MS (the schedule's longest step), so no answer parks a delivery for longer.
 */

/** The longest wait a `Retry-After` can ask for: the retry schedule's longest step, 10 hours. */
export const RETRY_AFTER_MAX_MS = 36_000_000;

/** The statuses whose `Retry-After` is honoured. */
export const RETRY_AFTER_STATUSES: readonly number[] = [429, 503];

/** The wait `value` asks for in ms (0 for a date already past), or null when it is neither form. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date names its weekday and GMT (IMF-fixdate, or the obsolete RFC 850 and asctime forms Date.parse reads too).
  if (!/^[A-Za-z]{3}/.test(text)) return null;
  // asctime (`Wed Oct 21 07:28:00 2026`) carries no zone: it is GMT, never the server's local time.
  const at = Date.parse(/ GMT$/.test(text) ? text : /\d{4}$/.test(text) ? `${text} GMT` : '');
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** The wait before the next attempt: the schedule's `scheduled` wait, longer when the answer's Retry-After asks for more (capped). */
export function nextWait(scheduled: number, status: number | null, retryAfter: string | null, now: number): number {
  if (status === null || !RETRY_AFTER_STATUSES.includes(status)) return scheduled;
  const asked = retryAfterMs(retryAfter, now);
  return asked === null ? scheduled : Math.max(scheduled, Math.min(asked, RETRY_AFTER_MAX_MS));
}
