-- The pending items split by lane, as SQLite's drizzle/0052 (its comment says why). PostgreSQL
-- reads them when a look names the types as written here (src/outbox/pg.ts).
CREATE INDEX "outbox_lane_due_idx" ON "outbox" USING btree ("available_at","id") WHERE "outbox"."done_at" IS NULL AND "outbox"."failed_at" IS NULL AND type IN ('im.post', 'webhook.deliver');--> statement-breakpoint
CREATE INDEX "outbox_local_due_idx" ON "outbox" USING btree ("available_at","id") WHERE "outbox"."done_at" IS NULL AND "outbox"."failed_at" IS NULL AND type NOT IN ('im.post', 'webhook.deliver');