-- A new case inserted with an assignee is that agent's latest assignment: the load trigger (0000)
-- also moves their `last_assigned_at` to the case's `created_at` (never back: an imported old case
-- leaves it), as drizzle/0050 does on SQLite; the intake no longer writes it a second time
-- (src/assignment/assign.ts).
CREATE OR REPLACE FUNCTION cases_load_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE staff SET open_cases = open_cases + 1, last_assigned_at = GREATEST(last_assigned_at, NEW.created_at)
    WHERE id = NEW.assignee_id;
  RETURN NULL;
END;
$$;
