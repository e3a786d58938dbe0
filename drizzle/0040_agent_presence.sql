-- Agent presence (src/chat/agent-presence.ts, docs/chat.md *Who is there*): when each agent last
-- had the workspace open, by the server's clock, so that a restart or another instance still
-- counts an agent whose background tab polls only once a minute.
CREATE TABLE `agent_presence` (
	`staff_id` integer PRIMARY KEY NOT NULL,
	`seen_at` integer NOT NULL,
	FOREIGN KEY (`staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
