-- customers.open_cases: the customer's open cases (the rules' `customer.openCases`), kept as cases
-- come, open, close, move to another customer (a merge) and go (an erasure), as staff.open_cases
-- is (0022). The intake reads it with the customer's row: before, it counted the customer's
-- entries in cases_customer_open_idx at every intake, one per open case (~22 ns each: a sender of
-- alerts with 10,000 open cases cost ~0.2 ms an intake, 100,000 ~2 ms; docs/performance.md,
-- "Issue 11 on 2026-12-07, nineteenth session").
ALTER TABLE `customers` ADD `open_cases` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
UPDATE `customers` SET `open_cases` = (SELECT count(*) FROM `cases` c WHERE c.`customer_id` = `customers`.`id` AND c.`open` = 1);
--> statement-breakpoint
CREATE TRIGGER `cases_customer_open_insert` AFTER INSERT ON `cases` WHEN new.`open` = 1 BEGIN
  UPDATE `customers` SET `open_cases` = `open_cases` + 1 WHERE `id` = new.`customer_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `cases_customer_open_update` AFTER UPDATE OF `customer_id`, `open` ON `cases`
  WHEN old.`customer_id` IS NOT new.`customer_id` OR old.`open` IS NOT new.`open` BEGIN
  UPDATE `customers` SET `open_cases` = `open_cases` - 1 WHERE `id` = old.`customer_id` AND old.`open` = 1;
  UPDATE `customers` SET `open_cases` = `open_cases` + 1 WHERE `id` = new.`customer_id` AND new.`open` = 1;
END;
--> statement-breakpoint
CREATE TRIGGER `cases_customer_open_delete` AFTER DELETE ON `cases` WHEN old.`open` = 1 BEGIN
  UPDATE `customers` SET `open_cases` = `open_cases` - 1 WHERE `id` = old.`customer_id`;
END;
