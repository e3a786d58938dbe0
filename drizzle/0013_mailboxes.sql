CREATE TABLE `mailboxes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`host` text NOT NULL,
	`port` integer NOT NULL,
	`tls` integer NOT NULL,
	`username` text NOT NULL,
	`path` text NOT NULL,
	`password_sealed` text,
	`queue_id` text NOT NULL,
	`processed` text DEFAULT 'seen' NOT NULL,
	`poll_seconds` integer DEFAULT 60 NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`status` text DEFAULT 'stopped' NOT NULL,
	`status_text` text,
	`status_at` integer,
	`last_mail_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`queue_id`) REFERENCES `queues`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mailboxes_name_idx` ON `mailboxes` (`name`);--> statement-breakpoint
ALTER TABLE `inbound_mail` ADD `mailbox_id` integer REFERENCES mailboxes(id) ON DELETE SET NULL;--> statement-breakpoint
CREATE INDEX `inbound_mail_mailbox_idx` ON `inbound_mail` (`mailbox_id`,`received_at`);--> statement-breakpoint
CREATE INDEX `inbound_mail_outcome_idx` ON `inbound_mail` (`outcome`,`received_at`);