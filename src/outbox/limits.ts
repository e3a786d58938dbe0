/** The outbox's constants (outbox.ts re-exports those other modules use). */
export const MAX_ATTEMPTS = 8;
/** Item types a command's `settle` leaves to the background (mail): the answer does not wait for them. */
export const MAIL_ITEMS: readonly string[] = ['notification.send', 'notification.mention', 'email.reply', 'chat.missed_replies', 'email.too-large'];
export const LOCK_MS = 60_000;
/**
 * The item types performed in lanes (handlers with a `lane`: webhook deliveries, chat-tool
 * posts), sorted. Two partial indexes (drizzle/0052) split the pending items by it:
 * `outbox_lane_due_idx` holds these types', `outbox_local_due_idx` every other type's. A
 * drain's look for lane items reads lane items only, and its waves and probes read the others
 * only, however many of the other kind wait. Before, both walked `outbox_pending_idx` (every
 * pending item) in order: behind 1.5 million waiting `case.event` items (an SLA sweep after a
 * long stop) a look for lane items took 0.34 s, every 50 ms; behind 100,000 due webhook
 * deliveries (a slow receiver) every probe for other work took 19 ms (docs/performance.md
 * "The outbox's looks behind a backlog"). A new lane type belongs here and in a migration
 * that recreates both indexes (`src/outbox/lane-types.test.ts` holds the built-in handlers
 * to this list).
 */
export const LANE_ITEM_TYPES: readonly string[] = ['im.post', 'webhook.deliver'];
/** The lane types as the JSON array the drain's queries take (drain.ts `laneTypes`: sorted, so the built-in handlers give exactly this). */
export const LANE_ITEM_TYPES_JSON = JSON.stringify(LANE_ITEM_TYPES);
const LANE_TYPE_LIST = `(${LANE_ITEM_TYPES.map((t) => `'${t}'`).join(', ')})`;
/** `outbox_lane_due_idx`'s condition on the type, and the lane look's: one text, so SQLite and PostgreSQL see that the look's rows are all in the index. */
export const LANE_TYPE_CONDITION = `type IN ${LANE_TYPE_LIST}`;
/** `outbox_local_due_idx`'s, and the waves' and probes' (every type but the lanes'). */
export const LOCAL_TYPE_CONDITION = `type NOT IN ${LANE_TYPE_LIST}`;
/** Work done between two pauses for the event loop. */
export const SLICE_MS = 10;

/** Back-off between attempts: 30 s, 1 min, 2 min … capped at 1 h. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

/** Most items a wave claims to perform side by side. */
export const WAVE = 32;
