-- customers.open_cases: the customer's open cases (the rules' `customer.openCases`), kept by
-- triggers as cases come, open, close, move to another customer and go, as staff.open_cases is
-- (0000); the intake reads it with the customer's row instead of counting (drizzle/0051).
ALTER TABLE "customers" ADD COLUMN "open_cases" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
UPDATE customers SET open_cases = (SELECT count(*) FROM cases c WHERE c.customer_id = customers.id AND c.open);
--> statement-breakpoint
CREATE FUNCTION cases_customer_open_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customers SET open_cases = open_cases + 1 WHERE id = NEW.customer_id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION cases_customer_open_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.open THEN
    UPDATE customers SET open_cases = open_cases - 1 WHERE id = OLD.customer_id;
  END IF;
  IF NEW.open THEN
    UPDATE customers SET open_cases = open_cases + 1 WHERE id = NEW.customer_id;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE FUNCTION cases_customer_open_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customers SET open_cases = open_cases - 1 WHERE id = OLD.customer_id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER cases_customer_open_insert AFTER INSERT ON cases FOR EACH ROW
WHEN (NEW.open) EXECUTE FUNCTION cases_customer_open_insert();
--> statement-breakpoint
CREATE TRIGGER cases_customer_open_update AFTER UPDATE OF customer_id, open ON cases FOR EACH ROW
WHEN (OLD.customer_id IS DISTINCT FROM NEW.customer_id OR OLD.open IS DISTINCT FROM NEW.open) EXECUTE FUNCTION cases_customer_open_update();
--> statement-breakpoint
CREATE TRIGGER cases_customer_open_delete AFTER DELETE ON cases FOR EACH ROW
WHEN (OLD.open) EXECUTE FUNCTION cases_customer_open_delete();
