DROP INDEX "case_ratings_case_idx";--> statement-breakpoint
ALTER TABLE "case_ratings" ADD COLUMN "superseded_at" bigint;--> statement-breakpoint
-- Hand-written: the same as SQLite's drizzle/0030_rating_per_resolution.sql — a rating of an
-- earlier resolution (the case resolved again after it, or open now and reopened after it) is
-- superseded; a reopened case has no current solution.
UPDATE "case_ratings" SET "superseded_at" = "created_at"
 WHERE EXISTS (SELECT 1 FROM "cases" c WHERE c."id" = "case_ratings"."case_id" AND c."resolved_at" IS NOT NULL AND c."resolved_at" > "case_ratings"."created_at")
    OR EXISTS (SELECT 1 FROM "cases" c JOIN "case_events" e ON e."case_id" = c."id" AND e."type" = 'case.reopened' AND e."at" >= "case_ratings"."created_at"
                WHERE c."id" = "case_ratings"."case_id" AND c."open");--> statement-breakpoint
UPDATE "cases" SET "solution" = NULL WHERE "open" AND "solution" IS NOT NULL AND "reopen_count" > 0;--> statement-breakpoint
CREATE UNIQUE INDEX "case_ratings_current_idx" ON "case_ratings" USING btree ("case_id") WHERE superseded_at IS NULL;--> statement-breakpoint
CREATE INDEX "case_ratings_case_idx" ON "case_ratings" USING btree ("case_id");
