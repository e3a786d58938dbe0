/** The outbox's constants (outbox.ts re-exports those other modules use). */
export const MAX_ATTEMPTS = 8;
/** Item types a command's `settle` leaves to the background (mail): the answer does not wait for them. */
export const MAIL_ITEMS: readonly string[] = ['notification.send', 'notification.mention', 'email.reply', 'chat.missed_replies', 'email.too-large'];
export const LOCK_MS = 60_000;
// The lane types and the two indexes' conditions live with the outbox's table (the schema
// cannot import from here); re-exported for the drain's code.
export { LANE_ITEM_TYPES, LANE_ITEM_TYPES_JSON, LANE_TARGET_SQL, LANE_TYPE_CONDITION, LOCAL_TYPE_CONDITION } from '../db/schema/outbox.js';
/** Work done between two pauses for the event loop. */
export const SLICE_MS = 10;

/** Back-off between attempts: 30 s, 1 min, 2 min … capped at 1 h. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

/** Most items a wave claims to perform side by side. */
export const WAVE = 32;
