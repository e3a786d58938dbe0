CREATE TABLE `chat_transcripts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` integer NOT NULL,
	`site_id` text NOT NULL,
	`requested_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `chat_sessions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`site_id`) REFERENCES `chat_sites`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `chat_transcripts_session_idx` ON `chat_transcripts` (`session_id`,`requested_at`);--> statement-breakpoint
CREATE INDEX `chat_transcripts_site_idx` ON `chat_transcripts` (`site_id`,`requested_at`);--> statement-breakpoint
CREATE INDEX `chat_sessions_email_idx` ON `chat_sessions` (`email`);