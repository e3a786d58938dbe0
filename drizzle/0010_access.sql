CREATE TABLE `sign_ups` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE INDEX `sign_ups_email_idx` ON `sign_ups` (`email`);--> statement-breakpoint
ALTER TABLE `password_tokens` ADD `purpose` text DEFAULT 'set-password' NOT NULL;--> statement-breakpoint
CREATE INDEX `password_tokens_principal_idx` ON `password_tokens` (`principal_type`,`principal_id`);