CREATE TABLE `customer_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`customer_id` integer NOT NULL,
	`at` integer NOT NULL,
	`via` text NOT NULL,
	`case_id` integer,
	`actor_type` text NOT NULL,
	`actor_id` integer,
	`actor_name` text NOT NULL,
	`changes` text NOT NULL,
	`reason` text,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `customer_changes_customer_idx` ON `customer_changes` (`customer_id`,`at`);--> statement-breakpoint
-- Hand-written: the customer profile audit trail is append-only.
CREATE TRIGGER `customer_changes_no_update` BEFORE UPDATE ON `customer_changes` BEGIN
  SELECT RAISE(ABORT, 'customer_changes is append-only');
END;
--> statement-breakpoint
CREATE TRIGGER `customer_changes_no_delete` BEFORE DELETE ON `customer_changes` BEGIN
  SELECT RAISE(ABORT, 'customer_changes is append-only');
END;
