-- The pending items split by lane (src/outbox/limits.ts LANE_ITEM_TYPES: webhook deliveries,
-- chat-tool posts), each kind in a partial index of its own. The drain's look for lane items and
-- its waves and probes for other work each walked outbox_pending_idx (every pending item) in
-- order until they met their kind: behind a backlog of 1.5 million `case.event` items (an SLA
-- sweep after a long stop) each look for lane items took 0.34 s, every 50 ms, and intake waited
-- for it; behind 100,000 due webhook deliveries (a slow receiver) every probe for other work took
-- 19 ms (docs/performance.md "The outbox's looks behind a backlog").
CREATE INDEX `outbox_lane_due_idx` ON `outbox` (`available_at`,`id`) WHERE "outbox"."done_at" IS NULL AND "outbox"."failed_at" IS NULL AND type IN ('im.post', 'webhook.deliver');--> statement-breakpoint
CREATE INDEX `outbox_local_due_idx` ON `outbox` (`available_at`,`id`) WHERE "outbox"."done_at" IS NULL AND "outbox"."failed_at" IS NULL AND type NOT IN ('im.post', 'webhook.deliver');