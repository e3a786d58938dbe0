CREATE TABLE "dry_run_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"ruleset" text NOT NULL,
	"draft_version" bigint NOT NULL,
	"label" text NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"done" bigint DEFAULT 0 NOT NULL,
	"total" bigint,
	"result" text,
	"error" text,
	"run_by" text NOT NULL,
	"started_at" bigint NOT NULL,
	"heartbeat_at" bigint NOT NULL,
	"finished_at" bigint
);
--> statement-breakpoint
CREATE INDEX "dry_run_jobs_owner_state_idx" ON "dry_run_jobs" USING btree ("owner","state");