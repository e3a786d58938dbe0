-- Hand-written (drizzle-kit splits an expression column at its commas): the built-in lanes'
-- pending items by target (src/db/schema/outbox.ts LANE_TARGET_SQL). The drain's look for lane
-- items leaves out the targets whose slots are full; it found them only by reading their items
-- in order, so a slow receiver with 100,000 due deliveries cost each look 25–54 ms, made at every
-- kick of the drain while nothing else was due, and each delivery that ends kicks it. With this
-- index the look lists the targets, one seek each, and reads the first due items of the free
-- ones (src/outbox/statements.ts dueInLanes; docs/performance.md "The outbox's looks behind a
-- backlog"). No intake item is of a lane type: an intake writes no entry here.
CREATE INDEX `outbox_lane_target_idx` ON `outbox` ((coalesce(json_extract(payload, '$.target'), '')), `available_at`, `id`) WHERE "outbox"."done_at" IS NULL AND "outbox"."failed_at" IS NULL AND type IN ('im.post', 'webhook.deliver');
