-- Webhooks announce `case.updated` (docs/integrations.md): a case's subject, priority or tags
-- changed, by a person (`case.subject_changed`, `case.priority_changed`, `case.tags_changed`)
-- or by rules (a `case.updated` entry whose changes include the priority or the tags; an SLA
-- re-apply's entry, which changes neither, queues nothing). The trigger of
-- 0036_merge_cases.sql (`case.merged`, no event for a merge's copies) with those types added;
-- otherwise the same.
-- And each attempt's log keeps the `Retry-After` a 429 or 503 answer carried.
ALTER TABLE `webhook_attempts` ADD `retry_after` text;
--> statement-breakpoint
DROP TRIGGER IF EXISTS case_events_webhooks;
--> statement-breakpoint
CREATE TRIGGER case_events_webhooks AFTER INSERT ON case_events
WHEN (NEW.type = 'case.created' OR NEW.type = 'case.assigned' OR NEW.type = 'case.unassigned' OR NEW.type = 'case.transferred' OR NEW.type = 'case.escalated'
      OR NEW.type = 'case.transitioned' OR NEW.type = 'case.reopened' OR NEW.type = 'case.priority_changed' OR NEW.type = 'case.rated'
      OR NEW.type = 'sla.warning' OR NEW.type = 'sla.breached' OR NEW.type = 'staff.replied' OR NEW.type = 'customer.replied'
      OR NEW.type = 'staff.noted' OR NEW.type = 'case.merged' OR NEW.type = 'case.tags_changed' OR NEW.type = 'case.subject_changed'
      OR (NEW.type = 'case.updated' AND (json_extract(NEW.data, '$.changes.priority') IS NOT NULL OR json_extract(NEW.data, '$.changes.tags') IS NOT NULL)))
  AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled = 1 AND deleted_at IS NULL)
  AND json_extract(NEW.data, '$.imported') IS NULL
  AND json_extract(NEW.data, '$.mergedFrom') IS NULL
BEGIN
  INSERT INTO outbox (type, case_id, payload, created_at, available_at)
  VALUES ('webhook.event', NULL, json_object('event', NEW.id), NEW.at, NEW.at);
END;
