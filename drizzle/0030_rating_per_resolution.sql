DROP INDEX `case_ratings_case_idx`;--> statement-breakpoint
ALTER TABLE `case_ratings` ADD `superseded_at` integer;--> statement-breakpoint
-- Hand-written: a rating belongs to a resolution. A case held one rating row, its latest; it rated
-- an earlier resolution when the case was resolved again after it, or is open now and was reopened
-- (`case.reopened`) after it — then it is superseded (at its own time: when the reopen came is not
-- needed). A chat's rating on a case still open stays current. The solution of a case reopened
-- since is its earlier one (the timeline keeps it): a reopened case has no current solution.
UPDATE `case_ratings` SET `superseded_at` = `created_at`
 WHERE EXISTS (SELECT 1 FROM `cases` c WHERE c.`id` = `case_ratings`.`case_id` AND c.`resolved_at` IS NOT NULL AND c.`resolved_at` > `case_ratings`.`created_at`)
    OR EXISTS (SELECT 1 FROM `cases` c JOIN `case_events` e ON e.`case_id` = c.`id` AND e.`type` = 'case.reopened' AND e.`at` >= `case_ratings`.`created_at`
                WHERE c.`id` = `case_ratings`.`case_id` AND c.`open` = 1);--> statement-breakpoint
UPDATE `cases` SET `solution` = NULL WHERE `open` = 1 AND `solution` IS NOT NULL AND `reopen_count` > 0;--> statement-breakpoint
CREATE UNIQUE INDEX `case_ratings_current_idx` ON `case_ratings` (`case_id`) WHERE superseded_at IS NULL;--> statement-breakpoint
CREATE INDEX `case_ratings_case_idx` ON `case_ratings` (`case_id`);
