CREATE TABLE `api_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`principal_type` text NOT NULL,
	`principal_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`expires_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash_idx` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `password_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`principal_type` text NOT NULL,
	`principal_id` integer NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`principal_type` text NOT NULL,
	`principal_id` integer NOT NULL,
	`csrf_token` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`user_agent` text
);
--> statement-breakpoint
CREATE INDEX `sessions_principal_idx` ON `sessions` (`principal_type`,`principal_id`);--> statement-breakpoint
CREATE INDEX `sessions_expires_idx` ON `sessions` (`expires_at`);--> statement-breakpoint
CREATE TABLE `sign_in_attempts` (
	`key` text PRIMARY KEY NOT NULL,
	`failures` integer NOT NULL,
	`window_started_at` integer NOT NULL,
	`locked_until` integer
);
--> statement-breakpoint
CREATE TABLE `case_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`case_id` integer NOT NULL,
	`type` text NOT NULL,
	`at` integer NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` integer,
	`data` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`case_id`) REFERENCES `cases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `case_events_case_idx` ON `case_events` (`case_id`,`id`);--> statement-breakpoint
CREATE INDEX `case_events_type_at_idx` ON `case_events` (`type`,`at`);--> statement-breakpoint
CREATE TABLE `case_ratings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`case_id` integer NOT NULL,
	`customer_id` integer NOT NULL,
	`satisfied` integer NOT NULL,
	`comment` text DEFAULT '' NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`case_id`) REFERENCES `cases`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `case_ratings_case_idx` ON `case_ratings` (`case_id`);--> statement-breakpoint
CREATE INDEX `case_ratings_created_idx` ON `case_ratings` (`created_at`);--> statement-breakpoint
CREATE TABLE `cases` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`customer_id` integer NOT NULL,
	`subject` text NOT NULL,
	`description` text NOT NULL,
	`channel` text DEFAULT 'api' NOT NULL,
	`requested_priority` text DEFAULT 'normal' NOT NULL,
	`priority` text DEFAULT 'normal' NOT NULL,
	`status` text NOT NULL,
	`previous_status` text,
	`state_entered_at` integer NOT NULL,
	`open` integer DEFAULT true NOT NULL,
	`tier` integer DEFAULT 1 NOT NULL,
	`queue_id` text NOT NULL,
	`assignee_id` integer,
	`waiting_since` integer,
	`tags` text DEFAULT '[]' NOT NULL,
	`skills` text DEFAULT '[]' NOT NULL,
	`workflow` text NOT NULL,
	`workflow_version` integer NOT NULL,
	`routing` text,
	`sla_policy` text,
	`sla_config_version` integer,
	`sla_due_at` integer DEFAULT 253402300799999 NOT NULL,
	`suggestions` text DEFAULT '[]' NOT NULL,
	`diagnosis_matched` integer DEFAULT false NOT NULL,
	`solution` text,
	`reopen_count` integer DEFAULT 0 NOT NULL,
	`escalation_count` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`first_response_at` integer,
	`resolved_at` integer,
	`closed_at` integer,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`queue_id`) REFERENCES `queues`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`assignee_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `cases_queue_open_due_idx` ON `cases` (`queue_id`,`open`,`sla_due_at`,`id`);--> statement-breakpoint
