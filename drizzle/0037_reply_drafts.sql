-- Reply drafts (src/cases/drafts.ts, docs/ui.md *Drafts*): an agent's unsent reply or internal note
-- per case, autosaved while typing and restored when the case is opened again; one per agent,
-- case and kind. Erasing a case's content deletes its drafts (src/privacy/erase-cases.ts).
CREATE TABLE `reply_drafts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`case_id` integer NOT NULL,
	`staff_id` integer NOT NULL,
	`kind` text NOT NULL,
	`body` text NOT NULL,
	`macro_id` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`case_id`) REFERENCES `cases`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reply_drafts_owner_idx` ON `reply_drafts` (`staff_id`,`case_id`,`kind`);--> statement-breakpoint
CREATE INDEX `reply_drafts_case_idx` ON `reply_drafts` (`case_id`);