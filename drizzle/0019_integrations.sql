CREATE TABLE `crm_records` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`data` text,
	`fetched_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `crm_records_email_idx` ON `crm_records` (`email`);--> statement-breakpoint
CREATE TABLE `webhook_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`delivery_id` integer NOT NULL,
	`attempt` integer NOT NULL,
	`at` integer NOT NULL,
	`response_status` integer,
	`duration_ms` integer NOT NULL,
	`ok` integer NOT NULL,
	`error` text,
	FOREIGN KEY (`delivery_id`) REFERENCES `webhook_deliveries`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_attempts_delivery_idx` ON `webhook_attempts` (`delivery_id`,`attempt`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`subscription_id` integer NOT NULL,
	`message_id` text NOT NULL,
	`event_type` text NOT NULL,
	`payload` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`replay_of` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `webhook_subscriptions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_subscription_idx` ON `webhook_deliveries` (`subscription_id`,`id`);--> statement-breakpoint
CREATE TABLE `webhook_subscriptions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`url` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`events` text NOT NULL,
	`secret` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`failing_since` integer,
	`disabled_at` integer,
	`disabled_reason` text,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
ALTER TABLE `customer_churn_marks` ADD `source` text DEFAULT 'manual' NOT NULL;--> statement-breakpoint
ALTER TABLE `queues` ADD `slack_webhook_url` text;--> statement-breakpoint
ALTER TABLE `queues` ADD `teams_webhook_url` text;--> statement-breakpoint
-- Webhooks (src/webhooks/): a timeline entry a subscriber may want queues one `webhook.event`
-- outbox item in the transaction that wrote it, whatever wrote it (commands, the SLA sweep),
-- but only while some subscription is enabled: without subscriptions intake pays one lookup in
-- an empty table. Imported history (`imported: true`) is not announced. The item has no
-- case_id, so a command's `settle()` never waits for an HTTP call.
CREATE TRIGGER case_events_webhooks AFTER INSERT ON case_events
WHEN NEW.type IN ('case.created', 'case.assigned', 'case.transferred', 'case.escalated', 'case.transitioned', 'case.reopened',
                  'case.priority_changed', 'case.rated', 'sla.warning', 'sla.breached', 'staff.replied', 'customer.replied', 'staff.noted')
  AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE enabled = 1 AND deleted_at IS NULL)
  AND json_extract(NEW.data, '$.imported') IS NULL
BEGIN
  INSERT INTO outbox (type, case_id, payload, created_at, available_at)
  VALUES ('webhook.event', NULL, json_object('event', NEW.id), NEW.at, NEW.at);
END;
