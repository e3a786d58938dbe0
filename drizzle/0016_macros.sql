CREATE TABLE `inbox_views` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`query` text NOT NULL,
	`owner_id` integer,
	`created_by_id` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `inbox_views_owner_idx` ON `inbox_views` (`owner_id`,`name`);--> statement-breakpoint
CREATE TABLE `macros` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`body` text NOT NULL,
	`actions` text NOT NULL,
	`owner_id` integer,
	`version` integer DEFAULT 1 NOT NULL,
	`usage_count` integer DEFAULT 0 NOT NULL,
	`last_used_at` integer,
	`created_by_id` integer,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_by_id` integer,
	`updated_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `macros_owner_name_idx` ON `macros` (`owner_id`,`name`);--> statement-breakpoint
-- Hand-written: one name per scope (a person's own, or the shared ones), whatever the letter case.
CREATE UNIQUE INDEX `macros_scope_name_unique` ON `macros` (coalesce(`owner_id`, 0), lower(`name`));--> statement-breakpoint
CREATE UNIQUE INDEX `inbox_views_scope_name_unique` ON `inbox_views` (coalesce(`owner_id`, 0), lower(`name`));
