-- Hand-written (src/db/dormant-triggers.ts): a trigger that has nothing to do for as long as the
-- database stays as it is sleeps — dropped, its SQL kept here — and is created again from it when
-- that changes. `case_events_webhooks` (0038) sleeps while no webhook subscription is enabled: it
-- ran for every timeline entry only to find that none was (~1 µs an entry, ~9 µs an intake).
-- A migration that recreates a sleeping trigger leaves it awake with its new SQL (the next check
-- puts that to sleep); one that retires a trigger deletes its row here too.
CREATE TABLE `dormant_triggers` (
	`name` text PRIMARY KEY NOT NULL,
	`sql` text NOT NULL
);
