-- Agent presence: the PostgreSQL twin of drizzle/0040_agent_presence.sql.
CREATE TABLE "agent_presence" (
	"staff_id" bigint NOT NULL,
	"seen_at" bigint NOT NULL,
	CONSTRAINT "agent_presence_staff_id_pk" PRIMARY KEY("staff_id")
);
--> statement-breakpoint
ALTER TABLE "agent_presence" ADD CONSTRAINT "agent_presence_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;