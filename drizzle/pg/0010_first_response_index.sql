-- First-response time by period (src/dashboard/durations.ts) reads the cases by first_response_at (a
-- public staff reply or a call in which staff spoke with the customer: the SLA timer's definition),
-- no longer staff.replied entries by time: the timeline's partial (type, at) index drops that type
-- (a public reply adds no entry to it any more). The new index is partial too: intake adds no entry.
DROP INDEX "case_events_type_at_idx";--> statement-breakpoint
CREATE INDEX "cases_first_response_idx" ON "cases" USING btree ("first_response_at") WHERE "cases"."first_response_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "case_events_type_at_idx" ON "case_events" USING btree ("type","at") WHERE "case_events"."type" = 'case.escalated' OR "case_events"."type" = 'rules.failed' OR "case_events"."type" = 'sla.breached' OR "case_events"."type" = 'sla.fulfilled' OR "case_events"."type" = 'sla.warning';
