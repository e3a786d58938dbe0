-- Webhooks announce `case.unassigned` (docs/integrations.md): a receiver that keeps a case's
-- assignee from `case.assigned` learns when nobody has it any more (unassigned by hand, the
-- agent gone unavailable or deactivated, a move to a queue with no agent free). The trigger of
-- 0024_intake_triggers.sql with that type added; otherwise the same.
DROP TRIGGER IF EXISTS case_events_webhooks;
--> statement-breakpoint
CREATE TRIGGER case_events_webhooks AFTER INSERT ON case_events
WHEN (NEW.type = 'case.created' OR NEW.type = 'case.assigned' OR NEW.type = 'case.unassigned' OR NEW.type = 'case.transferred' OR NEW.type = 'case.escalated'
      OR NEW.type = 'case.transitioned' OR NEW.type = 'case.reopened' OR NEW.type = 'case.priority_changed' OR NEW.type = 'case.rated'
      OR NEW.type = 'sla.warning' OR NEW.type = 'sla.breached' OR NEW.type = 'staff.replied' OR NEW.type = 'customer.replied'
      OR NEW.type = 'staff.noted')
  AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled = 1 AND deleted_at IS NULL)
  AND json_extract(NEW.data, '$.imported') IS NULL
BEGIN
  INSERT INTO outbox (type, case_id, payload, created_at, available_at)
  VALUES ('webhook.event', NULL, json_object('event', NEW.id), NEW.at, NEW.at);
END;
