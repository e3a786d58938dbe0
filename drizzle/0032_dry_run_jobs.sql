CREATE TABLE `dry_run_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`ruleset` text NOT NULL,
	`draft_version` integer NOT NULL,
	`label` text NOT NULL,
	`state` text DEFAULT 'running' NOT NULL,
	`done` integer DEFAULT 0 NOT NULL,
	`total` integer,
	`result` text,
	`error` text,
	`run_by` text NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `dry_run_jobs_owner_state_idx` ON `dry_run_jobs` (`owner`,`state`);