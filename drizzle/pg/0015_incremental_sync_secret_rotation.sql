-- Incremental sync, as SQLite's drizzle/0039_incremental_sync_secret_rotation.sql: every insert
-- and update of a case row gives it the next `change_seq`. PostgreSQL runs write transactions
-- side by side, so a number taken mid-transaction could become visible after a higher one and a
-- reader past the higher one would never see it. The number is therefore taken at commit (a
-- deferred constraint trigger) under a transaction-level advisory lock held until the commit is
-- done: numbers become visible in order, and the lock is held only for the commit's last step.
-- The trigger's own UPDATE changes change_seq, which the update trigger's WHEN leaves alone (the
-- code never writes the column). No sequence: a copy from SQLite (src/db/pg/copy) keeps working.
ALTER TABLE "cases" ADD COLUMN "change_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_subscriptions" ADD COLUMN "previous_secret" text;--> statement-breakpoint
ALTER TABLE "webhook_subscriptions" ADD COLUMN "previous_secret_until" bigint;--> statement-breakpoint
CREATE INDEX "cases_change_seq_idx" ON "cases" USING btree ("change_seq");--> statement-breakpoint
UPDATE "cases" SET "change_seq" = r.n FROM (SELECT id, row_number() OVER (ORDER BY updated_at, id) AS n FROM cases) AS r WHERE r.id = cases.id;
--> statement-breakpoint
CREATE FUNCTION cases_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(7215300039);
  UPDATE cases SET change_seq = (SELECT coalesce(max(change_seq), 0) + 1 FROM cases) WHERE id = NEW.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER cases_change_seq_insert AFTER INSERT ON cases DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION cases_change_seq();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER cases_change_seq_update AFTER UPDATE ON cases DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW WHEN (NEW.change_seq = OLD.change_seq) EXECUTE FUNCTION cases_change_seq();
