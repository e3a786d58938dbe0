ALTER TABLE `cases` ADD `external_id` text;--> statement-breakpoint
ALTER TABLE `cases` ADD `imported_at` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `cases_external_id_idx` ON `cases` (`external_id`) WHERE "cases"."external_id" IS NOT NULL;