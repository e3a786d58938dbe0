-- Issue 11: the timeline's AFTER INSERT triggers test the entry's type with `=`/OR instead of
-- `IN (…)`: same conditions, same bodies. In a trigger program SQLite builds the ephemeral
-- index of an `IN (…)` list of constants anew for every row (the program runs once per row),
-- so an intake's eight timeline entries built 16 small b-trees to find that none of them is a
-- message and two of them may be announced: 53–79 µs per intake's multi-row insert with the two
-- triggers against 8–18 µs without them; with the comparisons 28–30 µs (docs/performance.md).
DROP TRIGGER IF EXISTS `search_fts_message`;
--> statement-breakpoint
CREATE TRIGGER `search_fts_message` AFTER INSERT ON `case_events`
WHEN new.type = 'customer.replied' OR new.type = 'staff.replied' OR new.type = 'staff.noted' BEGIN
  INSERT INTO search_fts(rowid, body)
    SELECT (new.case_id << 20) + (count(*) << 1) + (new.type = 'staff.noted'), json_extract(new.data, '$.body')
    FROM case_events WHERE case_id = new.case_id AND id <= new.id
    HAVING count(*) < 524288;
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS case_events_webhooks;
--> statement-breakpoint
CREATE TRIGGER case_events_webhooks AFTER INSERT ON case_events
WHEN (NEW.type = 'case.created' OR NEW.type = 'case.assigned' OR NEW.type = 'case.transferred' OR NEW.type = 'case.escalated'
      OR NEW.type = 'case.transitioned' OR NEW.type = 'case.reopened' OR NEW.type = 'case.priority_changed' OR NEW.type = 'case.rated'
      OR NEW.type = 'sla.warning' OR NEW.type = 'sla.breached' OR NEW.type = 'staff.replied' OR NEW.type = 'customer.replied'
      OR NEW.type = 'staff.noted')
  AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled = 1 AND deleted_at IS NULL)
  AND json_extract(NEW.data, '$.imported') IS NULL
BEGIN
  INSERT INTO outbox (type, case_id, payload, created_at, available_at)
  VALUES ('webhook.event', NULL, json_object('event', NEW.id), NEW.at, NEW.at);
END;
