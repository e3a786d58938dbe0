-- pick_order: who could take a case now, per queue, in assignment's order (fewest open cases,
-- then least recently assigned, then id), kept by triggers on `staff` and `staff_queues`. The
-- pick (src/assignment/sqlite.ts) reads the queue's first entries: one seek, whoever else is free.
-- It replaces staff_pick_idx, the same order across all queues, whose walk passed every free
-- member of other queues ahead of the queue's own (docs/performance.md, "Assignment's pick").
-- A (staff, queue) pair is here exactly when the staff member is a member of the queue, active,
-- available and below capacity. SQLite only (like search_pending): PostgreSQL locks and reads
-- the members (src/assignment/pg.ts).
DROP INDEX `staff_pick_idx`;
--> statement-breakpoint
CREATE TABLE `pick_order` (
  `queue_id` text NOT NULL,
  `open_cases` integer NOT NULL,
  `last_assigned_at` integer NOT NULL,
  `staff_id` integer NOT NULL,
  PRIMARY KEY (`queue_id`, `open_cases`, `last_assigned_at`, `staff_id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `pick_order` (`queue_id`, `open_cases`, `last_assigned_at`, `staff_id`)
  SELECT sq.`queue_id`, s.`open_cases`, s.`last_assigned_at`, s.`id`
  FROM `staff_queues` sq JOIN `staff` s ON s.`id` = sq.`staff_id`
  WHERE s.`active` = TRUE AND s.`available` = TRUE AND s.`open_cases` < s.`capacity`;
--> statement-breakpoint
-- A change of what decides the order or whether one could take a case, in three triggers by
-- what it does to the staff member's entries (one per queue, found by their key): moved along
-- (intake's two updates, `open_cases` by the trigger on cases and `last_assigned_at` by the pick:
-- one UPDATE each, 9–10 µs an intake against ~3 µs for staff_pick_idx's entry, measured), out
-- (away, deactivated, at capacity) or in.
CREATE TRIGGER `pick_order_staff_moved` AFTER UPDATE OF `active`, `available`, `capacity`, `open_cases`, `last_assigned_at` ON `staff`
WHEN old.`active` = TRUE AND old.`available` = TRUE AND old.`open_cases` < old.`capacity`
 AND new.`active` = TRUE AND new.`available` = TRUE AND new.`open_cases` < new.`capacity` BEGIN
  UPDATE `pick_order` SET `open_cases` = new.`open_cases`, `last_assigned_at` = new.`last_assigned_at`
    FROM `staff_queues` sq
    WHERE sq.`staff_id` = old.`id` AND `pick_order`.`queue_id` = sq.`queue_id` AND `pick_order`.`open_cases` = old.`open_cases`
      AND `pick_order`.`last_assigned_at` = old.`last_assigned_at` AND `pick_order`.`staff_id` = old.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `pick_order_staff_left` AFTER UPDATE OF `active`, `available`, `capacity`, `open_cases`, `last_assigned_at` ON `staff`
WHEN old.`active` = TRUE AND old.`available` = TRUE AND old.`open_cases` < old.`capacity`
 AND NOT (new.`active` = TRUE AND new.`available` = TRUE AND new.`open_cases` < new.`capacity`) BEGIN
  DELETE FROM `pick_order`
    WHERE `queue_id` IN (SELECT `queue_id` FROM `staff_queues` WHERE `staff_id` = old.`id`)
      AND `open_cases` = old.`open_cases` AND `last_assigned_at` = old.`last_assigned_at` AND `staff_id` = old.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `pick_order_staff_joined` AFTER UPDATE OF `active`, `available`, `capacity`, `open_cases`, `last_assigned_at` ON `staff`
WHEN NOT (old.`active` = TRUE AND old.`available` = TRUE AND old.`open_cases` < old.`capacity`)
 AND new.`active` = TRUE AND new.`available` = TRUE AND new.`open_cases` < new.`capacity` BEGIN
  INSERT INTO `pick_order` (`queue_id`, `open_cases`, `last_assigned_at`, `staff_id`)
    SELECT `queue_id`, new.`open_cases`, new.`last_assigned_at`, new.`id` FROM `staff_queues` WHERE `staff_id` = new.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `pick_order_staff_deleted` AFTER DELETE ON `staff` BEGIN
  DELETE FROM `pick_order` WHERE `staff_id` = old.`id`;
END;
--> statement-breakpoint
CREATE TRIGGER `pick_order_member_added` AFTER INSERT ON `staff_queues` BEGIN
  INSERT INTO `pick_order` (`queue_id`, `open_cases`, `last_assigned_at`, `staff_id`)
    SELECT new.`queue_id`, s.`open_cases`, s.`last_assigned_at`, s.`id` FROM `staff` s
    WHERE s.`id` = new.`staff_id` AND s.`active` = TRUE AND s.`available` = TRUE AND s.`open_cases` < s.`capacity`;
END;
--> statement-breakpoint
CREATE TRIGGER `pick_order_member_removed` AFTER DELETE ON `staff_queues` BEGIN
  DELETE FROM `pick_order` WHERE `queue_id` = old.`queue_id` AND `staff_id` = old.`staff_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `pick_order_member_moved` AFTER UPDATE ON `staff_queues` BEGIN
  DELETE FROM `pick_order` WHERE `queue_id` = old.`queue_id` AND `staff_id` = old.`staff_id`;
  INSERT INTO `pick_order` (`queue_id`, `open_cases`, `last_assigned_at`, `staff_id`)
    SELECT new.`queue_id`, s.`open_cases`, s.`last_assigned_at`, s.`id` FROM `staff` s
    WHERE s.`id` = new.`staff_id` AND s.`active` = TRUE AND s.`available` = TRUE AND s.`open_cases` < s.`capacity`;
END;
