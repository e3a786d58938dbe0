CREATE TABLE `phone_calls` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`provider` text NOT NULL,
	`call_id` text NOT NULL,
	`case_id` integer NOT NULL,
	`customer_id` integer NOT NULL,
	`event_id` integer NOT NULL,
	`result` text NOT NULL,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`case_id`) REFERENCES `cases`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `phone_calls_provider_call_idx` ON `phone_calls` (`provider`,`call_id`);--> statement-breakpoint
CREATE INDEX `phone_calls_case_idx` ON `phone_calls` (`case_id`);--> statement-breakpoint
ALTER TABLE `customers` ADD `phone` text;--> statement-breakpoint
ALTER TABLE `customers` ADD `time_zone` text;--> statement-breakpoint
CREATE INDEX `customers_phone_idx` ON `customers` (`phone`) WHERE "customers"."phone" IS NOT NULL;--> statement-breakpoint
ALTER TABLE `staff` ADD `time_zone` text;