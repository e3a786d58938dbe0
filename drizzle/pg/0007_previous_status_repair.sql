-- Hand-written: cases an earlier defect left with `previous_status` equal to their own state, so
-- their `@previous` transitions went nowhere; the same repair as SQLite's
-- drizzle/0031_previous_status_repair.sql: the `from` of the case's last state change to another
-- state, kept only when it is a state of the case's workflow version and not its state now,
-- otherwise NULL.
WITH "repaired" AS (
  SELECT c."id", c."status", c."workflow", c."workflow_version",
         (SELECT e."data" ->> 'from'
            FROM "case_events" e
           WHERE e."case_id" = c."id" AND e."type" = 'case.transitioned'
             AND (e."data" ->> 'from') IS DISTINCT FROM (e."data" ->> 'to')
           ORDER BY e."id" DESC
           LIMIT 1) AS "previous"
    FROM "cases" c
   WHERE c."previous_status" = c."status"
)
UPDATE "cases"
   SET "previous_status" = CASE
         WHEN r."previous" IS DISTINCT FROM r."status" AND EXISTS (
           SELECT 1 FROM "definition_versions" w
            WHERE w."kind" = 'workflow' AND w."name" = r."workflow" AND w."version" = r."workflow_version"
              AND json_typeof(w."body" -> 'states' -> r."previous") = 'object')
         THEN r."previous"
         ELSE NULL
       END
  FROM "repaired" r
 WHERE r."id" = "cases"."id";
