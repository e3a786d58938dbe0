DROP INDEX "cases_customer_updated_idx";--> statement-breakpoint
ALTER TABLE "cases" ADD COLUMN "customer_updated_at" bigint;--> statement-breakpoint
-- Hand-written: each case's last change its customer saw, read from its timeline by the rules
-- CaseContext.record keeps from now on (src/workflow/customer-visible.ts); the same as SQLite's
-- drizzle/0028_customer_updated_at.sql. Null where nothing did since the request.
WITH "shown" AS (
  SELECT e."case_id", max(e."at") AS "at"
    FROM "case_events" e
    JOIN "cases" c ON c."id" = e."case_id"
    LEFT JOIN "definition_versions" w ON w."kind" = 'workflow' AND w."name" = c."workflow" AND w."version" = c."workflow_version"
   WHERE e."type" IN ('customer.replied', 'staff.replied', 'case.subject_changed', 'case.rated', 'case.solutionOffered', 'case.solutionAccepted', 'case.solutionDeclined')
      OR (e."type" = 'case.transitioned' AND (
            (e."actor_type" IN ('staff', 'system') AND jsonb_typeof(e."data" -> 'solution') = 'string')
         OR coalesce(w."body" -> 'states' -> coalesce(e."data" ->> 'from', '') ->> 'customerLabel',
                     w."body" -> 'states' -> coalesce(e."data" ->> 'from', '') ->> 'label',
                     coalesce(e."data" ->> 'from', ''))
            IS DISTINCT FROM
            coalesce(w."body" -> 'states' -> coalesce(e."data" ->> 'to', '') ->> 'customerLabel',
                     w."body" -> 'states' -> coalesce(e."data" ->> 'to', '') ->> 'label',
                     coalesce(e."data" ->> 'to', ''))
         OR (w."body" -> 'states' -> coalesce(e."data" ->> 'from', '') ->> 'category')
            IS DISTINCT FROM (w."body" -> 'states' -> coalesce(e."data" ->> 'to', '') ->> 'category')))
   GROUP BY e."case_id"
)
UPDATE "cases" SET "customer_updated_at" = "shown"."at" FROM "shown" WHERE "shown"."case_id" = "cases"."id";--> statement-breakpoint
CREATE INDEX "cases_customer_updated_idx" ON "cases" USING btree ("customer_id",(coalesce(customer_updated_at, created_at)),"open");
