CREATE TABLE `case_email_contacts` (
	`case_id` integer NOT NULL,
	`address` text NOT NULL,
	`name` text,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`case_id`, `address`),
	FOREIGN KEY (`case_id`) REFERENCES `cases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `email_messages` (
	`message_id` text PRIMARY KEY NOT NULL,
	`case_id` integer,
	`direction` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`case_id`) REFERENCES `cases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `email_messages_case_idx` ON `email_messages` (`case_id`);--> statement-breakpoint
CREATE TABLE `inbound_mail` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message_id` text NOT NULL,
	`via` text NOT NULL,
	`mailbox` text,
	`from_address` text,
	`subject` text,
	`size` integer NOT NULL,
	`outcome` text NOT NULL,
	`reason` text,
	`case_id` integer,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`case_id`) REFERENCES `cases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `inbound_mail_received_idx` ON `inbound_mail` (`received_at`);--> statement-breakpoint
CREATE INDEX `inbound_mail_from_idx` ON `inbound_mail` (`from_address`,`received_at`);--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `scopes` text DEFAULT '[]' NOT NULL;