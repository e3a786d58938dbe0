CREATE TABLE `notification_template_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`audience` text NOT NULL,
	`action` text NOT NULL,
	`subject` text,
	`body` text,
	`actor_id` integer,
	`actor` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notification_template_changes_name_idx` ON `notification_template_changes` (`name`,`audience`,`id`);--> statement-breakpoint
CREATE TABLE `notification_templates` (
	`name` text NOT NULL,
	`audience` text NOT NULL,
	`subject` text NOT NULL,
	`body` text NOT NULL,
	`updated_by_id` integer,
	`updated_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`name`, `audience`)
);
--> statement-breakpoint
CREATE TABLE `server_secrets` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`created_at` integer NOT NULL
);
