-- Merging duplicate cases (src/cases/merge-case.ts, docs/ui.md "Merging duplicate cases"): the
-- case a duplicate was merged into. Webhooks announce `case.merged` (docs/integrations.md); the
-- copies of the duplicate's messages made on the case it was merged into (their data carries
-- `mergedFrom`) are history, not new replies, and queue no webhook event (as imported entries).
-- The trigger otherwise as 0035_webhook_unassigned.sql.
ALTER TABLE `cases` ADD `merged_into_id` integer;
--> statement-breakpoint
DROP TRIGGER IF EXISTS case_events_webhooks;
--> statement-breakpoint
CREATE TRIGGER case_events_webhooks AFTER INSERT ON case_events
WHEN (NEW.type = 'case.created' OR NEW.type = 'case.assigned' OR NEW.type = 'case.unassigned' OR NEW.type = 'case.transferred' OR NEW.type = 'case.escalated'
      OR NEW.type = 'case.transitioned' OR NEW.type = 'case.reopened' OR NEW.type = 'case.priority_changed' OR NEW.type = 'case.rated'
      OR NEW.type = 'sla.warning' OR NEW.type = 'sla.breached' OR NEW.type = 'staff.replied' OR NEW.type = 'customer.replied'
      OR NEW.type = 'staff.noted' OR NEW.type = 'case.merged')
  AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled = 1 AND deleted_at IS NULL)
  AND json_extract(NEW.data, '$.imported') IS NULL
  AND json_extract(NEW.data, '$.mergedFrom') IS NULL
BEGIN
  INSERT INTO outbox (type, case_id, payload, created_at, available_at)
  VALUES ('webhook.event', NULL, json_object('event', NEW.id), NEW.at, NEW.at);
END;