CREATE INDEX `cases_assignee_open_due_idx` ON `cases` (`assignee_id`,`open`,`sla_due_at`,`id`);--> statement-breakpoint
CREATE INDEX `cases_open_due_idx` ON `cases` (`open`,`sla_due_at`,`id`);--> statement-breakpoint
CREATE INDEX `cases_customer_updated_idx` ON `cases` (`customer_id`,`updated_at`);--> statement-breakpoint
CREATE INDEX `cases_status_idx` ON `cases` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `cases_created_idx` ON `cases` (`created_at`);--> statement-breakpoint
CREATE INDEX `cases_resolved_idx` ON `cases` (`resolved_at`);--> statement-breakpoint
CREATE INDEX `cases_waiting_idx` ON `cases` (`queue_id`,`waiting_since`,`id`) WHERE "cases"."waiting_since" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `sla_timers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`case_id` integer NOT NULL,
	`metric` text NOT NULL,
	`state` text NOT NULL,
	`policy` text NOT NULL,
	`policy_version` integer NOT NULL,
	`calendar` text NOT NULL,
	`target_minutes` real NOT NULL,
	`warn_offset_minutes` real NOT NULL,
	`used_minutes` real DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`segment_started_at` integer,
	`due_at` integer,
	`warn_at` integer,
	`warned_at` integer,
	`breached_at` integer,
	`fulfilled_at` integer,
	`paused_at` integer,
	`pause_reason` text,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`case_id`) REFERENCES `cases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sla_timers_case_metric_idx` ON `sla_timers` (`case_id`,`metric`);--> statement-breakpoint
CREATE INDEX `sla_timers_warn_due_idx` ON `sla_timers` (`warn_at`) WHERE "sla_timers"."warned_at" IS NULL AND "sla_timers"."warn_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `sla_timers_breach_due_idx` ON `sla_timers` (`due_at`) WHERE "sla_timers"."breached_at" IS NULL AND "sla_timers"."due_at" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `definition_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`version` integer NOT NULL,
	`state` text NOT NULL,
	`body` text NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	`author_id` integer,
	`author` text DEFAULT 'system' NOT NULL,
	`based_on` integer,
	`created_at` integer NOT NULL,
	`published_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `definition_versions_kind_name_version_idx` ON `definition_versions` (`kind`,`name`,`version`);--> statement-breakpoint
CREATE INDEX `definition_versions_published_idx` ON `definition_versions` (`kind`,`name`,`version`) WHERE "definition_versions"."state" = 'published';--> statement-breakpoint
CREATE TABLE `problems` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`title` text NOT NULL,
	`symptoms` text NOT NULL,
	`solution` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `customer_churn_marks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`customer_id` integer NOT NULL,
	`churned` integer NOT NULL,
	`at` integer NOT NULL,
	`actor_id` integer,
	`note` text,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `customer_churn_marks_at_idx` ON `customer_churn_marks` (`at`);--> statement-breakpoint
CREATE INDEX `customer_churn_marks_customer_idx` ON `customer_churn_marks` (`customer_id`,`at`);--> statement-breakpoint
CREATE TABLE `customers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`tier` text DEFAULT 'standard' NOT NULL,
	`organization` text,
	`password_hash` text,
	`churned_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customers_email_idx` ON `customers` (`email`);--> statement-breakpoint
CREATE TABLE `queues` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tier` integer DEFAULT 1 NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `staff` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`skills` text DEFAULT '[]' NOT NULL,
	`capacity` integer DEFAULT 10 NOT NULL,
	`available` integer DEFAULT true NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`password_hash` text,
	`last_assigned_at` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `staff_email_idx` ON `staff` (`email`);--> statement-breakpoint
CREATE TABLE `staff_queues` (
	`staff_id` integer NOT NULL,
	`queue_id` text NOT NULL,
	PRIMARY KEY(`staff_id`, `queue_id`),
	FOREIGN KEY (`staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`queue_id`) REFERENCES `queues`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `staff_queues_queue_idx` ON `staff_queues` (`queue_id`,`staff_id`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`case_id` integer,
	`payload` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`available_at` integer NOT NULL,
	`locked_until` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`done_at` integer,
	`failed_at` integer
);
--> statement-breakpoint
CREATE INDEX `outbox_pending_idx` ON `outbox` (`available_at`,`id`) WHERE "outbox"."done_at" IS NULL AND "outbox"."failed_at" IS NULL;--> statement-breakpoint
CREATE INDEX `outbox_case_idx` ON `outbox` (`case_id`);--> statement-breakpoint
CREATE TABLE `sla_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`period_start` integer NOT NULL,
	`period_end` integer NOT NULL,
	`trigger` text NOT NULL,
	`created_at` integer NOT NULL,
	`summary` text NOT NULL,
	`html` text NOT NULL,
	`csv` text NOT NULL,
	`delivery_state` text DEFAULT 'none' NOT NULL,
	`delivery_attempts` integer DEFAULT 0 NOT NULL,
	`delivery_error` text,
	`delivered_at` integer,
	`recipients` text
);
--> statement-breakpoint
CREATE INDEX `sla_reports_period_idx` ON `sla_reports` (`period_end`);