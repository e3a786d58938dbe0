-- A new case inserted with an assignee is that agent's latest assignment: the trigger that counts
-- it in their load (0022) also moves their `last_assigned_at` to the case's `created_at` (never
-- back: an imported old case leaves it). The intake assigns a case before inserting it, in its
-- final state, and no longer writes the staff row a second time for the time
-- (src/assignment/assign.ts): one UPDATE of `staff`, and one move of its `pick_order` entries,
-- an intake instead of two (docs/performance.md, "Issue 11 on 2026-12-07, nineteenth session").
DROP TRIGGER `cases_load_insert`;
--> statement-breakpoint
CREATE TRIGGER `cases_load_insert` AFTER INSERT ON `cases` WHEN new.`assignee_id` IS NOT NULL AND new.`open` = 1 BEGIN
  UPDATE `staff` SET `open_cases` = `open_cases` + 1, `last_assigned_at` = max(`last_assigned_at`, new.`created_at`)
    WHERE `id` = new.`assignee_id`;
END;
