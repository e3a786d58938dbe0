CREATE TABLE `job_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job` text NOT NULL,
	`scheduled_at` integer NOT NULL,
	`claimed_at` integer NOT NULL,
	`claimed_by` text NOT NULL,
	`state` text DEFAULT 'running' NOT NULL,
	`finished_at` integer,
	`error` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `job_runs_job_scheduled_at_idx` ON `job_runs` (`job`,`scheduled_at`);