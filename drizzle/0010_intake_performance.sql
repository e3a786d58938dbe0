CREATE TABLE `problem_library_revision` (
	`id` integer PRIMARY KEY NOT NULL,
	`revision` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `case_events_type_at_idx`;--> statement-breakpoint
CREATE INDEX `case_events_type_at_idx` ON `case_events` (`type`,`at`) WHERE "case_events"."type" = 'case.escalated' OR "case_events"."type" = 'rules.failed' OR "case_events"."type" = 'sla.breached' OR "case_events"."type" = 'sla.fulfilled' OR "case_events"."type" = 'sla.warning' OR "case_events"."type" = 'staff.replied';--> statement-breakpoint
DROP INDEX `cases_resolved_idx`;--> statement-breakpoint
CREATE INDEX `cases_resolved_idx` ON `cases` (`resolved_at`) WHERE "cases"."resolved_at" IS NOT NULL;--> statement-breakpoint
-- Hand-written: the problem library's revision changes with every change to `problems`
-- (a new random value, so a change rolled back and another made after it never look alike);
-- the in-memory search index (src/diagnosis/problem-index.ts) is rebuilt when it differs.
INSERT INTO `problem_library_revision` (`id`, `revision`) VALUES (1, abs(random()));
--> statement-breakpoint
CREATE TRIGGER `problems_revision_insert` AFTER INSERT ON `problems` BEGIN
  UPDATE `problem_library_revision` SET `revision` = abs(random()) WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `problems_revision_update` AFTER UPDATE ON `problems` BEGIN
  UPDATE `problem_library_revision` SET `revision` = abs(random()) WHERE `id` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `problems_revision_delete` AFTER DELETE ON `problems` BEGIN
  UPDATE `problem_library_revision` SET `revision` = abs(random()) WHERE `id` = 1;
END;
