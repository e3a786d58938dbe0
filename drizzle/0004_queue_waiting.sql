CREATE TABLE `case_wait_alerts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`case_id` integer NOT NULL,
	`queue_id` text NOT NULL,
	`waiting_since` integer NOT NULL,
	`threshold_minutes` integer NOT NULL,
	`alerted_at` integer NOT NULL,
	FOREIGN KEY (`case_id`) REFERENCES `cases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `case_wait_alerts_spell_idx` ON `case_wait_alerts` (`case_id`,`waiting_since`,`threshold_minutes`);--> statement-breakpoint
CREATE INDEX `case_wait_alerts_alerted_idx` ON `case_wait_alerts` (`alerted_at`);--> statement-breakpoint
ALTER TABLE `queues` ADD `waiting_order` text DEFAULT 'priority' NOT NULL;--> statement-breakpoint
ALTER TABLE `queues` ADD `wait_alert_minutes` integer;