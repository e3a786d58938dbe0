-- Merging duplicate cases, as SQLite's drizzle/0036_merge_cases.sql: the case a duplicate was
-- merged into; webhooks announce `case.merged`, and the copies of the duplicate's messages on the
-- case it was merged into (data with `mergedFrom`) queue no webhook event, as imported entries.
ALTER TABLE "cases" ADD COLUMN "merged_into_id" bigint;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION case_events_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled AND deleted_at IS NULL)
     AND coalesce(NEW.data -> 'imported', 'null'::jsonb) = 'null'::jsonb
     AND coalesce(NEW.data -> 'mergedFrom', 'null'::jsonb) = 'null'::jsonb THEN
    INSERT INTO outbox (type, case_id, payload, created_at, available_at)
    VALUES ('webhook.event', NULL, jsonb_build_object('event', NEW.id), NEW.at, NEW.at);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS case_events_webhooks ON case_events;
--> statement-breakpoint
CREATE TRIGGER case_events_webhooks AFTER INSERT ON case_events FOR EACH ROW
WHEN (NEW.type IN ('case.created', 'case.assigned', 'case.unassigned', 'case.transferred', 'case.escalated', 'case.transitioned', 'case.reopened',
  'case.priority_changed', 'case.rated', 'sla.warning', 'sla.breached', 'staff.replied', 'customer.replied', 'staff.noted', 'case.merged'))
EXECUTE FUNCTION case_events_webhooks();
