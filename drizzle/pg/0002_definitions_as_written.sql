-- Definition bodies kept as written (json, not jsonb): jsonb stores an object's keys shortest
-- first, and a workflow's transitions, an SLA config's policies and an exported file depend on
-- their order (scripts/gen-pg-schema.ts, JSON_AS_WRITTEN). Versions stored before this keep the
-- order jsonb gave them; publish a definition again (or import its file) to restore its order.
ALTER TABLE "definition_versions" ALTER COLUMN "body" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "definition_versions" ALTER COLUMN "examples_override" SET DATA TYPE json;