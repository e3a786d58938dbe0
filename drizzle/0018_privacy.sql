CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` integer,
	`actor_name` text NOT NULL,
	`entity_type` text NOT NULL,
	`entity_id` text NOT NULL,
	`action` text NOT NULL,
	`before` text,
	`after` text
);
--> statement-breakpoint
CREATE INDEX `audit_log_at_idx` ON `audit_log` (`at`,`id`);--> statement-breakpoint
CREATE INDEX `audit_log_entity_idx` ON `audit_log` (`entity_type`,`entity_id`,`id`);--> statement-breakpoint
CREATE INDEX `audit_log_actor_idx` ON `audit_log` (`actor_type`,`actor_id`,`id`);--> statement-breakpoint
CREATE TABLE `erasures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`customer_id` integer NOT NULL,
	`case_id` integer,
	`reason` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` integer,
	`actor_name` text NOT NULL,
	`started_at` integer NOT NULL,
	`completed_at` integer,
	`summary` text
);
--> statement-breakpoint
CREATE INDEX `erasures_customer_idx` ON `erasures` (`customer_id`);--> statement-breakpoint
CREATE INDEX `erasures_case_idx` ON `erasures` (`case_id`);--> statement-breakpoint
-- Hand-written: the audit log is append-only.
CREATE TRIGGER `audit_log_no_update` BEFORE UPDATE ON `audit_log` BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `audit_log_no_delete` BEFORE DELETE ON `audit_log` BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;
--> statement-breakpoint
-- An erasure is recorded for good: never deleted; only closed once (completed_at, summary).
CREATE TRIGGER `erasures_no_delete` BEFORE DELETE ON `erasures` BEGIN
  SELECT RAISE(ABORT, 'erasures is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `erasures_close_only` BEFORE UPDATE ON `erasures`
WHEN old.completed_at IS NOT NULL OR new.completed_at IS NULL OR new.id IS NOT old.id
  OR new.customer_id IS NOT old.customer_id OR new.case_id IS NOT old.case_id OR new.reason IS NOT old.reason
  OR new.actor_type IS NOT old.actor_type OR new.actor_id IS NOT old.actor_id OR new.actor_name IS NOT old.actor_name
  OR new.started_at IS NOT old.started_at BEGIN
  SELECT RAISE(ABORT, 'an erasure is only ever closed');
END;
--> statement-breakpoint
-- The timeline stays append-only, with one recorded exception: the redaction of an erasure
-- that is open for this case or its customer (inside the erasing transaction only). A
-- redaction changes an entry's data alone: its type, time and actor stay, so metrics add up.
DROP TRIGGER IF EXISTS `case_events_no_update`;
--> statement-breakpoint
CREATE TRIGGER `case_events_no_update` BEFORE UPDATE ON `case_events`
WHEN NOT EXISTS (
  SELECT 1 FROM erasures e WHERE e.completed_at IS NULL
    AND (e.case_id = old.case_id OR (e.case_id IS NULL AND e.customer_id = (SELECT customer_id FROM cases WHERE id = old.case_id)))
) BEGIN
  SELECT RAISE(ABORT, 'case_events is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `case_events_redaction_keeps_shape` BEFORE UPDATE ON `case_events`
WHEN new.id IS NOT old.id OR new.case_id IS NOT old.case_id OR new.type IS NOT old.type OR new.at IS NOT old.at
  OR new.actor_type IS NOT old.actor_type OR new.actor_id IS NOT old.actor_id BEGIN
  SELECT RAISE(ABORT, 'a redaction changes only the data of a timeline entry');
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `customer_changes_no_update`;
--> statement-breakpoint
CREATE TRIGGER `customer_changes_no_update` BEFORE UPDATE ON `customer_changes`
WHEN NOT EXISTS (SELECT 1 FROM erasures e WHERE e.completed_at IS NULL AND e.case_id IS NULL AND e.customer_id = old.customer_id)
  OR new.id IS NOT old.id OR new.customer_id IS NOT old.customer_id OR new.at IS NOT old.at OR new.via IS NOT old.via
  OR new.case_id IS NOT old.case_id OR new.actor_type IS NOT old.actor_type OR new.actor_id IS NOT old.actor_id BEGIN
  SELECT RAISE(ABORT, 'customer_changes is append-only');
END;
--> statement-breakpoint
-- The search index forgets for good: with FTS5's secure-delete, a deleted document's entries
-- are removed from the index pages at once (otherwise they stay in older segments, merely
-- marked deleted, until a merge happens to rewrite them). Then one merge drops what earlier
-- edits left behind that way.
INSERT INTO search_fts(search_fts, rank) VALUES ('secure-delete', 1);
--> statement-breakpoint
INSERT INTO search_fts(search_fts) VALUES ('optimize');
