-- Incremental sync (docs/api.md, *Incremental sync*): every insert and update of a case row
-- gives it the next `change_seq`, one more than any case has. SQLite runs one write transaction
-- at a time, so the numbers are handed out in commit order: a reader that has seen number n has
-- seen every change numbered below it. The code never writes the column but in one place: the
-- intake inserts a new case with the next number (src/db/change-seq.ts), which spares the insert
-- trigger's second write of the row; a row inserted with 0 is numbered by it. The update
-- trigger's WHEN leaves out the triggers' own UPDATEs (they change it), as PostgreSQL's does.
-- Cases already there are numbered in the order of their last change (updated_at, then id).
-- And a webhook subscription keeps the secret a rotation replaced, and until when it counts.
ALTER TABLE `cases` ADD `change_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `cases_change_seq_idx` ON `cases` (`change_seq`);--> statement-breakpoint
ALTER TABLE `webhook_subscriptions` ADD `previous_secret` text;--> statement-breakpoint
ALTER TABLE `webhook_subscriptions` ADD `previous_secret_until` integer;--> statement-breakpoint
UPDATE `cases` SET `change_seq` = r.n FROM (SELECT id, row_number() OVER (ORDER BY updated_at, id) AS n FROM cases) AS r WHERE r.id = cases.id;
--> statement-breakpoint
CREATE TRIGGER cases_change_seq_insert AFTER INSERT ON cases
WHEN NEW.change_seq = 0
BEGIN
  UPDATE cases SET change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM cases) WHERE id = NEW.id;
END;
--> statement-breakpoint
CREATE TRIGGER cases_change_seq_update AFTER UPDATE ON cases
WHEN NEW.change_seq = OLD.change_seq
BEGIN
  UPDATE cases SET change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM cases) WHERE id = NEW.id;
END;
