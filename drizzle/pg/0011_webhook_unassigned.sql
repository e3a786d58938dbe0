-- Webhooks announce `case.unassigned` (docs/integrations.md), as SQLite's
-- drizzle/0035_webhook_unassigned.sql: the trigger of 0000_init.sql with that type added; the
-- function is unchanged.
DROP TRIGGER IF EXISTS case_events_webhooks ON case_events;
--> statement-breakpoint
CREATE TRIGGER case_events_webhooks AFTER INSERT ON case_events FOR EACH ROW
WHEN (NEW.type IN ('case.created', 'case.assigned', 'case.unassigned', 'case.transferred', 'case.escalated', 'case.transitioned', 'case.reopened',
  'case.priority_changed', 'case.rated', 'sla.warning', 'sla.breached', 'staff.replied', 'customer.replied', 'staff.noted'))
EXECUTE FUNCTION case_events_webhooks();
