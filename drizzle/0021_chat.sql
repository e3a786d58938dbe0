CREATE TABLE `chat_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` integer NOT NULL,
	`seq` integer NOT NULL,
	`author` text NOT NULL,
	`author_name` text NOT NULL,
	`body` text NOT NULL,
	`at` integer NOT NULL,
	`case_event_id` integer,
	FOREIGN KEY (`session_id`) REFERENCES `chat_sessions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chat_messages_session_seq_idx` ON `chat_messages` (`session_id`,`seq`);--> statement-breakpoint
CREATE INDEX `chat_messages_event_idx` ON `chat_messages` (`case_event_id`);--> statement-breakpoint
CREATE TABLE `chat_sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`site_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`host_origin` text NOT NULL,
	`name` text NOT NULL,
	`email` text NOT NULL,
	`verified` integer DEFAULT false NOT NULL,
	`case_id` integer,
	`state` text DEFAULT 'open' NOT NULL,
	`last_seq` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`last_activity_at` integer NOT NULL,
	`ended_at` integer,
	`ended_by` text,
	`transcript_requested_at` integer,
	FOREIGN KEY (`site_id`) REFERENCES `chat_sites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`case_id`) REFERENCES `cases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chat_sessions_token_idx` ON `chat_sessions` (`token_hash`);--> statement-breakpoint
CREATE INDEX `chat_sessions_case_idx` ON `chat_sessions` (`case_id`);--> statement-breakpoint
CREATE INDEX `chat_sessions_state_activity_idx` ON `chat_sessions` (`state`,`last_activity_at`);--> statement-breakpoint
CREATE TABLE `chat_sites` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`allowed_origins` text NOT NULL,
	`greeting` text DEFAULT '' NOT NULL,
	`calendar` text,
	`queue_id` text NOT NULL,
	`secret_sealed` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`queue_id`) REFERENCES `queues`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `staff` ADD `chat_limit` integer DEFAULT 3 NOT NULL;