CREATE TABLE `problem_library_revision` (
	`id` integer PRIMARY KEY NOT NULL,
	`revision` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `case_events_type_at_idx`;--> statement-breakpoint
CREATE INDEX `case_events_type_at_idx` ON `case_events` (`type`,`at`) WHERE "case_events"."type" = 'case.escalated' OR "case_events"."type" = 'rules.failed' OR "case_events"."type" = 'sla.breached' OR "case_events"."type" = 'sla.fulfilled' OR "case_events"."type" = 'sla.warning' OR "case_events"."type" = 'staff.replied';--> statement-breakpoint
DROP INDEX `cases_customer_updated_idx`;--> statement-breakpoint
DROP INDEX `cases_resolved_idx`;--> statement-breakpoint
CREATE INDEX `cases_customer_updated_idx` ON `cases` (`customer_id`,`updated_at`,`open`);--> statement-breakpoint
CREATE INDEX `cases_resolved_idx` ON `cases` (`resolved_at`) WHERE "cases"."resolved_at" IS NOT NULL;--> statement-breakpoint
ALTER TABLE `staff` ADD `open_cases` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
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
--> statement-breakpoint
-- Hand-written: `staff.open_cases` is the number of open cases assigned to the person (their
-- load for assignment), kept by these triggers whoever writes `cases`.
UPDATE `staff` SET `open_cases` = (SELECT count(*) FROM `cases` c WHERE c.`assignee_id` = `staff`.`id` AND c.`open` = 1);
--> statement-breakpoint
CREATE TRIGGER `cases_load_insert` AFTER INSERT ON `cases` WHEN new.`assignee_id` IS NOT NULL AND new.`open` = 1 BEGIN
  UPDATE `staff` SET `open_cases` = `open_cases` + 1 WHERE `id` = new.`assignee_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `cases_load_update` AFTER UPDATE OF `assignee_id`, `open` ON `cases`
  WHEN old.`assignee_id` IS NOT new.`assignee_id` OR old.`open` IS NOT new.`open` BEGIN
  UPDATE `staff` SET `open_cases` = `open_cases` - 1 WHERE `id` = old.`assignee_id` AND old.`open` = 1;
  UPDATE `staff` SET `open_cases` = `open_cases` + 1 WHERE `id` = new.`assignee_id` AND new.`open` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `cases_load_delete` AFTER DELETE ON `cases` WHEN old.`assignee_id` IS NOT NULL AND old.`open` = 1 BEGIN
  UPDATE `staff` SET `open_cases` = `open_cases` - 1 WHERE `id` = old.`assignee_id`;
END;
