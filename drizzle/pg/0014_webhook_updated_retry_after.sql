-- Webhooks announce `case.updated` (docs/integrations.md), as SQLite's
-- drizzle/0038_webhook_updated_retry_after.sql: the trigger of 0012_merge_cases.sql with
-- `case.tags_changed`, `case.subject_changed` and a rule decision's `case.updated` (when it
-- changed the priority or the tags) added; the function is unchanged. And each attempt's log
-- keeps the `Retry-After` a 429 or 503 answer carried.
ALTER TABLE "webhook_attempts" ADD COLUMN "retry_after" text;
--> statement-breakpoint
DROP TRIGGER IF EXISTS case_events_webhooks ON case_events;
--> statement-breakpoint
CREATE TRIGGER case_events_webhooks AFTER INSERT ON case_events FOR EACH ROW
WHEN (NEW.type IN ('case.created', 'case.assigned', 'case.unassigned', 'case.transferred', 'case.escalated', 'case.transitioned', 'case.reopened',
  'case.priority_changed', 'case.rated', 'sla.warning', 'sla.breached', 'staff.replied', 'customer.replied', 'staff.noted',
  'case.merged', 'case.tags_changed', 'case.subject_changed')
  OR (NEW.type = 'case.updated' AND (NEW.data -> 'changes' -> 'priority' IS NOT NULL OR NEW.data -> 'changes' -> 'tags' IS NOT NULL)))
EXECUTE FUNCTION case_events_webhooks();
